"""URL checks and page-relative links, shared by every stage that emits a link."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote, urlsplit

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp"})


def safe_url(url: str) -> str | None:
    """The URL if it is safe to put in href/src (http(s), mailto, ftp, or relative), else None."""
    value = url.strip()
    if not value or any(ord(c) < 32 for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme:
        if parts.scheme.lower() not in SAFE_SCHEMES:
            return None
        if parts.scheme.lower() in ("http", "https", "ftp") and not parts.netloc:
            return None
    elif value.startswith("//"):
        return None
    return value


_HOST_LIKE = re.compile(r"^(www\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.([A-Za-z]{2,6})(:\d+)?(/|$)")
_FILE_SUFFIXES = frozenset(
    {"pdf", "html", "htm", "txt", "bib", "ps", "gz", "zip", "pptx", "ppt", "key", "tar", "md"}
)


def link_target(value: str) -> tuple[str, str] | None:
    """How a paper's link field is meant: ("url", absolute URL) or ("file", site-relative path).

    Real exports write scheme-less web addresses (`www.wimedia.org`, `citeseer.nj.nec.com/x`):
    a first segment that reads as a host name is taken as https; anything else without a scheme
    is a file of the site (`files/a.pdf`). None for what is unsafe or empty.
    """
    url = safe_url(value)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme:
        return ("url", url)
    host = _HOST_LIKE.match(url)
    looks_like_host = host is not None and host.group(3).lower() not in _FILE_SUFFIXES
    if looks_like_host and (url.startswith("www.") or "/" in url or url.count(".") >= 2):
        return ("url", "https://" + url)
    return ("file", posixpath.normpath(parts.path))


def relative(from_page: str, target: str) -> str:
    """Page-relative link from output path `from_page` (e.g. papers/x/index.html) to `target`.

    Links keep their index.html so the same output works at a domain root, under a subpath, in
    serve and from file:// (where a folder link would open a directory listing).
    """
    source = from_page.split("/")[:-1]
    dest = target.split("/")
    common = 0
    while common < len(source) and common < len(dest) - 1 and source[common] == dest[common]:
        common += 1
    rel = "/".join([".."] * (len(source) - common) + dest[common:])
    return quote(rel, safe="/#?=&%.-_~")


def absolute(base_url: str, target: str) -> str:
    """Absolute URL of output path `target` under base_url ('' when no base_url is set)."""
    if not base_url:
        return ""
    if target.endswith("index.html"):
        target = target[: -len("index.html")]
    return base_url + quote(target, safe="/#?=&%.-_~")
