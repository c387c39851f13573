"""One line of rich text in a CV: inline Markdown plus the few inline HTML tags al-folio's files
use (`<a href>`, `<u>`, `<b>`, `<em>`, `<br>`, ...), so an al-folio `cv.yml` reads as it is.

Everything else stays text: the line goes through markdown-it with inline HTML passed on, then
through a whitelist rebuilt from parsed tokens (a tag not on the list, a comment, an unsafe
href, an unbalanced end tag is written out as escaped text). Only tag names from the list and
escaped values ever reach the page, so `<script>`, `onerror=` or `javascript:` show as what they
are and never run.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from generator.urls import safe_url

ALLOWED = frozenset(
    {
        "a",
        "abbr",
        "b",
        "br",
        "code",
        "del",
        "em",
        "i",
        "kbd",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "u",
    }
)
VOID = frozenset({"br"})


class _Whitelist(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def _as_text(self) -> None:
        self.out.append(html.escape(self.get_starttag_text() or "", quote=False))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self._as_text()
            return
        kept = ""
        for name, value in attrs:
            if value is None:
                continue
            if tag == "a" and name == "href":
                url = safe_url(value)
                if url is not None:
                    kept += f' href="{html.escape(url)}"'
            elif name == "title" and tag in ("a", "abbr"):
                kept += f' title="{html.escape(value)}"'
        self.out.append(f"<{tag}{kept}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            self.out.append(f"<{tag}>")
        else:
            self._as_text()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if tag not in self.open:
            self.out.append(html.escape(f"</{tag}>", quote=False))
            return
        while self.open:
            current = self.open.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data: str) -> None:
        self.out.append(html.escape(f"<!--{data}-->", quote=False))

    def handle_decl(self, decl: str) -> None:
        self.out.append(html.escape(f"<!{decl}>", quote=False))

    def handle_pi(self, data: str) -> None:
        self.out.append(html.escape(f"<?{data}>", quote=False))

    def unknown_decl(self, data: str) -> None:
        self.out.append(html.escape(f"<![{data}]>", quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.validateLink = lambda url: safe_url(url) is not None  # type: ignore[method-assign]
    return md


def clean_inline(fragment: str) -> str:
    """An HTML fragment reduced to the whitelist: what is not on it becomes visible text."""
    parser = _Whitelist()
    parser.feed(fragment)
    return parser.result()


def inline(source: str) -> str:
    """One line of CV text (Markdown and al-folio's inline HTML) as safe inline HTML."""
    rendered: str = _markdown().renderInline(" ".join(source.split()))
    return clean_inline(rendered)


def to_text(fragment: str) -> str:
    """The visible text of a fragment made here (for PDF metadata and JSON-LD)."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
