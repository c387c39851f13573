"""`scholarpage deploy` foot-guns (issue 10 §5), each against real git repositories and a bare
remote standing in for GitHub: a target branch that holds sources, option-like values that git
would obey, and a push the server refuses told apart from a branch that moved.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.deploy import deploy_site, push_failure
from generator.errors import ScholarpageError
from generator.output import MARKER
from tests.conftest import REPO, write_site

SITE_YAML = "title: Ada Example\nbase_url: https://ada.example.org/\ntoday: 2026-11-28\n"
V2 = "https://ada.example.org/v2/"  # another base_url: a changed site for a later deploy
HOOK_TEXT = "GH006: Protected branch update failed for refs/heads/gh-pages."


@dataclass(frozen=True)
class Repo:
    env: dict[str, str]
    remote: Path  # bare repository
    site: Path  # the user's site repository, on branch `feature`, origin = remote
    tmp: Path


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return proc.stdout.strip()


def deploy(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**repo.env, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1795824000"}
    return subprocess.run(
        [sys.executable, "-m", "generator", "deploy", *args],
        cwd=repo.site,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    return result.stderr


def refs(where: Path, env: dict[str, str]) -> str:
    """Every branch and its commit: what a refused deploy must leave exactly as it was."""
    return git(where, env, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads")


def names(where: Path, env: dict[str, str], rev: str) -> set[str]:
    return set(git(where, env, "ls-tree", "--name-only", rev).splitlines())


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CEILING_DIRECTORIES": str(tmp_path),
        "LC_ALL": "C.UTF-8",
    }
    remote = tmp_path / "remote.git"
    git(tmp_path, env, "init", "-q", "--bare", "-b", "main", str(remote))
    site = write_site(tmp_path / "my-site", site_yaml=SITE_YAML)
    (site / ".gitignore").write_text("_site/\n.scholarpage-cache/\n", encoding="utf-8")
    git(site, env, "init", "-q", "-b", "main")
    git(site, env, "config", "user.name", "Ada Example")
    git(site, env, "config", "user.email", "ada@example.org")
    git(site, env, "add", "-A")
    git(site, env, "commit", "-q", "-m", "My site")
    git(site, env, "remote", "add", "origin", str(remote))
    git(site, env, "push", "-q", "origin", "main")
    git(site, env, "switch", "-q", "-c", "feature")  # working on a feature branch
    return Repo(env, remote, site, tmp_path)


def other_clone(repo: Repo, name: str = "other") -> Path:
    """Another machine's clone of the remote, with an identity of its own."""
    clone = repo.tmp / name
    git(repo.tmp, repo.env, "clone", "-q", str(repo.remote), str(clone))
    git(clone, repo.env, "config", "user.name", "Bob")
    git(clone, repo.env, "config", "user.email", "bob@example.org")
    return clone


# --- a target branch that is not ours ----------------------------------------------------------


def test_deploy_to_the_source_branch_is_refused_and_main_stays(repo: Repo) -> None:
    local, remote = refs(repo.site, repo.env), refs(repo.remote, repo.env)
    tip = git(repo.site, repo.env, "rev-parse", "main")

    text = refused(deploy(repo, "--branch", "main"), "'main'", tip[:12], "site.yaml", "content/")
    assert "--force" in text and "gh-pages" in text
    assert str(repo.site) in text  # located: the repository it looked at
    assert refs(repo.site, repo.env) == local
    assert refs(repo.remote, repo.env) == remote
    assert "site.yaml" in names(repo.remote, repo.env, "main")


def test_a_source_branch_only_on_the_remote_is_refused(repo: Repo) -> None:
    """No local branch of that name: the remote's tip is fetched and checked before anything."""
    git(repo.site, repo.env, "push", "-q", "origin", "feature:docs")
    remote = refs(repo.remote, repo.env)
    tip = git(repo.remote, repo.env, "rev-parse", "docs")
    refused(deploy(repo, "--branch", "docs"), "'docs' on 'origin'", tip[:12], "site.yaml")
    assert refs(repo.remote, repo.env) == remote
    assert git(repo.site, repo.env, "branch", "--list", "docs") == ""


def test_a_branch_without_our_marker_needs_force_which_keeps_its_history(repo: Repo) -> None:
    # a hand-made pages branch: built files, no sources, but not published by scholarpage
    clone = other_clone(repo)
    git(clone, repo.env, "switch", "-q", "--orphan", "pages")
    (clone / "index.html").write_text("<p>hand made</p>\n", encoding="utf-8")
    git(clone, repo.env, "add", "index.html")
    git(clone, repo.env, "commit", "-q", "-m", "hand-made page")
    git(clone, repo.env, "push", "-q", "origin", "pages")
    theirs = git(repo.remote, repo.env, "rev-parse", "pages")

    refused(deploy(repo, "--branch", "pages"), f"no {MARKER} marker", theirs[:12])
    assert git(repo.remote, repo.env, "rev-parse", "pages") == theirs

    forced = deploy(repo, "--branch", "pages", "--force")
    assert forced.returncode == 0, forced.stderr
    assert git(repo.remote, repo.env, "rev-parse", "pages^") == theirs  # on top, not replaced
    assert {MARKER, ".nojekyll", "index.html"} <= names(repo.remote, repo.env, "pages")
    # from now on the branch is ours: no --force needed (a changed site: a new commit)
    again = deploy(repo, "--branch", "pages", "-m", "Second deploy", "--base-url", V2)
    assert again.returncode == 0, again.stderr
    assert git(repo.remote, repo.env, "log", "-1", "--format=%s", "pages") == "Second deploy"


def test_force_onto_the_source_branch_does_what_it_says(repo: Repo) -> None:
    tip = git(repo.site, repo.env, "rev-parse", "main")
    result = deploy(repo, "--branch", "main", "--force")
    assert result.returncode == 0, result.stderr
    assert git(repo.remote, repo.env, "rev-parse", "main^") == tip
    published = names(repo.remote, repo.env, "main")
    assert MARKER in published and "index.html" in published and "site.yaml" not in published
    assert git(repo.site, repo.env, "symbolic-ref", "HEAD") == "refs/heads/feature"


def test_our_branch_is_recognised_locally_and_on_the_remote(repo: Repo) -> None:
    first = deploy(repo)
    assert first.returncode == 0, first.stderr
    tip = git(repo.remote, repo.env, "rev-parse", "gh-pages")
    # without the local branch, the remote's tip is the parent and must be recognised as ours
    git(repo.site, repo.env, "branch", "-D", "gh-pages")
    second = deploy(repo, "--base-url", V2)  # a changed site, so each deploy makes a commit
    assert second.returncode == 0, second.stderr
    assert git(repo.remote, repo.env, "rev-parse", "gh-pages^") == tip
    third = deploy(repo)  # and the local one
    assert third.returncode == 0, third.stderr
    assert git(repo.remote, repo.env, "rev-list", "--count", "gh-pages") == "3"


def test_an_empty_branch_counts_as_ours(repo: Repo) -> None:
    """A branch emptied by hand (`git switch --orphan`, an empty commit) holds nothing to lose."""
    clone = other_clone(repo)
    git(clone, repo.env, "switch", "-q", "--orphan", "gh-pages")
    git(clone, repo.env, "commit", "-q", "--allow-empty", "-m", "empty pages branch")
    git(clone, repo.env, "push", "-q", "origin", "gh-pages")
    empty = git(repo.remote, repo.env, "rev-parse", "gh-pages")
    result = deploy(repo)
    assert result.returncode == 0, result.stderr
    assert git(repo.remote, repo.env, "rev-parse", "gh-pages^") == empty


def test_library_refuses_a_source_branch_too(repo: Repo) -> None:
    out = repo.tmp / "out"
    out.mkdir()
    (out / "index.html").write_text("hi\n", encoding="utf-8")
    local = refs(repo.site, repo.env)
    with pytest.raises(ScholarpageError) as info:
        deploy_site(out, repo.site, branch="main", push=False, env=repo.env)
    assert info.value.problems[0].key == "branch"
    assert "the local branch 'main'" in str(info.value)
    assert refs(repo.site, repo.env) == local
    result = deploy_site(out, repo.site, branch="main", push=False, force=True, env=repo.env)
    assert git(repo.site, repo.env, "rev-parse", "main") == result.commit


# --- values git would read as options ------------------------------------------------------------


def test_option_like_remote_is_refused_and_runs_nothing(repo: Repo) -> None:
    pwned = repo.site / "PWNED"
    result = deploy(repo, "--remote", "--upload-pack=touch PWNED;x://")
    refused(result, "remote", "starts with `-`")
    assert not pwned.exists() and not (repo.tmp / "PWNED").exists()
    assert git(repo.site, repo.env, "branch", "--list", "gh-pages") == ""
    # the library refuses it before running git at all, also when a gh-pages branch exists
    assert deploy(repo).returncode == 0
    out = repo.tmp / "out"
    out.mkdir()
    (out / "index.html").write_text("hi\n", encoding="utf-8")
    with pytest.raises(ScholarpageError) as info:
        deploy_site(out, repo.site, remote="--upload-pack=touch PWNED;x://", env=repo.env)
    assert info.value.problems[0].key == "remote"
    assert not pwned.exists() and not (repo.tmp / "PWNED").exists()


def test_the_attack_is_real_without_the_guard(repo: Repo) -> None:
    """Why the guard matters: this very value, given to git as the remote, runs the command."""
    proc = subprocess.run(
        ["git", "ls-remote", "--heads", "--upload-pack=touch PWNED;x://", "refs/heads/gh-pages"],
        cwd=repo.site,
        env=repo.env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert (repo.site / "PWNED").exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--remote", "-oProxyCommand=touch PWNED"),
        ("--branch", "--delete"),
        ("--branch", "-f"),
        ("--message", "--amend"),
    ],
)
def test_values_starting_with_a_dash_are_refused(repo: Repo, option: str, value: str) -> None:
    before = refs(repo.site, repo.env)
    refused(deploy(repo, f"{option}={value}"), option.removeprefix("--"), "starts with `-`")
    assert refs(repo.site, repo.env) == before
    assert not (repo.site / "PWNED").exists()


@pytest.mark.parametrize(
    "remote", ["ext::sh -c touch% PWNED", "ext::sh -c touch% PWNED x://", "fd::17 x://"]
)
def test_command_running_transports_run_nothing(repo: Repo, remote: str) -> None:
    """Not options, but remotes that would run a command: refused by git's own transport rules
    (`protocol.allow`), which the deploy leaves in force."""
    refused(deploy(repo, "--remote", remote), "cannot deploy")
    assert not (repo.site / "PWNED").exists() and not (repo.tmp / "PWNED").exists()
    assert git(repo.site, repo.env, "branch", "--list", "gh-pages") == ""


@pytest.mark.parametrize("branch", ["HEAD", "@", "@{-1}", "a..b", "x.lock", "pages/", "a\nb"])
def test_branch_names_git_refuses_are_refused(repo: Repo, branch: str) -> None:
    out = repo.tmp / "out"
    out.mkdir()
    (out / "index.html").write_text("hi\n", encoding="utf-8")
    before = refs(repo.site, repo.env)
    with pytest.raises(ScholarpageError) as info:
        deploy_site(out, repo.site, branch=branch, push=False, env=repo.env)
    assert info.value.problems[0].key == "branch"
    assert refs(repo.site, repo.env) == before


# --- a push that fails ---------------------------------------------------------------------------


def test_a_hook_refusal_is_the_server_refusing_not_a_moved_branch(repo: Repo) -> None:
    hook = repo.remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f"echo '{HOOK_TEXT}' >&2\n"
        "printf '\\033[2J\\033[31mAsk an admin to allow pushes.\\033[0m\\n' >&2\n"
        "exit 1\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    text = refused(deploy(repo), "refused the push", "pre-receive hook declined", HOOK_TEXT)
    assert "remote: Ask an admin to allow pushes." in text
    assert "\x1b" not in text  # the server's escape sequences are not passed to the terminal
    assert "moved" not in text and "git fetch" not in text
    # the failed deploy changed nothing: no gh-pages here or there
    assert git(repo.site, repo.env, "branch", "--list", "gh-pages") == ""
    assert git(repo.remote, repo.env, "branch", "--list", "gh-pages") == ""


def test_a_refusal_after_a_first_deploy_puts_the_local_branch_back(repo: Repo) -> None:
    assert deploy(repo).returncode == 0
    before = git(repo.site, repo.env, "rev-parse", "gh-pages")
    hook = repo.remote / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\necho '{HOOK_TEXT}'\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    refused(deploy(repo, "--base-url", V2), "refused the push", HOOK_TEXT)
    assert git(repo.site, repo.env, "rev-parse", "gh-pages") == before
    assert git(repo.remote, repo.env, "rev-parse", "gh-pages") == before


def test_no_permission_is_the_server_refusing(repo: Repo) -> None:
    """What an ssh host says to a user without write access, from a real (local) receive-pack."""
    fake = repo.tmp / "receive-pack"
    fake.write_text(
        "#!/bin/sh\necho 'ERROR: Permission to ada/site.git denied to bob.' >&2\nexit 128\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    git(repo.site, repo.env, "config", "remote.origin.receivepack", str(fake))
    text = refused(deploy(repo), "refused the push", "Permission to ada/site.git denied to bob")
    assert "moved" not in text
    assert git(repo.site, repo.env, "branch", "--list", "gh-pages") == ""


def test_a_non_fast_forward_is_still_the_branch_that_moved(repo: Repo) -> None:
    assert deploy(repo).returncode == 0
    clone = other_clone(repo)
    git(clone, repo.env, "switch", "-q", "gh-pages")
    git(clone, repo.env, "commit", "-q", "--allow-empty", "-m", "theirs")
    git(clone, repo.env, "push", "-q", "origin", "gh-pages")
    theirs = git(repo.remote, repo.env, "rev-parse", "gh-pages")
    local = git(repo.site, repo.env, "rev-parse", "gh-pages")

    text = refused(deploy(repo), "rejected", "the branch moved", "git fetch origin gh-pages")
    assert "refused" not in text
    assert git(repo.remote, repo.env, "rev-parse", "gh-pages") == theirs
    assert git(repo.site, repo.env, "rev-parse", "gh-pages") == local


def test_a_failure_that_is_neither_says_what_git_said(repo: Repo) -> None:
    git(repo.site, repo.env, "remote", "set-url", "origin", str(repo.tmp / "gone.git"))
    text = refused(deploy(repo), "cannot deploy", "gone.git")
    assert "refused the push" not in text and "moved" not in text


def test_push_failure_reads_git_porcelain_output() -> None:
    """The classification on git's exact words for each case (as printed by git 2.39)."""
    moved = push_failure(
        "To x\n!\trefs/heads/gh-pages:refs/heads/gh-pages\t[rejected] (fetch first)\nDone\n",
        "error: failed to push some refs to 'x'",
        remote="origin",
        branch="gh-pages",
    )
    assert "the branch moved" in str(moved)
    protected = push_failure(
        "To x\n!\trefs/heads/gh-pages:refs/heads/gh-pages\t"
        "[remote rejected] (protected branch hook declined)\nDone\n",
        "remote: error: GH006: Protected branch update failed.\nerror: failed to push some refs",
        remote="origin",
        branch="gh-pages",
    )
    text = str(protected)
    assert "refused the push to 'gh-pages' (protected branch hook declined)" in text
    assert "remote: error: GH006" in text and "moved" not in text
    https = push_failure(
        "",
        "remote: Permission to ada/site.git denied to bob.\nfatal: unable to access "
        "'https://github.com/ada/site.git/': The requested URL returned error: 403",
        remote="origin",
        branch="gh-pages",
    )
    assert "refused the push" in str(https) and "denied to bob" in str(https)
    network = push_failure(
        "",
        "fatal: unable to access 'https://github.com/ada/site.git/': Could not resolve host",
        remote="origin",
        branch="gh-pages",
    )
    assert "refused" not in str(network) and "Could not resolve host" in str(network)
