"""Markdown (bio, pages) to HTML: CommonMark, raw HTML off, tables, footnotes, $math$ as MathML."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from generator import latex
from generator.urls import safe_url


def _math(content: str, display: bool) -> str:
    return latex.convert(f"$${content}$$" if display else f"${content}$").html


def _valid_link(url: str) -> bool:
    return safe_url(url) is not None


def _make() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.use(footnote_plugin)
    md.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        renderer=_math,
    )
    md.validateLink = _valid_link  # type: ignore[method-assign]

    def math_inline(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return _math(tokens[idx].content, False)

    def math_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return f'<div class="math-block">{_math(tokens[idx].content, True)}</div>\n'

    md.add_render_rule("math_inline", math_inline)
    md.add_render_rule("math_block", math_block)
    return md


def render_markdown(source: str) -> str:
    """Render Markdown to safe HTML; a fresh parser per call keeps the module free of state."""
    rendered: str = _make().render(source)
    return rendered


# Elements that end a run of text: their boundary is a space in the plain text. Any other element
# (em, strong, a, code, sub, sup, span, the parts of a formula) joins its text to its neighbours,
# so `**deep**-learning` stays "deep-learning" and `$x$.` stays "x.".
_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
     "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "img",
     "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
     "th", "thead", "tr", "ul"}
)  # fmt: skip
# Footnote markers ("[1]") and back-links ("↩") are navigation, not text.
_SKIPPED_CLASSES = frozenset({"footnote-ref", "footnote-backref"})
_INVISIBLE = dict.fromkeys(map(ord, "\u2061\u2062\u2063\u2064\u200b"))  # function application ...
# MathML layouts written out in plain text: what goes before and after each child, and whether a
# child of more than one symbol is put in parentheses (10^(−8), (a+b)/2, √(x+1), √(x)[3])
_MATH_LAYOUT: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "msup": (("", "", False), ("^", "", True)),
    "msub": (("", "", False), ("_", "", True)),
    "msubsup": (("", "", False), ("_", "", True), ("^", "", True)),
    "mfrac": (("", "", True), ("/", "", True)),
    "msqrt": (("√", "", True),),
    "mroot": (("√", "", True), ("[", "]", False)),
}


@dataclass
class _MathElement:
    """An open element inside <math> while its text is collected (mutable, parser-local)."""

    tag: str
    start: int  # index in the parts where its text begins
    after: str  # written when it closes
    wrap: bool  # parenthesise its text if more than one symbol
    children: int = 0


class _TextExtractor(HTMLParser):
    """The visible text of an HTML fragment, words separated as a reader sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []  # open skipped elements (their tags, nested)
        self._math: list[_MathElement] = []  # the open elements inside <math>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping:
            self._skipping.append(tag)
            return
        classes = set((dict(attrs).get("class") or "").split())
        if classes & _SKIPPED_CLASSES:
            self._skipping.append(tag)
        elif self._math or tag == "math":
            self._math_start(tag)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def _math_start(self, tag: str) -> None:
        after, wrap = "", False
        if self._math:
            parent = self._math[-1]
            layout = _MATH_LAYOUT.get(parent.tag, ())
            if parent.tag == "msqrt" and parent.children > 0:  # msqrt's children are one row
                layout = ()
            if parent.children < len(layout):
                before, after, wrap = layout[parent.children]
                self.parts.append(before)
            parent.children += 1
        self._math.append(_MathElement(tag, len(self.parts), after, wrap))

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            self._skipping.pop()
        elif self._math:
            closed = self._math.pop()
            text = "".join(self.parts[closed.start :])
            if closed.wrap and len(text.strip()) > 1 and not text.strip().isalnum():
                self.parts[closed.start :] = [f"({text.strip()})"]
            self.parts.append(closed.after)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        text = data.translate(_INVISIBLE)
        if self._math and self._math[-1].tag == "mi" and len(text.strip()) > 1:
            text = f" {text.strip()} "  # an operator name: log, sin, max
        self.parts.append(text)


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment, for meta descriptions, JSON-LD and search: one line,
    single spaces, a space only where the reader sees one (a line break, a paragraph, a list
    item), none where markup only changes the look (`**bold**,` is "bold,")."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())
