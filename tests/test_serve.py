"""`scholarpage serve` through a real server process and real headless Chromium.

Each test copies a small fixture site into tmp_path, starts `python -m generator serve` on a free
port and edits files the way an editor would. Waits poll with generous timeouts (2-core CI).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

import pytest

from generator.build import build_site
from generator.devserver import inject, mount_path, resolve_request
from generator.incremental import Rebuilder
from generator.output import MARKER
from generator.serve import EditorFilter
from tests.conftest import ALICE_SITE_YAML, REPO, copy_example_site, write_alice_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TIMEOUT = 15.0
T = TypeVar("T")

# the shared Alice site with a theme of its own, whose CSS the tests edit
SITE_YAML = ALICE_SITE_YAML + "theme: local\n"
THEME_YAML = "name: local\nparent: scholar\n"
STYLE = "body { background-color: rgb(255, 255, 255); }\n"


def save(path: Path, text: str) -> None:
    """Save like vim/VS Code do: a side file, then an atomic rename over the original."""
    (path.parent / "4913").write_text("")
    (path.parent / "4913").unlink()
    side = path.with_name(path.name + ".swp")
    side.write_text(text, encoding="utf-8")
    os.replace(side, path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: Callable[[], T | None], what: str, timeout: float = TIMEOUT) -> T:
    """Poll `check` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Server:
    """`python -m generator serve SITE --port PORT` with its output collected by threads."""

    def __init__(self, site: Path, port: int, tmp: Path, *extra: str) -> None:
        self.port = port
        self.tmp = tmp
        tmp.mkdir(exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", str(site), "--port", str(port), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out)),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err)),
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str], into: list[str]) -> None:
        for line in stream:
            into.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def wait_serving(self) -> str:
        def serving() -> str | None:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited: {self.stdout}{self.stderr}")
            for line in list(self.out):
                if line.startswith("Serving "):
                    return line.split(" at ", 1)[1].split()[0]
            return None

        return wait_for(serving, "the server to start", timeout=30)

    def builds(self) -> int:
        return self.stdout.count("Built ")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for reader in self.readers:
                reader.join(timeout=TIMEOUT)
            assert self.proc.stdout is not None and self.proc.stderr is not None
            self.proc.stdout.close()
            self.proc.stderr.close()
        return code

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """A request with the path sent exactly as given (http.client does not normalise)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", f"127.0.0.1:{self.port}")
            conn.endheaders()
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_alice_site(
        tmp_path / "site",
        site_yaml=SITE_YAML,
        files={"themes/local/theme.yaml": THEME_YAML, "themes/local/static/style.css": STYLE},
    )


@pytest.fixture
def server(site: Path, tmp_path: Path) -> Iterator[Server]:
    srv = Server(site, free_port(), tmp_path / "tmp")
    try:
        srv.wait_serving()
        yield srv
    finally:
        code = srv.stop()
    assert code in (0, 130), srv.stderr
    assert "Traceback" not in srv.stderr
    assert list((tmp_path / "tmp").iterdir()) == [], "the serve folder is removed on exit"


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT * 1000)
    tab.goto(f"http://127.0.0.1:{server.port}/profile/")
    # no need to wait for the event stream: the page carries the build it shows, and the first
    # message after connecting already tells it about any newer build
    tab.evaluate("window.__marker = 'kept'; window.__body = document.body")
    try:
        yield tab
    finally:
        context.close()


# --- browser --------------------------------------------------------------------------------


@pytest.mark.browser
def test_title_edit_appears_without_reload(page: Page, server: Server, site: Path) -> None:
    bib = site / "content" / "papers.bib"
    save(bib, bib.read_text().replace("A First Paper on Pipelines", "Pipelines Renamed Live"))
    page.wait_for_function("() => document.body.innerText.includes('Pipelines Renamed Live')")
    assert page.evaluate("window.__marker") == "kept", "the page navigated instead of updating"
    assert "A First Paper on Pipelines" not in page.inner_text("body")


@pytest.mark.browser
def test_broken_site_yaml_shows_overlay_until_fixed(page: Page, server: Server, site: Path) -> None:
    config = site / "site.yaml"
    save(config, SITE_YAML + "max_authors: [unclosed\n")
    overlay = page.wait_for_selector("#__scholarpage-overlay")
    assert overlay is not None
    text = overlay.inner_text()
    assert "site.yaml:" in text, text
    wait_for(lambda: "site.yaml" in server.stderr, "the error in the terminal")
    status, _, body = server.get("/profile/")
    assert status == 200 and b"Alice Example" in body, "the last good site is still served"
    save(config, SITE_YAML)
    page.wait_for_selector("#__scholarpage-overlay", state="detached")
    assert page.evaluate("window.__marker") == "kept"


@pytest.mark.browser
def test_css_change_is_swapped_in_without_navigation(
    page: Page, server: Server, site: Path
) -> None:
    before = server.builds()
    save(site / "themes/local/static/style.css", "body { background-color: rgb(1, 2, 3); }\n")
    page.wait_for_function(
        "() => getComputedStyle(document.body).backgroundColor === 'rgb(1, 2, 3)'"
    )
    assert page.evaluate("window.__marker") == "kept"
    assert page.evaluate("document.body === window.__body"), "a CSS change must not swap the page"
    assert server.builds() > before


@pytest.mark.browser
def test_overlay_on_first_failing_build_then_site_appears(
    browser: Browser, site: Path, tmp_path: Path
) -> None:
    config = site / "site.yaml"
    config.write_text(SITE_YAML.replace("theme: local", "theme: nonexistent"))
    srv = Server(site, free_port(), tmp_path / "tmp")
    context = browser.new_context()
    try:
        srv.wait_serving()
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT * 1000)
        tab.goto(f"http://127.0.0.1:{srv.port}/")
        overlay = tab.wait_for_selector("#__scholarpage-overlay")
        assert overlay is not None and "theme" in overlay.inner_text()
        save(config, SITE_YAML)
        tab.wait_for_selector("#__scholarpage-overlay", state="detached")
        tab.wait_for_function("() => document.body.innerText.includes('A First Paper')")
    finally:
        context.close()
        assert srv.stop() in (0, 130)


# --- HTTP only ------------------------------------------------------------------------------


def test_root_redirects_to_base_path(server: Server) -> None:
    status, headers, _ = server.get("/")
    assert status == 302 and headers["Location"] == "/profile/"
    status, headers, _ = server.get("/profile")
    assert status == 302 and headers["Location"] == "/profile/"
    status, headers, body = server.get("/profile/")
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert b"data-scholarpage-live" in body and body.rstrip().endswith(b"</html>")
    status, headers, body = server.get("/profile/assets/style.css")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert b"data-scholarpage-live" not in body
    assert server.get("/elsewhere/index.html")[0] == 404


def test_served_pages_carry_the_packaged_client(server: Server) -> None:
    client = (REPO / "generator" / "serve_client.js").read_bytes()
    assert b"new EventSource(" in client
    status, _, body = server.get("/profile/papers/first2026/")
    assert status == 200 and client in body
    assert body.count(b"<script data-scholarpage-live") == 1


TRAVERSALS = [
    "/profile/../site.yaml",
    "/profile/../../../../etc/passwd",
    "/profile/%2e%2e/%2e%2e/site.yaml",
    "/profile/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
    "/profile/..%2f..%2fsite.yaml",
    "/profile/assets%2f..%2f..%2fsite.yaml",
    "/profile/..%5c..%5csite.yaml",
    "/profile/..\\..\\site.yaml",
    "//etc/passwd",
    "/profile//etc/passwd",
    "/profile/.//..//..//site.yaml",
    "/profile/%252e%252e/site.yaml",
    "/profile/.scholarpage",
    "/profile/%00/index.html",
]


def test_traversal_is_refused(server: Server) -> None:
    for path in TRAVERSALS:
        status, headers, body = server.get(path)
        assert status in (403, 404), (path, status)
        assert b"root:" not in body and b"base_url" not in body, path
        assert headers["Cache-Control"] == "no-store"


def test_raw_socket_traversal(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /profile/../../../../../etc/passwd HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.split(b"\r\n", 1)[0].split()[1] in (b"403", b"404")
    assert b"root:" not in data


def test_busy_port_is_a_clear_error(site: Path, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "generator", "serve", str(site), "--port", str(port)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=60,
        )
    assert proc.returncode == 1, proc.stderr
    assert "already in use" in proc.stderr and f"--port {port + 1}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_theme_change_in_site_yaml_takes_effect(server: Server, site: Path) -> None:
    local = server.get("/profile/assets/style.css")[2]
    assert local == STYLE.encode()
    save(site / "site.yaml", SITE_YAML.replace("theme: local", "theme: scholar"))
    wait_for(lambda: server.get("/profile/assets/style.css")[2] != local, "the scholar theme")
    # the theme folder is re-resolved: editing the old local theme no longer rebuilds anything
    # visible, while the site keeps being served
    assert server.get("/profile/")[0] == 200


def test_base_url_change_moves_the_mount(server: Server, site: Path) -> None:
    save(site / "site.yaml", SITE_YAML.replace("/profile/", "/other/"))
    wait_for(lambda: server.get("/other/")[0] == 200, "the new mount")
    assert server.get("/")[1]["Location"] == "/other/"


# --- build output and library pieces -------------------------------------------------------


def test_build_output_has_no_reload_script(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(site, output=out)
    pages = list(out.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "scholarpage-live" not in text and "EventSource" not in text, page


def test_incremental_build_rewrites_only_changed_files(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import bibtex

    reads: list[int] = []
    real = bibtex.entry_blocks  # what the incremental reader calls per file it parses

    def counting(text: str) -> Iterator[bibtex.RawEntry]:
        reads.append(1)
        return real(text)

    monkeypatch.setattr(bibtex, "entry_blocks", counting)
    out = tmp_path / "serve-out"
    out.mkdir()
    builder = Rebuilder(site, output=out)
    first = builder.build()
    assert (out / MARKER).is_file() and "index.html" in first.changed
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}

    # a template/CSS-only edit: no BibTeX parsing, only the stylesheet is rewritten
    (site / "themes/local/static/style.css").write_text("body { color: red; }\n")
    second = builder.build()
    assert len(reads) == 1, "unchanged .bib files are not parsed again"
    assert second.changed == ("assets/style.css",)

    bib = site / "content" / "papers.bib"
    bib.write_text(bib.read_text().replace("A First Paper", "A Renamed Paper"))
    third = builder.build()
    assert len(reads) == 2
    assert "index.html" in third.changed
    assert not any("second2025" in path for path in third.changed)
    for path, stamp in stamps.items():
        rel = path.relative_to(out).as_posix()
        if rel not in third.changed and rel not in second.changed:
            assert path.stat().st_mtime_ns == stamp, rel

    # a paper removed from the .bib: its page and its folder go, nothing else is touched
    bib.write_text(bib.read_text().split("@article{second2025")[0])
    fourth = builder.build()
    assert "papers/second2025/index.html" in fourth.changed
    assert not (out / "papers" / "second2025").exists()
    assert (out / MARKER).is_file()

    # without the in-memory record, files are compared with the disk: nothing to rewrite
    again = Rebuilder(site, output=out).build()
    assert again.changed == ()


def test_incremental_build_refuses_a_folder_it_did_not_make(site: Path, tmp_path: Path) -> None:
    from generator.errors import ScholarpageError

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    with pytest.raises(ScholarpageError):
        Rebuilder(site, output=out).build()
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "precious"


def test_resolve_request_stays_inside_the_output(tmp_path: Path) -> None:
    root = tmp_path / "out"
    (root / "papers" / "a").mkdir(parents=True)
    (root / "index.html").write_text("home")
    (root / "papers" / "a" / "index.html").write_text("paper")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "linkdir").symlink_to(tmp_path)
    assert resolve_request("/p/", "/p/", root).file == (root / "index.html").resolve()
    assert resolve_request("/p/papers/a", "/p/", root).location == "/p/papers/a/"
    assert resolve_request("/p/papers/a/?x=1", "/p/", root).file is not None
    assert resolve_request("/p/link.txt", "/p/", root).status == 403
    assert resolve_request("/p/linkdir/secret.txt", "/p/", root).status == 403
    assert resolve_request("/p/missing.html", "/p/", root).status == 404
    assert resolve_request("/", "/p/", root).location == "/p/"
    assert resolve_request("/index.html", "/", root).file is not None


def test_script_is_injected_before_the_last_body_end() -> None:
    assert inject(b"<body>x</BODY></html>", b"<s>") == b"<body>x<s></BODY></html>"
    assert inject(b"no body", b"<s>") == b"no body<s>"


def test_mount_path_from_base_url() -> None:
    assert mount_path("https://alice.github.io/profile/") == "/profile/"
    assert mount_path("https://alice.github.io/a/b") == "/a/b/"
    assert mount_path("https://alice.github.io/") == "/"
    assert mount_path("") == "/"


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("papers.bib", True),
        ("papers.bib.swp", False),
        ("papers.bib~", False),
        ("4913", False),
        (".#papers.bib", False),
        ("#papers.bib#", False),
    ],
)
def test_editor_side_files_are_ignored(tmp_path: Path, name: str, kept: bool) -> None:
    from watchfiles import Change

    assert EditorFilter([tmp_path / "out"])(Change.modified, str(tmp_path / name)) is kept


def test_repo_example_site_serves_copy(tmp_path: Path) -> None:
    """The example site (this repository) builds incrementally into a serve-style folder."""
    example = copy_example_site(tmp_path / "example")
    out = tmp_path / "out"
    result = Rebuilder(example, output=out).build()
    assert result.papers > 0 and (out / "index.html").is_file()


@pytest.mark.browser
def test_paper_edit_morphs_the_page_and_keeps_the_search(
    page: Page, server: Server, site: Path
) -> None:
    page.fill("input[name=q]", "pipelines")
    page.wait_for_function("() => document.querySelector('[data-key=second2025]').hidden")
    bib = site / "content" / "papers.bib"
    save(bib, bib.read_text().replace("A First Paper on Pipelines", "Pipelines Morphed In"))
    page.wait_for_function("() => document.body.innerText.includes('Pipelines Morphed In')")
    assert page.evaluate("document.body === window.__body"), "only the changed parts are replaced"
    assert page.input_value("input[name=q]") == "pipelines"
    assert page.evaluate("document.querySelector('[data-key=second2025]').hidden")
    assert not page.evaluate("document.querySelector('[data-key=first2026]').hidden")


@pytest.mark.browser
def test_page_not_changed_by_a_build_is_not_fetched(
    browser: Browser, server: Server, site: Path
) -> None:
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"http://127.0.0.1:{server.port}/profile/papers/first2026/")
        requests: list[str] = []
        tab.on("request", lambda r: requests.append(r.url))
        before = server.builds()
        bib = site / "content" / "papers.bib"
        save(bib, bib.read_text().replace("A Second Paper on Potentials", "Second, Renamed"))
        wait_for(lambda: server.builds() > before, "the rebuild")
        time.sleep(1.0)  # time for the page to react, were it going to
        assert not any("first2026" in url for url in requests), requests
    finally:
        context.close()
