"""Shared fixtures: paths, fixture sites written on the fly, a real HTTP server, real Chromium."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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

MINIMAL_PROFILE = "name: Ada Example\n"
MINIMAL_BIB = """@article{one,
  title = {A Paper},
  author = {Example, Ada and Other, Bob},
  year = {2024},
  journal = {J. Examples},
}
"""


def write_site(
    root: Path,
    *,
    site_yaml: str = "today: 2026-11-28\n",
    profile: str = MINIMAL_PROFILE,
    bib: str = MINIMAL_BIB,
    files: dict[str, str] | None = None,
) -> Path:
    """Write a small site folder; `files` adds or replaces files by relative path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "content").mkdir(exist_ok=True)
    (root / "site.yaml").write_text(site_yaml, encoding="utf-8")
    (root / "content" / "profile.yaml").write_text(profile, encoding="utf-8")
    (root / "content" / "papers.bib").write_text(bib, encoding="utf-8")
    for rel, text in (files or {}).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "site", **kwargs: Any) -> Path:
        return write_site(tmp_path / name, **kwargs)

    return make


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serving() -> tuple[Callable[[Path], str], Callable[[], None]]:
    """A starter for real HTTP servers on 127.0.0.1 (one per folder) and a stopper for all."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(directory: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    def stop() -> None:
        for server in servers:
            server.shutdown()
            server.server_close()

    return start, stop


@pytest.fixture
def serve_dir() -> Iterator[Callable[[Path], str]]:
    """Serve a folder over a real HTTP server on 127.0.0.1; returns its base URL."""
    start, stop = _serving()
    yield start
    stop()


@pytest.fixture(scope="module")
def serve_dir_module() -> Iterator[Callable[[Path], str]]:
    """Like serve_dir, kept for a whole module (building and serving is the slow part)."""
    start, stop = _serving()
    yield start
    stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A real headless Chromium (Debian package) driven by playwright.

    Module-scoped: playwright's sync API allows one instance per thread at a time, so each module
    starts and stops its own.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian package chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="PyPI playwright not installed")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
