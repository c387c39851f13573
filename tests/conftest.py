"""Shared fixtures and helpers: paths, fixture sites written on the fly, isolated git, the CLI's
error contract, real HTTP servers on 127.0.0.1 and real headless Chromium.

Everything here is imported by several test modules; a helper only one module uses stays there.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"

# --- fixture sites ---------------------------------------------------------------------------

MINIMAL_SITE_YAML = "today: 2026-11-28\n"
MINIMAL_PROFILE = "name: Ada Example\n"
MINIMAL_BIB = """@article{one,
  title = {A Paper},
  author = {Example, Ada and Other, Bob},
  year = {2024},
  journal = {J. Examples},
}
"""

# The site the serve and incremental tests edit: served under /profile/, a score badge, three
# papers of three years (one with a date, a score and an abstract; one by someone else first).
# Tests assert on its lines (warning line numbers) and titles: extend it at the end.
ALICE_SITE_YAML = """\
title: Alice Example
base_url: https://alice.github.io/profile/
bibliography:
  - content/papers.bib
paper_badges:
  - {field: score, label: Score, decimals: 1}
today: 2026-11-28
"""
ALICE_PROFILE = "name: Alice Example\naffiliation: Example University\n"
ALICE_PAPERS = """\
@article{first2026,
  title = {A First Paper on Pipelines},
  author = {Alice Example and Bob Other},
  date = {2026-05-18},
  score = {63.3},
  abstract = {Pipelines, measured.},
}

@article{second2025,
  title = {A Second Paper on Potentials},
  author = {Alice Example},
  year = {2025},
}

@inproceedings{third2024,
  title = {A Third Paper},
  author = {Carol Li and Alice Example},
  year = {2024},
  booktitle = {Proceedings of Things},
}
"""


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write files by path relative to `root` (text as UTF-8, bytes as they are), making the
    folders on the way; returns `root`."""
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    return root


def write_site(
    root: Path,
    *,
    site_yaml: str = MINIMAL_SITE_YAML,
    profile: str = MINIMAL_PROFILE,
    bib: str = MINIMAL_BIB,
    files: Mapping[str, str | bytes] | None = None,
) -> Path:
    """Write a small site folder; `files` adds or replaces files by relative path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "content").mkdir(exist_ok=True)
    write_files(
        root,
        {"site.yaml": site_yaml, "content/profile.yaml": profile, "content/papers.bib": bib},
    )
    return write_files(root, files or {})


def write_alice_site(
    root: Path,
    *,
    site_yaml: str = ALICE_SITE_YAML,
    files: Mapping[str, str | bytes] | None = None,
) -> Path:
    """The Alice site (above) at `root`."""
    return write_site(
        root, site_yaml=site_yaml, profile=ALICE_PROFILE, bib=ALICE_PAPERS, files=files
    )


def copy_example_site(dest: Path) -> Path:
    """This repository's example site (site.yaml and content/) copied to `dest`, so that a test
    can build or edit it without writing into the checkout."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "site.yaml", dest / "site.yaml")
    shutil.copytree(REPO / "content", dest / "content")
    return dest


@dataclass(frozen=True)
class SiteFactory:
    """The `make_site` fixture: `make_site(name, site_yaml=..., ...)` writes a site folder under
    the test's tmp_path with write_site's options."""

    root: Path

    def __call__(
        self,
        name: str = "site",
        *,
        site_yaml: str = MINIMAL_SITE_YAML,
        profile: str = MINIMAL_PROFILE,
        bib: str = MINIMAL_BIB,
        files: Mapping[str, str | bytes] | None = None,
    ) -> Path:
        return write_site(
            self.root / name, site_yaml=site_yaml, profile=profile, bib=bib, files=files
        )


@pytest.fixture
def make_site(tmp_path: Path) -> SiteFactory:
    return SiteFactory(tmp_path)


# --- git -------------------------------------------------------------------------------------


def isolated_git_env(root: Path, *, locale: str = "C") -> dict[str, str]:
    """An environment in which git reads no configuration of this machine or user (an empty
    HOME under `root`, no system config) and never looks for a repository above `root`."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text("", encoding="utf-8")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CEILING_DIRECTORIES": str(root),
        "LC_ALL": locale,
    }


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    """isolated_git_env for this test's tmp_path, in the C locale."""
    return isolated_git_env(tmp_path)


def git_bytes(cwd: Path, env: Mapping[str, str], *args: str) -> bytes:
    """Run git; its exact standard output. A failing git command fails the test."""
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, check=True, timeout=60
    ).stdout


def git(cwd: Path, env: Mapping[str, str], *args: str) -> str:
    """Run git; its standard output as text without the final newline (like shell `$(git)`)."""
    return git_bytes(cwd, env, *args).decode("utf-8").rstrip("\n")


# --- the command line ------------------------------------------------------------------------


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """The CLI's contract for a problem the user can fix: exit 1, no traceback, and a message
    on stderr holding every fragment."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


# --- HTTP ------------------------------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging each request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def http_server(
    handler: Callable[..., http.server.BaseHTTPRequestHandler],
) -> Iterator[str]:
    """A real threading HTTP server on 127.0.0.1 (a free port) for the body of the `with`;
    yields its base URL, http://127.0.0.1:PORT/."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _serving(stack: contextlib.ExitStack) -> Callable[[Path], str]:
    """A starter of servers (one per folder) that `stack` stops."""

    def start(directory: Path) -> str:
        return stack.enter_context(
            http_server(functools.partial(QuietHandler, directory=str(directory)))
        )

    return start


@pytest.fixture
def serve_dir() -> Iterator[Callable[[Path], str]]:
    """Serve a folder over a real HTTP server on 127.0.0.1; returns its base URL."""
    with contextlib.ExitStack() as stack:
        yield _serving(stack)


@pytest.fixture(scope="module")
def serve_dir_module() -> Iterator[Callable[[Path], str]]:
    """Like serve_dir, kept for a whole module (building and serving is the slow part)."""
    with contextlib.ExitStack() as stack:
        yield _serving(stack)


# --- Chromium --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A real headless Chromium (Debian package) driven by playwright.

    Module-scoped: playwright's sync API allows one instance per thread at a time, so each module
    starts and stops its own.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian package chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="PyPI playwright not installed")
    with sync_api.sync_playwright() as p:
        instance: Browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
