"""Markdown (bio, pages) to HTML: CommonMark, raw HTML off, tables, footnotes, $math$ as MathML."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
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


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment, for meta descriptions and search."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
