"""Every link resolves when the site is served under a subpath, as GitHub Pages serves a project.

The site is built with `--base-url https://example.github.io/profile/` and served by a real HTTP
server on 127.0.0.1 that maps /profile/ to the output folder (and answers any other path with
404, like a host would). Every href/src/srcset on every page is requested: page-relative links,
the 404 page's absolute paths, and absolute URLs under base_url (canonical, og:url, sitemap and
feed entries) mapped onto the local server. Other absolute URLs are only checked for syntax.
"""

from __future__ import annotations

import functools
import http.server
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from generator.build import build_site
from tests.conftest import QuietHandler, copy_example_site, http_server
from tests.test_seo import BASE_URL, parse, write_seo_site

PREFIX = urlsplit(BASE_URL).path  # /profile/


def make_handler(root: Path) -> Callable[..., http.server.BaseHTTPRequestHandler]:
    """Serve `root` under PREFIX only; missing files get the site's 404.html with status 404."""

    class Handler(QuietHandler):
        def translate_path(self, path: str) -> str:
            clean = urlsplit(path).path
            if not clean.startswith(PREFIX):
                return str(root / "__outside_the_site__")
            return super().translate_path("/" + clean[len(PREFIX) :])

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            page = root / "404.html"
            if code != 404 or not page.is_file():
                super().send_error(code, message, explain)
                return
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return functools.partial(Handler, directory=str(root))


@pytest.fixture(scope="module", params=["scholar", "classic"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """(output folder, http://127.0.0.1:PORT/profile/) for the fixture site in each theme."""
    root = tmp_path_factory.mktemp("links")
    site = write_seo_site(root / "site")
    out = root / "out"
    build_site(site, output=out, base_url=BASE_URL, theme=request.param, strict=True)
    with http_server(make_handler(out)) as url:
        yield out, url.rstrip("/") + PREFIX


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def to_local(url: str, local_base: str) -> str | None:
    """An absolute URL under base_url, as the local server's URL; None for other sites."""
    if url.startswith(BASE_URL):
        return local_base + url[len(BASE_URL) :]
    return None


def check_links(page_url: str, html_path: Path, local_base: str) -> list[str]:
    """Problems with the links of one page served at `page_url` (empty when all resolve)."""
    problems: list[str] = []
    parsed = parse(html_path)
    for tag, attr, value in parsed.urls:
        if value.startswith("#"):  # this document, wherever it is served (404.html anywhere)
            if value[1:] and unquote(value[1:]) not in parsed.ids:
                problems.append(f"{tag} {attr}={value!r}: no element with that id")
            continue
        target, fragment = urldefrag(urljoin(page_url, value))
        parts = urlsplit(target)
        if parts.scheme == "mailto":
            continue
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"{tag} {attr}={value!r}: not a valid URL")
            continue
        local = target if target.startswith(local_base) else to_local(target, local_base)
        if local is None:
            continue  # another site: only its syntax is checked
        status, body = fetch(local)
        if status != 200:
            problems.append(f"{tag} {attr}={value!r}: HTTP {status} for {local}")
        elif fragment and b'id="' + unquote(fragment).encode() + b'"' not in body:
            problems.append(f"{tag} {attr}={value!r}: no element with id {fragment!r}")
    return problems


def test_every_link_on_every_page_resolves(served: tuple[Path, str]) -> None:
    out, local_base = served
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 5
    problems: list[str] = []
    for html_path in pages:
        rel = html_path.relative_to(out).as_posix()
        page_url = local_base + rel
        status, _ = fetch(page_url)
        expected = 200
        assert status == expected, (page_url, status)
        problems += [f"{rel}: {p}" for p in check_links(page_url, html_path, local_base)]
    assert problems == []


def test_folder_urls_and_canonical_urls_work(served: tuple[Path, str]) -> None:
    """/profile/ and /profile/papers/x/ (the canonical form) serve the pages."""
    _, local_base = served
    assert fetch(local_base)[0] == 200
    assert fetch(local_base + "papers/journal2024/")[0] == 200


def test_404_page_links_work_at_any_depth(served: tuple[Path, str]) -> None:
    out, local_base = served
    for missing in ("nope.html", "papers/gone/", "a/b/c/d/"):
        url = local_base + missing
        status, body = fetch(url)
        assert status == 404 and b"Page not found" in body
        assert check_links(url, out / "404.html", local_base) == []


def test_sitemap_and_feed_urls_resolve(served: tuple[Path, str]) -> None:
    out, local_base = served
    urls: list[str] = []
    sitemap = ET.parse(out / "sitemap.xml").getroot()
    urls += [
        el.text or "" for el in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    feed = ET.parse(out / "feed.xml").getroot()
    urls += [el.get("href", "") for el in feed.iter("{http://www.w3.org/2005/Atom}link")]
    urls += [el.text or "" for el in feed.iter("{http://www.w3.org/2005/Atom}icon")]
    assert len(urls) > 6
    for url in urls:
        local = to_local(url, local_base)
        assert local is not None, url
        assert fetch(local)[0] == 200, url


def test_example_site_links_resolve(tmp_path: Path) -> None:
    """The repository's own example site, served the same way."""
    site = copy_example_site(tmp_path / "example")
    out = tmp_path / "out"
    build_site(site, output=out, base_url=BASE_URL)
    with http_server(make_handler(out)) as url:
        local_base = url.rstrip("/") + PREFIX
        problems: list[str] = []
        for html_path in sorted(out.rglob("*.html")):
            rel = html_path.relative_to(out).as_posix()
            problems += [
                f"{rel}: {p}" for p in check_links(local_base + rel, html_path, local_base)
            ]
        assert problems == []
