"""Exporter repair: undo what Zotero, Better BibTeX, Mendeley and Papers3 did to the LaTeX.

Runs on the raw value before the tokenizer, so the tokenizer only ever sees LaTeX as an author
would have written it. Each repair is a regular-expression pass that touches nothing unless its
exporter's tell-tale pattern is present.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from generator.latex.tables import (
    ACCENTS,
    ARG_MARKUP,
    DROP_ARG,
    IGNORED,
    LETTER_MACROS,
    LETTERS_RE,
    MATH_ACCENTS,
    MATH_DROP,
    MATH_FONTS,
    MATH_FUNCTIONS,
    MATH_SYMBOLS,
    SKIP_GROUP,
    SKIP_LENGTH,
    SPACES_RE,
    SWITCHES,
    SYMBOL_MACROS,
    TEXT_MATH_ACCENTS,
    TEXT_SYMBOLS,
)

__all__ = ["repair"]

_ZOTERO_BS = re.compile(r"\{\\textbackslash\}|\\textbackslash(?:\{\}|[ \t\n\r\f\v]+|(?![A-Za-z]))")
_ZOTERO_ESC = re.compile(
    r"\{\\textbackslash\}|\\textbackslash(?:\{\}|[ \t\n\r\f\v]+|(?![A-Za-z]))"
    r"|\{\\textdollar\}|\\textdollar(?:\{\}|\s+|(?![A-Za-z]))"
    r"|\{\\\^\{\}\}|\\\^\{\}|\\textasciicircum(?:\{\}|(?![A-Za-z]))"
    r"|\{\\~\{\}\}|\\~\{\}|\\textasciitilde(?:\{\}|(?![A-Za-z]))"
    r"|\\[$_{}&%#]"
)
_ZOTERO_CIRCUM = re.compile(
    r"\{\\\^\{\}\}|\\\^\{\}|\\textasciicircum(?:\{\}|(?![A-Za-z]))"
    r"|\{\\~\{\}\}|\\~\{\}|\\textasciitilde(?:\{\}|(?![A-Za-z]))"
)
_ZOTERO_MAP: Mapping[str, str] = MappingProxyType(
    {
        "{\\textdollar}": "$",
        "{\\^{}}": "^",
        "\\^{}": "^",
        "{\\~{}}": "~",
        "\\~{}": "~",
    }
)
_MENDELEY_ESC = re.compile(r"\$\\backslash\$|\\backslash ?|\{\\\$\}|\{\\([{}_])\}|\{\\\^\{\}\}")
_T1_TAG = re.compile(
    r"\\textexclamdown\s*(/?)([A-Za-z][A-Za-z0-9]*)\s*\\textquestiondown(?:\{\}|(?![A-Za-z]))"
)
_T1_INLINE: frozenset[str] = frozenset({"sub", "sup", "i", "b", "em", "strong"})


# Zotero, Better BibTeX and DBLP export a field holding LaTeX as text: "\\" becomes "\textbackslash"
# ("\textbackslash{}", "\textbackslash " or "{\textbackslash}") and "{", "}", "$", "&" are
# escaped too: "\$\_\{\textbackslash{}beta\}\$", "Taylor \textbackslash\& Francis". A
# "\textbackslash" is taken for an escaped LaTeX backslash only when what follows forms a command
# we know (with its argument, if it needs one), an escaped special character or an accent on a
# letter; otherwise ("C:\textbackslash Users", the "\textbackslash{}r" of a pasted "\r") it is a
# literal backslash and nothing after it is lost.
_ZOTERO_ARG_NAMES: frozenset[str] = frozenset(
    {*ARG_MARKUP, *DROP_ARG, *MATH_FONTS, *SKIP_GROUP, "url", "href", "path"}
)
_ZOTERO_NAMES: frozenset[str] = frozenset(
    {
        *SYMBOL_MACROS,
        *LETTER_MACROS,
        *TEXT_MATH_ACCENTS,
        *SWITCHES,
        *IGNORED,
        *TEXT_SYMBOLS,
        *MATH_SYMBOLS,
        *MATH_FUNCTIONS,
        *MATH_ACCENTS,
        *MATH_DROP,
        *SKIP_LENGTH,
        "quad",
        "qquad",
        "frac",
        "dfrac",
        "tfrac",
        "sqrt",
    }
)


def _zotero_command(s: str, k: int) -> bool:
    """Does the escaped backslash ending at ``s[k]`` start a LaTeX command, accent or escape?

    The names it knows (``_ZOTERO_NAMES``) come from the tokenizer's own tables."""
    n = len(s)
    if k >= n:
        return False
    c = s[k]
    if "a" <= c <= "z" or "A" <= c <= "Z":
        m = LETTERS_RE.match(s, k)
        assert m is not None
        name = m.group()
        if name in ACCENTS:  # "\textbackslash v s", not the "\textbackslash{}r" of "\r1550"
            return _zotero_arg(s, m.end(), True)
        if name in _ZOTERO_ARG_NAMES:  # "\textbackslash{}emph\{x\}", not "C:\textbackslash text"
            return _zotero_arg(s, m.end(), False)
        return name in _ZOTERO_NAMES
    if c == "\\" or c == "{":
        m = _ZOTERO_CIRCUM.match(s, k)
        if m is not None:  # an escaped accent: "\textbackslash\^{}o" was "\^o"
            return _zotero_arg(s, m.end(), True)
        # An escaped special: "\textbackslash\&" was "\&".
        return c == "\\" and k + 1 < n and s[k + 1] in "&%$#_{}"
    if c in ACCENTS:  # "\textbackslash{}'ia", "\textbackslash.enas"
        return _zotero_arg(s, k + 1, True)
    return False


def _zotero_arg(s: str, i: int, letter: bool) -> bool:
    """Is there an argument at ``s[i]``: a group or an escaped group (after spaces), or with
    ``letter`` a letter ("\\'e"), or a space and a single letter ("{\\v s}", not "\\b c2")?"""
    m = SPACES_RE.match(s, i)
    assert m is not None
    j = m.end()
    n = len(s)
    if j >= n:
        return False
    c = s[j]
    if c == "{" or s.startswith("\\{", j):
        return True
    if not letter or not ("a" <= c <= "z" or "A" <= c <= "Z"):
        return False
    if j == i:
        return True
    return j + 1 >= n or not s[j + 1].isalnum()


def repair(s: str) -> str:
    """Undo exporter damage so the tokenizer sees the LaTeX the author wrote."""
    if "backslash" in s:
        if "\\textbackslash" in s and any(
            _zotero_command(s, m.end()) for m in _ZOTERO_BS.finditer(s)
        ):
            s = _ZOTERO_ESC.sub(_zotero_sub, s)
        if "$\\backslash$" in s or "{\\$}" in s:
            # Mendeley: "R$\backslash$'enyi", "{\$}\backslash Phi{\$}", "{\{}...{\}}".
            s = _MENDELEY_ESC.sub(_mendeley_sub, s)
    if "\\textexclamdown" in s:
        # Papers3 pushed "<b>" through T1 encoding: "\textexclamdown b\textquestiondown".
        s = _T1_TAG.sub(_t1_sub, s)
    return s


def _zotero_sub(m: re.Match[str]) -> str:
    """One Zotero escape, unescaped."""
    g = m.group()
    hit = _ZOTERO_MAP.get(g)
    if hit is not None:
        return hit
    if g.startswith("\\textbackslash") or g == "{\\textbackslash}":
        # An escaped backslash, or a literal one that must stay literal in the unescaped string.
        return "\\" if _zotero_command(m.string, m.end()) else "\\textbackslash{}"
    if g.startswith("\\textdollar"):
        return "$"
    if g.startswith("\\textasciicircum"):
        return "^"
    if g.startswith("\\textasciitilde"):
        return "~"
    return g[1]


def _mendeley_sub(m: re.Match[str]) -> str:
    """One Mendeley escape, unescaped."""
    g = m.group()
    if g == "{\\$}":
        return "$"
    if g == "{\\^{}}":
        return "^"
    if m.group(1) is not None:
        return m.group(1)
    return "\\"


def _t1_sub(m: re.Match[str]) -> str:
    """A T1-mangled tag: the inline tag it was, or a space for any other tag."""
    tag = m.group(2).lower()
    if tag in _T1_INLINE:
        return f"<{m.group(1)}{tag}>"
    return " "
