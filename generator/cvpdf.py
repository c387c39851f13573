"""cv.pdf: the CV page printed by WeasyPrint, from the same HTML and the theme's print styles.

One source, web and PDF: the PDF is the built `cv/index.html` as a printer sees it (the theme's
`@media print` rules hide the navigation, the footer and the "PDF" link, so the PDF never offers
itself). WeasyPrint is an optional dependency (`pip install 'scholarpage[pdf]'`), imported only
when site.yaml says `cv_pdf: true`.

It reads nothing from the disk or the network: every URL the page names is answered from the
build's own outputs (style sheet, images under files/), anything else is refused. Relative links
become absolute under base_url (so a link in the PDF leads to the site); without base_url they
would lead nowhere and are printed as plain text.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from generator.cv import CV_PAGE, CV_PDF
from generator.errors import ScholarpageError
from generator.model import Output, Site, SiteConfig

INSTALL = "pip install 'scholarpage[pdf]'"
_NOWHERE = "https://cv.scholarpage.invalid/"
_LOCAL_HREF = re.compile(r'(<a\b[^>]*?)\shref="(?![a-zA-Z][a-zA-Z0-9+.-]*:|#)[^"]*"')


def unlink_local(page: str) -> str:
    """The page with its relative links turned into plain text (an `<a>` without href): in a
    PDF made without base_url they would point at a made-up host. Links within the page
    (#...) stay: they work inside the PDF."""
    return _LOCAL_HREF.sub(r"\1", page)


def _line(config: SiteConfig) -> int | None:
    return dict(config.key_lines).get("cv_pdf")


def weasyprint(config: SiteConfig) -> ModuleType:
    """The weasyprint module, or an error at site.yaml's `cv_pdf` line saying what to install."""
    try:
        import weasyprint as module
    except ImportError:
        raise ScholarpageError.single(
            "cv_pdf: true needs WeasyPrint, which is not installed",
            file=config.config_file,
            line=_line(config),
            key="cv_pdf",
            hint=f"run {INSTALL} (or set cv_pdf: false)",
        ) from None
    except OSError as exc:  # installed, but its system libraries (Pango) are missing
        raise ScholarpageError.single(
            f"cv_pdf: true needs WeasyPrint, which cannot load its libraries ({exc})",
            file=config.config_file,
            line=_line(config),
            key="cv_pdf",
            hint="install Pango, e.g. apt-get install libpango-1.0-0 libpangoft2-1.0-0",
        ) from None
    found: ModuleType = module
    return found


def _fetcher(module: ModuleType, root: str, files: Mapping[str, bytes]) -> Any:
    """A URL fetcher that answers from `files` (output path -> bytes) under `root` only."""

    def lookup(url: str) -> tuple[bytes, str]:
        if not url.startswith(root):
            raise ValueError(f"not part of the site: {url}")
        path = unquote(urlsplit(url).path)[len(urlsplit(root).path) :]
        if path not in files:
            raise ValueError(f"not in the built site: {path}")
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return files[path], kind

    urls = getattr(module, "urls", None)
    base = getattr(urls, "URLFetcher", None)
    if base is None:  # WeasyPrint before URLFetcher: a function returning a dict

        def fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
            data, kind = lookup(url)
            return {"string": data, "mime_type": kind, "redirected_url": url}

        return fetch
    response = urls.URLFetcherResponse  # type: ignore[union-attr]

    class SiteFetcher(base):  # type: ignore[misc, valid-type]
        def fetch(self, url: str, headers: Any = None) -> Any:
            data, kind = lookup(url)
            return response(url, data, {"Content-Type": kind})

    return SiteFetcher()


def cv_pdf_outputs(site: Site, outputs: Sequence[Output]) -> tuple[Output, ...]:
    """cv.pdf when site.yaml asks for it and the site has a CV; else nothing."""
    config = site.config
    if not config.cv_pdf or site.content is None or site.content.cv is None:
        return ()
    files = {o.path: o.content for o in outputs}
    page = files.get(CV_PAGE)
    if page is None:
        return ()
    module = weasyprint(config)
    root = config.base_url or _NOWHERE
    text = page.decode("utf-8")
    document = module.HTML(
        string=text if config.base_url else unlink_local(text),
        base_url=root + CV_PAGE,
        url_fetcher=_fetcher(module, root, files),
        media_type="print",
    )
    try:
        pdf = document.write_pdf()
    except Exception as exc:  # WeasyPrint's own failure on a page we made: say so, do not crash
        raise ScholarpageError.single(
            f"WeasyPrint could not print the CV to {CV_PDF}: {type(exc).__name__}: {exc}",
            file=config.config_file,
            line=_line(config),
            key="cv_pdf",
            hint="set cv_pdf: false to build without it, and report the problem",
        ) from None
    return (Output(CV_PDF, bytes(pdf)),)
