"""deploy_site against real git repositories in tmp_path (a bare remote, a user repo, clones)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

import pytest

from generator.deploy import DeployResult, deploy_site
from generator.errors import ScholarpageError
from generator.output import MARKER, MARKER_TEXT
from tests.conftest import git, git_bytes, write_files

OUTPUT_FILES = {
    "index.html": b"<!doctype html><title>Alice</title><h1>Alice</h1>\n",
    "assets/css/style.css": b"body { color: #222; }\n",
    ".htaccess": b"Options -Indexes\n",
    ".gitignore": b"*.css\n_private.html\n",  # the output's own ignore rules must not drop files
    "_private.html": b"<p>underscore files need .nojekyll</p>\n",
    "papers/crlf.txt": b"line one\r\nline two\r\n",  # bytes must survive autocrlf
    "papers/café -v2.html": b"<p>non-ASCII name with a space</p>\n",
}


@dataclass(frozen=True)
class Site:
    env: dict[str, str]
    remote: Path  # bare repository
    repo: Path  # the user's site repository
    output: Path  # repo/_site


@pytest.fixture
def site(tmp_path: Path, git_env: dict[str, str]) -> Site:
    env = git_env
    remote = tmp_path / "remote.git"
    git(tmp_path, env, "init", "-q", "--bare", str(remote))

    repo = tmp_path / "my-site"
    repo.mkdir()
    git(repo, env, "init", "-q", "-b", "main")
    git(repo, env, "config", "user.name", "Alice Researcher")
    git(repo, env, "config", "user.email", "alice@example.org")
    git(repo, env, "config", "core.autocrlf", "true")
    git(repo, env, "remote", "add", "origin", str(remote))
    (repo / ".gitignore").write_text("_site/\n")
    (repo / "site.yaml").write_text("title: Alice\n")
    git(repo, env, "add", ".gitignore", "site.yaml")
    git(repo, env, "commit", "-q", "-m", "first")
    git(repo, env, "push", "-q", "origin", "main")
    # a staged-but-uncommitted change and an untracked file
    (repo / "site.yaml").write_text("title: Alice R.\n")
    git(repo, env, "add", "site.yaml")
    (repo / "notes.txt").write_text("untracked\n")

    output = repo / "_site"
    write_files(output, OUTPUT_FILES)
    return Site(env=env, remote=remote, repo=repo, output=output)


def snapshot(site: Site) -> tuple[object, ...]:
    """Everything of the user's repository that a deploy must leave alone."""
    env, repo = site.env, site.repo
    tree = []
    for path in sorted(repo.rglob("*")):
        if ".git" in path.relative_to(repo).parts or not path.is_file():
            continue
        tree.append((path.relative_to(repo).as_posix(), hashlib.sha256(path.read_bytes()).digest()))
    return (
        git(repo, env, "rev-parse", "HEAD"),
        git(repo, env, "symbolic-ref", "HEAD"),
        git_bytes(repo, env, "status", "--porcelain", "--untracked-files=all"),
        git_bytes(repo, env, "ls-files", "-s"),
        tuple(tree),
    )


def published(where: Path, env: dict[str, str], rev: str) -> dict[str, bytes]:
    names = git(where, env, "ls-tree", "-r", "-z", "--name-only", rev).split("\0")
    return {n: git_bytes(where, env, "cat-file", "blob", f"{rev}:{n}") for n in names if n}


class DeployOptions(TypedDict, total=False):
    """deploy_site's keyword options other than env (mypy checks them against its signature)."""

    remote: str
    branch: str
    message: str | None
    push: bool
    domain: str | None


def deploy(site: Site, **options: Unpack[DeployOptions]) -> DeployResult:
    return deploy_site(site.output, site.repo, env=site.env, **options)


# --- publishing ----------------------------------------------------------------------------------


def test_deploy_publishes_exactly_the_output_and_touches_nothing(site: Site) -> None:
    before = snapshot(site)
    output_before = sorted(p.name for p in site.output.rglob("*"))

    result = deploy(site, domain="alice.example.org")

    assert snapshot(site) == before
    assert sorted(p.name for p in site.output.rglob("*")) == output_before  # nothing written there
    assert result.branch == "gh-pages"
    assert result.pushed is True
    assert result.remote == "origin"
    assert result.files == len(OUTPUT_FILES) + 3  # .nojekyll, the marker, CNAME
    assert git(site.remote, site.env, "rev-parse", "gh-pages").strip() == result.commit
    expected = {
        **OUTPUT_FILES,
        ".nojekyll": b"",
        MARKER: MARKER_TEXT,
        "CNAME": b"alice.example.org\n",
    }
    assert published(site.remote, site.env, "gh-pages") == expected
    # the first deploy has no parent; the message names the source commit
    assert git(site.remote, site.env, "rev-list", "--count", "gh-pages").strip() == "1"
    head = git(site.repo, site.env, "rev-parse", "--short", "HEAD").strip()
    subject = git(site.remote, site.env, "log", "-1", "--format=%s|%an <%ae>", "gh-pages")
    assert subject.startswith(f"Deploy {head} at ")
    assert subject.strip().endswith("|Alice Researcher <alice@example.org>")
    # the user's own branches on the remote are untouched
    assert git(site.remote, site.env, "for-each-ref", "--format=%(refname)").split() == [
        "refs/heads/gh-pages",
        "refs/heads/main",
    ]


def test_second_deploy_adds_a_commit_on_top_of_the_first(site: Site) -> None:
    first = deploy(site)
    (site.output / "index.html").write_bytes(b"<h1>Alice, updated</h1>\n")
    (site.output / "_private.html").unlink()
    before = snapshot(site)

    second = deploy(site, message="Update the site")

    assert snapshot(site) == before
    assert second.commit != first.commit
    assert git(site.remote, site.env, "rev-parse", "gh-pages").strip() == second.commit
    assert git(site.remote, site.env, "rev-parse", "gh-pages^").strip() == first.commit
    assert git(site.remote, site.env, "log", "-1", "--format=%B", "gh-pages").strip() == (
        "Update the site"
    )
    files = published(site.remote, site.env, "gh-pages")
    assert files["index.html"] == b"<h1>Alice, updated</h1>\n"
    assert "_private.html" not in files
    assert "CNAME" not in files
    assert second.files == len(OUTPUT_FILES) - 1 + 2


def test_unchanged_output_makes_no_new_commit(site: Site) -> None:
    first = deploy(site)
    second = deploy(site, message="Nothing new")
    assert (second.changed, second.commit, second.up_to_date) == (False, first.commit, True)
    assert git(site.remote, site.env, "rev-list", "--count", "gh-pages").strip() == "1"
    # an unchanged local tip the remote lacks (deployed with push=False) is still pushed
    (site.output / "index.html").write_bytes(b"<h1>Alice, updated</h1>\n")
    local = deploy(site, push=False)
    assert local.changed and not local.pushed
    again = deploy(site)
    assert (again.changed, again.commit, again.up_to_date) == (False, local.commit, False)
    assert git(site.remote, site.env, "rev-parse", "gh-pages").strip() == local.commit
    # without the local branch the remote's tip is compared, and nothing is pushed
    git(site.repo, site.env, "branch", "-D", "gh-pages")
    fresh = deploy(site)
    assert (fresh.changed, fresh.commit, fresh.up_to_date) == (False, local.commit, True)
    assert git(site.remote, site.env, "rev-list", "--count", "gh-pages").strip() == "2"


def test_push_false_creates_the_local_branch_only(site: Site) -> None:
    before = snapshot(site)
    result = deploy(site, push=False)

    assert snapshot(site) == before
    assert result.pushed is False
    assert result.remote is None
    assert git(site.repo, site.env, "rev-parse", "refs/heads/gh-pages").strip() == result.commit
    assert git(site.remote, site.env, "branch", "--list", "gh-pages").strip() == ""
    assert set(published(site.repo, site.env, "gh-pages")) == {*OUTPUT_FILES, ".nojekyll", MARKER}


def test_push_false_needs_no_remote(site: Site) -> None:
    git(site.repo, site.env, "remote", "remove", "origin")
    result = deploy(site, push=False, branch="site-build")
    assert result.branch == "site-build"
    assert git(site.repo, site.env, "rev-parse", "site-build").strip() == result.commit


def test_deploy_from_a_fresh_clone_continues_the_remote_history(site: Site, tmp_path: Path) -> None:
    first = deploy(site)
    clone = tmp_path / "clone"
    git(tmp_path, site.env, "clone", "-q", "-b", "main", str(site.remote), str(clone))
    write_files(clone / "out", {"index.html": b"from the clone\n"})

    result = deploy_site(clone / "out", clone, env=site.env)

    assert git(site.remote, site.env, "rev-parse", "gh-pages^").strip() == first.commit
    assert git(site.remote, site.env, "rev-parse", "gh-pages").strip() == result.commit
    assert git(clone, site.env, "rev-parse", "gh-pages").strip() == result.commit
    assert git(clone, site.env, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_repo_dir_may_be_a_subfolder_of_the_work_tree(site: Site) -> None:
    sub = site.repo / "content"
    sub.mkdir()
    result = deploy_site(site.output, sub, env=site.env, push=False)
    assert git(site.repo, site.env, "rev-parse", "gh-pages").strip() == result.commit


def test_identity_falls_back_when_git_has_none(site: Site) -> None:
    git(site.repo, site.env, "config", "--unset", "user.name")
    git(site.repo, site.env, "config", "--unset", "user.email")
    deploy(site)
    ident = git(site.remote, site.env, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "gh-pages")
    fallback = "scholarpage <scholarpage@localhost>"
    assert ident.strip() == f"{fallback}|{fallback}"


def test_identity_from_environment_wins(site: Site) -> None:
    env = {**site.env, "GIT_AUTHOR_NAME": "CI Bot", "GIT_AUTHOR_EMAIL": "ci@example.org"}
    deploy_site(site.output, site.repo, env=env)
    ident = git(site.remote, site.env, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "gh-pages")
    assert ident.strip() == "CI Bot <ci@example.org>|Alice Researcher <alice@example.org>"


def test_symlinks_and_executable_bits_are_kept(site: Site) -> None:
    (site.output / "latest.html").symlink_to("index.html")
    (site.output / "run.sh").write_bytes(b"#!/bin/sh\n")
    (site.output / "run.sh").chmod(0o755)
    deploy(site, push=False)
    listing = git(site.repo, site.env, "ls-tree", "gh-pages", "latest.html", "run.sh", "index.html")
    modes = {line.split("\t")[1]: line.split()[0] for line in listing.splitlines()}
    assert modes == {"index.html": "100644", "latest.html": "120000", "run.sh": "100755"}
    assert git(site.repo, site.env, "cat-file", "blob", "gh-pages:latest.html") == "index.html"


def test_nested_git_folder_in_the_output_is_skipped(site: Site) -> None:
    write_files(site.output / ".git", {"HEAD": b"ref: refs/heads/gh-pages\n"})
    deploy(site, push=False)
    assert set(published(site.repo, site.env, "gh-pages")) == {*OUTPUT_FILES, ".nojekyll", MARKER}


# --- errors --------------------------------------------------------------------------------------


def test_not_a_git_repository(tmp_path: Path, git_env: dict[str, str]) -> None:
    folder = tmp_path / "plain"
    write_files(folder / "_site", {"index.html": b"hi\n"})
    with pytest.raises(ScholarpageError) as info:
        deploy_site(folder / "_site", folder, env=git_env)
    text = str(info.value)
    assert "not inside a git repository" in text
    assert "git init" in text


def test_no_such_remote_lists_the_remotes(site: Site) -> None:
    git(site.repo, site.env, "remote", "add", "backup", str(site.remote))
    before = snapshot(site)
    with pytest.raises(ScholarpageError) as info:
        deploy(site, remote="upstream")
    text = str(info.value)
    assert "no remote called 'upstream'" in text
    assert "backup, origin" in text
    assert "git remote add upstream" in text
    assert snapshot(site) == before
    assert git(site.repo, site.env, "branch", "--list", "gh-pages").strip() == ""


def test_push_rejected_when_the_remote_branch_moved(site: Site, tmp_path: Path) -> None:
    first = deploy(site)
    # Someone else pushes an unrelated history to gh-pages.
    other = tmp_path / "other"
    git(tmp_path, site.env, "clone", "-q", str(site.remote), str(other))
    git(other, site.env, "config", "user.name", "Bob")
    git(other, site.env, "config", "user.email", "bob@example.org")
    git(other, site.env, "switch", "-q", "--orphan", "unrelated")
    (other / "index.html").write_text("bob's page\n")
    git(other, site.env, "add", "index.html")
    git(other, site.env, "commit", "-q", "-m", "bob")
    git(other, site.env, "push", "-q", "-f", "origin", "unrelated:gh-pages")
    theirs = git(site.remote, site.env, "rev-parse", "gh-pages").strip()

    (site.output / "index.html").write_bytes(b"newer\n")
    before = snapshot(site)
    with pytest.raises(ScholarpageError) as info:
        deploy(site)
    text = str(info.value)
    assert "rejected" in text
    assert "gh-pages" in text
    assert "git fetch origin gh-pages" in text
    # nothing changed: the remote keeps their commit, the local branch is put back
    assert git(site.remote, site.env, "rev-parse", "gh-pages").strip() == theirs
    assert git(site.repo, site.env, "rev-parse", "gh-pages").strip() == first.commit
    assert snapshot(site) == before


def test_missing_output_folder(site: Site) -> None:
    with pytest.raises(ScholarpageError) as info:
        deploy_site(site.repo / "nope", site.repo, env=site.env)
    text = str(info.value)
    assert "output folder does not exist" in text
    assert "scholarpage build" in text


def test_empty_output_folder(site: Site) -> None:
    empty = site.repo / "empty"
    (empty / "sub").mkdir(parents=True)
    with pytest.raises(ScholarpageError) as info:
        deploy_site(empty, site.repo, env=site.env)
    assert "output folder is empty" in str(info.value)
    assert "scholarpage build" in str(info.value)


def test_output_folder_may_not_be_the_repository(site: Site) -> None:
    with pytest.raises(ScholarpageError) as info:
        deploy_site(site.repo, site.repo, env=site.env)
    assert "whole repository" in str(info.value)


def test_git_not_installed(site: Site, tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {**site.env, "PATH": str(empty_bin)}
    with pytest.raises(ScholarpageError) as info:
        deploy_site(site.output, site.repo, env=env)
    assert "git is not installed" in str(info.value)


def test_refuses_the_checked_out_branch(site: Site) -> None:
    before = snapshot(site)
    with pytest.raises(ScholarpageError) as info:
        deploy(site, branch="main")
    assert "checked out" in str(info.value)
    assert snapshot(site) == before


@pytest.mark.parametrize("domain", ["https://alice.example.org/", "alice example", "a/b.org"])
def test_bad_domain(site: Site, domain: str) -> None:
    with pytest.raises(ScholarpageError) as info:
        deploy(site, domain=domain)
    assert "not a domain name" in str(info.value)


def test_bad_branch_name(site: Site) -> None:
    with pytest.raises(ScholarpageError) as info:
        deploy(site, branch="gh pages..")
    assert "not a valid branch name" in str(info.value)
