"""`python -m generator deploy` into a local bare repository, as a user runs it.

deploy_site itself is tested in test_deploy.py; these tests cover the command: it builds with
--strict into a temporary folder (no _site needed, none written), publishes with .nojekyll and
CNAME, adds one commit per deploy, leaves the user's branch, index and working tree alone, and
fails with a clear message (exit 1, no traceback) when it cannot deploy.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, assert_user_error, git, git_bytes, isolated_git_env, write_site
from tests.test_seo import write_seo_site

SITE_YAML = """title: Ada Example
base_url: https://ada.example.org/
domain: ada.example.org
today: 2026-11-28
"""


@dataclass(frozen=True)
class Repo:
    env: dict[str, str]
    remote: Path  # bare repository standing in for GitHub
    site: Path  # the user's site repository (a clone with origin = remote)


def deploy(repo: Repo, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**repo.env, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1795824000"}
    return subprocess.run(
        [sys.executable, "-m", "generator", "deploy", *args],
        cwd=cwd or repo.site,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def user_state(repo: Repo) -> tuple[str, ...]:
    """Everything a deploy must not change: branch, HEAD, index, status, file contents."""
    site, env = repo.site, repo.env
    files = sorted(
        f"{p.relative_to(site)}={p.read_bytes().hex()}"
        for p in site.rglob("*")
        if p.is_file() and not {".git", ".scholarpage-cache"} & set(p.relative_to(site).parts)
    )
    return (
        git(site, env, "symbolic-ref", "HEAD"),
        git(site, env, "rev-parse", "HEAD"),
        git(site, env, "ls-files", "--stage"),
        git(site, env, "status", "--porcelain", "--untracked-files=all"),
        *files,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    env = isolated_git_env(tmp_path, locale="C.UTF-8")
    remote = tmp_path / "remote.git"
    git(tmp_path, env, "init", "-q", "--bare", "-b", "main", str(remote))
    site = write_seo_site(tmp_path / "my-site", site_yaml=SITE_YAML)
    # What `scholarpage init` should write: the output and the build cache are not sources.
    (site / ".gitignore").write_text("_site/\n.scholarpage-cache/\n", encoding="utf-8")
    git(site, env, "init", "-q", "-b", "main")
    git(site, env, "config", "user.name", "Ada Example")
    git(site, env, "config", "user.email", "ada@example.org")
    git(site, env, "add", "-A")
    git(site, env, "commit", "-q", "-m", "My site")
    git(site, env, "remote", "add", "origin", str(remote))
    git(site, env, "push", "-q", "origin", "main")
    # Work in progress the deploy must not disturb: a staged edit, an unstaged one, a new file.
    (site / "notes.txt").write_text("draft\n", encoding="utf-8")
    git(site, env, "add", "notes.txt")
    (site / "notes.txt").write_text("draft, edited\n", encoding="utf-8")
    (site / "scratch.md").write_text("untracked\n", encoding="utf-8")
    return Repo(env, remote, site)


def remote_files(repo: Repo, ref: str = "gh-pages") -> dict[str, str]:
    listing = git(repo.remote, repo.env, "ls-tree", "-r", "--name-only", ref).splitlines()

    def show(name: str) -> str:
        blob = git_bytes(repo.remote, repo.env, "show", f"{ref}:{name}")
        return blob.decode("utf-8", "replace").strip()

    return {name: show(name) for name in listing}


def test_deploy_publishes_the_built_site_and_leaves_the_user_alone(repo: Repo) -> None:
    before = user_state(repo)
    first = deploy(repo)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert "to branch gh-pages" in first.stdout and "pushed it to origin" in first.stdout
    files = remote_files(repo)
    assert files[".nojekyll"] == ""
    assert files["CNAME"] == "ada.example.org"
    for name in (
        "index.html",
        "404.html",
        "sitemap.xml",
        "feed.xml",
        "robots.txt",
        "favicon.svg",
        "papers.bib",
        "papers/journal2024/index.html",
        "papers/journal2024/journal2024.bib",
        "assets/me.png",
    ):
        assert name in files, name
    assert "https://ada.example.org/papers/journal2024/" in files["sitemap.xml"]
    assert '<link rel="canonical" href="https://ada.example.org/">' in files["index.html"]
    tip = git(repo.remote, repo.env, "rev-parse", "gh-pages")
    assert git(repo.remote, repo.env, "rev-list", "--count", "gh-pages") == "1"
    assert user_state(repo) == before
    assert not (repo.site / "_site").exists()  # built in a temporary folder

    unchanged = deploy(repo)  # nothing changed: no new commit, and it says so
    assert unchanged.returncode == 0, unchanged.stderr
    assert "Nothing changed since the last deploy: no new commit" in unchanged.stdout
    assert f"stays at commit {tip[:12]} which origin already has" in unchanged.stdout
    assert git(repo.remote, repo.env, "rev-list", "--count", "gh-pages") == "1"

    second = deploy(repo, "--message", "Second deploy", "--base-url", "https://ada.example.org/v2")
    assert second.returncode == 0, second.stderr
    assert git(repo.remote, repo.env, "rev-list", "--count", "gh-pages") == "2"
    assert git(repo.remote, repo.env, "rev-parse", "gh-pages^") == tip
    assert git(repo.remote, repo.env, "log", "-1", "--format=%s", "gh-pages") == "Second deploy"
    assert user_state(repo) == before
    assert git(repo.remote, repo.env, "rev-parse", "main") == git(
        repo.site, repo.env, "rev-parse", "main"
    )


def test_no_push_commits_locally_only(repo: Repo) -> None:
    result = deploy(repo, "--no-push", "--branch", "site")
    assert result.returncode == 0, result.stderr
    assert "not pushed" in result.stdout and "git push origin site" in result.stdout
    assert git(repo.site, repo.env, "ls-tree", "--name-only", "site", ".nojekyll") == ".nojekyll"
    assert git(repo.remote, repo.env, "branch", "--list", "site") == ""


def test_not_a_git_repository(repo: Repo, tmp_path: Path) -> None:
    loose = write_site(tmp_path / "loose", site_yaml=SITE_YAML)
    assert_user_error(deploy(repo, str(loose), cwd=tmp_path), "not inside a git repository")


def test_no_such_remote(repo: Repo) -> None:
    result = deploy(repo, "--remote", "upstream")
    assert_user_error(result, "no remote called 'upstream'", "git remote add upstream")


def test_push_rejected_leaves_the_local_branch_as_it_was(repo: Repo, tmp_path: Path) -> None:
    assert deploy(repo).returncode == 0
    # Someone else publishes to gh-pages meanwhile (another machine, a CI job).
    other = tmp_path / "other"
    git(tmp_path, repo.env, "clone", "-q", "-b", "gh-pages", str(repo.remote), str(other))
    git(other, repo.env, "-c", "user.name=B", "-c", "user.email=b@x", "commit", "-q",
        "--allow-empty", "-m", "theirs")  # fmt: skip
    git(other, repo.env, "push", "-q", "origin", "gh-pages")
    local_before = git(repo.site, repo.env, "rev-parse", "gh-pages")
    assert_user_error(deploy(repo), "rejected")
    assert git(repo.site, repo.env, "rev-parse", "gh-pages") == local_before


def test_strict_build_problems_stop_the_deploy(repo: Repo) -> None:
    (repo.site / "site.yaml").write_text(SITE_YAML + "theem: scholar\n", encoding="utf-8")
    assert_user_error(deploy(repo), "theem", "(--strict)")
    assert git(repo.remote, repo.env, "branch", "--list", "gh-pages") == ""


def test_base_url_is_required(repo: Repo) -> None:
    (repo.site / "site.yaml").write_text("title: Ada Example\n", encoding="utf-8")
    assert_user_error(deploy(repo), "base_url is not set", "--base-url")
    ok = deploy(repo, "--base-url", "https://ada.github.io/site")
    assert ok.returncode == 0, ok.stderr
    files = remote_files(repo)
    assert "CNAME" not in files
    assert "https://ada.github.io/site/papers/conf2025/" in files["sitemap.xml"]


def test_bad_domain_is_reported_with_its_line(repo: Repo) -> None:
    (repo.site / "site.yaml").write_text(
        SITE_YAML.replace("domain: ada.example.org", "domain: https://ada.example.org/"),
        encoding="utf-8",
    )
    assert_user_error(deploy(repo), "site.yaml:3", "domain")
