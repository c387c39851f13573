"""Text mode: the single-pass tokenizer for BibTeX field values, and ``convert`` on top of it.

A general LaTeX parser (pylatexenc's LatexWalker) is ~20x too slow for thousands of abstracts,
so this is a hand-written state machine: a regular expression finds the next character that can
start something other than plain text, and tables decide what it becomes. Every output goes to
two buffers at once, the HTML and the plain text.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from generator.latex.escape import WJ, WS, collapse, esc
from generator.latex.math import math_markup
from generator.latex.repair import repair
from generator.latex.tables import (
    ACCENT_ALONE,
    ACCENTS,
    ARG_MARKUP,
    CONTROL_SYMBOLS,
    DROP_ARG,
    IGNORED,
    LENGTH,
    LETTER_MACROS,
    LETTERS_RE,
    MATH_SYMBOLS,
    PUNCTUATION,
    SKIP_GROUP,
    SKIP_LENGTH,
    SPACES_RE,
    SWITCHES,
    SYMBOL_MACROS,
    TEXT_MATH_ACCENTS,
    TEXT_SYMBOLS,
    UNDOTTED,
)

__all__ = ["Rendered", "convert"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One converted value: HTML for pages, plain text for everything else, plus diagnostics."""

    html: str
    text: str
    unknown_macros: tuple[str, ...]
    has_math: bool
    bare_percent: bool


def convert(source: str) -> Rendered:
    """Convert one BibTeX field value (LaTeX) into safe HTML and plain text."""
    for special in _FAST_CHARS:  # a dozen C-speed scans beat one regex scan
        if special in source:
            break
    else:
        plain = collapse(source)
        return Rendered(plain, plain, (), False, False)
    try:
        return _convert(source)
    except Exception:  # a safety net: a page must build even if some value defeats the parser
        return _fallback(source)


# Characters that can start something other than plain text. "-" only matters as "--".
_FAST_CHARS = ("\\", "{", "}", "$", "~", "'", "`", '"', "<", ">", "&", "%", "--")
_BS_LETTER = re.compile(r"\\(?=[A-Za-z])")
_BS_LETTER_HTML = re.compile(r"\\(?=[A-Za-z<])")
_FALLBACK_STRIP = re.compile(r"\\[A-Za-z]+|[\\{}$]")


def _convert(source: str) -> Rendered:
    """``convert`` for a value that has something besides plain text."""
    st = _State()
    _render(repair(source), st)
    while st.stack:
        st.close_frame()
    html = collapse("".join(st.h))
    text = collapse("".join(st.t))
    if "\\" in text:
        text = _BS_LETTER.sub("\\\\" + WJ, text)
        html = _BS_LETTER_HTML.sub("\\\\" + WJ, html)
    return Rendered(html, text, tuple(st.unknown), st.has_math, st.bare_percent)


def _fallback(source: str) -> Rendered:
    """Last resort when the tokenizer fails: the text with all LaTeX syntax removed."""
    text = WS.sub(" ", _FALLBACK_STRIP.sub("", source)).strip(" ")
    return Rendered(esc(text), text, (), False, "%" in source)


# ---------------------------------------------------------------------------------------------
# State of one conversion.

_ROOT, _BRACE, _TAG, _LINK = 0, 1, 2, 3


class _Frame:
    """An open group: a brace group, an inline HTML tag, or a link; closers run when it ends."""

    __slots__ = ("closers", "kind", "tag")

    def __init__(self, kind: int, tag: str = "") -> None:
        self.kind = kind
        self.tag = tag
        self.closers: list[tuple[str, str]] = []


class _State:
    """Per-call output buffers; lives only for one ``convert`` call."""

    __slots__ = ("bare_percent", "h", "has_math", "links", "stack", "t", "unknown")

    def __init__(self) -> None:
        self.h: list[str] = []
        self.t: list[str] = []
        self.unknown: dict[str, None] = {}
        self.has_math = False
        self.bare_percent = False
        self.stack: list[_Frame] = [_Frame(_ROOT)]
        self.links = 0

    def emit(self, html: str, text: str) -> None:
        """One piece of output, in its HTML and its plain-text form (the hottest paths append
        to ``h`` and ``t`` themselves: a method call per formula or accent shows in the
        benchmark)."""
        self.h.append(html)
        self.t.append(text)

    def close_frame(self) -> None:
        """End the innermost group: run its closers (``</em>``, a closing quote, ``</a>``)."""
        frame = self.stack.pop()
        for html_close, text_close in reversed(frame.closers):
            self.h.append(html_close)
            if text_close:
                self.t.append(text_close)
        if frame.kind == _LINK:
            self.links -= 1


# ---------------------------------------------------------------------------------------------
# The tokenizer.


def _render(s: str, st: _State) -> None:
    """Tokenize ``s`` and append its HTML and text to ``st``."""
    h = st.h
    t = st.t
    n = len(s)
    i = 0
    search = _SPECIAL.search
    punctuation = PUNCTUATION.get
    while i < n:
        m = search(s, i)
        if m is None:
            chunk = s[i:]
            h.append(chunk)
            t.append(chunk)
            break
        j = m.start()
        if j > i:
            chunk = s[i:j]
            h.append(chunk)
            t.append(chunk)
        c = s[j]  # the commonest tokens are one character: no need to ask the match
        if c == "\\":
            i = _macro(s, j + 1, st)
        elif c == "{":
            st.stack.append(_Frame(_BRACE))
            i = j + 1
        elif c == "}":
            # Close the innermost brace group or link (and tags left open in it); an unmatched
            # "}" is dropped.
            if any(f.kind != _ROOT and f.kind != _TAG for f in st.stack):
                while True:
                    kind = st.stack[-1].kind
                    st.close_frame()
                    if kind in (_BRACE, _LINK):
                        break
            i = j + 1
        else:
            token = m.group()
            pair = punctuation(token)
            if pair is not None:
                h.append(pair[0])
                t.append(pair[1])
                i = m.end()
            else:
                i = _SPECIALS[token](s, j, st)


_HTML_TAG = re.compile(r"<(/?)(sub|sup|i|b|em|strong)>", re.IGNORECASE)
_HTML_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _angle(s: str, j: int, st: _State) -> int:
    """``<`` at ``s[j]``: an allowlisted inline HTML tag, a line break, or an escaped char."""
    m = _HTML_TAG.match(s, j)
    if m is not None:
        tag = m.group(2).lower()
        if not m.group(1):
            frame = _Frame(_TAG, tag)
            frame.closers.append((f"</{tag}>", ""))
            st.stack.append(frame)
            st.h.append(f"<{tag}>")
        else:
            top = st.stack[-1]
            if top.kind == _TAG and top.tag == tag:
                st.close_frame()
        return m.end()
    m = _HTML_BR.match(s, j)
    if m is not None:
        st.emit(" ", " ")
        return m.end()
    st.emit("&lt;", "<")
    return j + 1


def _ampersand(s: str, j: int, st: _State) -> int:
    """``&`` at ``s[j]``: an HTML entity (exports contain them) or a literal ampersand."""
    m = _ENTITY.match(s, j)
    if m is None:
        st.emit("&amp;", "&")
        return j + 1
    ch = _html.unescape(m.group())
    st.emit(esc(ch), ch)
    return m.end()


def _percent(s: str, j: int, st: _State) -> int:
    """A bare ``%``: shown as is (BibTeX keeps it), and flagged, since LaTeX would drop the rest."""
    st.emit("%", "%")
    st.bare_percent = True
    return j + 1


def _dollar(s: str, j: int, st: _State) -> int:
    """``$`` at ``s[j]``: inline or display math; an unterminated ``$`` is a literal dollar."""
    if s.startswith("$$", j):
        end = s.find("$$", j + 2)
        if end >= 0:
            _math(s[j + 2 : end], True, st)
            return end + 2
    else:
        k = j + 1
        while True:
            end = s.find("$", k)
            if end < 0:
                break
            if s[end - 1] == "\\":
                k = end + 1
                continue
            _math(s[j + 1 : end], False, st)
            return end + 1
    st.emit("$", "$")
    return j + 1


def _math(tex: str, display: bool, st: _State) -> None:
    """A formula (without its delimiters) as MathML, or as text when it cannot be."""
    html, text, is_mathml = math_markup(tex, display, st.unknown)
    st.h.append(html)
    st.t.append(text)
    if is_mathml:
        st.has_math = True


# Specials other than punctuation, braces and backslash: what handles each.
_SPECIALS: Mapping[str, Callable[[str, int, _State], int]] = MappingProxyType(
    {"$": _dollar, "<": _angle, "&": _ampersand, "%": _percent}
)


def _longest_first(token: str) -> tuple[int, str]:
    """Sort key: "---" before "--", "``" before "`"; ties alphabetical, so the pattern is stable."""
    return -len(token), token


# Every token the scan stops at, longest first so ligatures match whole. Literal alternatives
# only, so the search can skip ahead by first character.
_SPECIAL = re.compile(
    "|".join(
        re.escape(token)
        for token in sorted({*PUNCTUATION, *_SPECIALS, "\\", "{", "}"}, key=_longest_first)
    )
)


# ---------------------------------------------------------------------------------------------
# Macros.


def _macro(s: str, i: int, st: _State) -> int:
    """A backslash was at ``s[i-1]``: handle the command and return where to continue."""
    n = len(s)
    if i >= n:
        return i  # trailing backslash: nothing to show
    c = s[i]
    if not ("a" <= c <= "z" or "A" <= c <= "Z"):
        if c in ACCENTS:  # the commonest control symbols: \'e, \"u
            return _accent(s, i + 1, c, st)
        return _control_symbol(s, i + 1, c, st)
    m = LETTERS_RE.match(s, i)
    assert m is not None
    name = m.group()
    j = m.end()
    k = SPACES_RE.match(s, j).end()  # type: ignore[union-attr]
    handler = _MACROS.get(name)
    if handler is None:
        st.unknown.setdefault("\\" + name, None)
        return k
    return handler(s, name, j, k, st)


def _control_symbol(s: str, i: int, c: str, st: _State) -> int:
    """A backslash and the non-letter ``c`` (not an accent), which was at ``s[i-1]``."""
    pair = CONTROL_SYMBOLS.get(c)
    if pair is not None:
        st.emit(*pair)
        return i
    if c == "(" or c == "[":
        close = "\\)" if c == "(" else "\\]"
        end = s.find(close, i)
        end = len(s) if end < 0 else end
        _math(s[i:end], c == "[", st)
        return end + 2
    st.unknown.setdefault("\\" + c, None)
    if not c.isspace():
        st.emit(esc(c), c)
    return i


# Each handler gets the source, the macro's name, the index after the name and the index after
# the spaces that follow it; it returns where to continue.
_Handler = Callable[[str, str, int, int, _State], int]


def _symbol(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A symbol macro (``\\S``, ``\\LaTeX``); an empty group after it is eaten, spaces kept."""
    st.emit(*_SYMBOL_PAIRS[name])
    return k + 2 if s.startswith("{}", k) else j


def _backslash(s: str, name: str, j: int, k: int, st: _State) -> int:
    """``\\backslash`` keeps the space after it; TeX eats the one after ``\\textbackslash``
    ("C:\\textbackslash Users" is "C:\\Users")."""
    st.emit("\\", "\\")
    if name == "backslash":
        return j
    return k + 2 if s.startswith("{}", k) else k


def _markup(s: str, name: str, j: int, k: int, st: _State) -> int:
    """``\\emph{...}`` and friends: open a group that closes the markup when it ends."""
    if k < len(s) and s[k] == "{":
        hopen, hclose, topen, tclose = ARG_MARKUP[name]
        frame = _Frame(_BRACE)
        frame.closers.append((hclose, tclose))
        st.stack.append(frame)
        st.h.append(hopen)
        if topen:
            st.t.append(topen)
        return k + 1
    return k


def _letter(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A letter (``\\ss``, ``\\o``); TeX eats the space after it ("Stra\\ss e")."""
    out = LETTER_MACROS[name]
    st.emit(out, out)
    return k


def _text_accent(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A lettered accent (``\\v s``, ``\\c{c}``): the argument may follow after spaces."""
    return _accent(s, k, name, st)


def _math_accent(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A math accent met in text, e.g. Zotero's "(1\\bar101)": the matching text accent."""
    return _accent(s, k, TEXT_MATH_ACCENTS[name], st)


def _switch(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A declaration (``\\em``, ``\\bfseries``) applying to the rest of the enclosing group."""
    hopen, hclose = SWITCHES[name]
    st.h.append(hopen)
    st.stack[-1].closers.append((hclose, ""))
    return k


def _ignored(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A known macro that shows nothing (``\\relax``); its arguments, if any, render."""
    return k


def _drop_arg(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A macro whose argument is not shown (``\\noopsort{a}``, ``\\vphantom{x}``)."""
    return _skip_arg(s, k)


def _skip_length(s: str, name: str, j: int, k: int, st: _State) -> int:
    """``\\kern-.15em``: the length is consumed, not shown."""
    m = LENGTH.match(s, j)
    return k if m is None else m.end()


def _skip_group(s: str, name: str, j: int, k: int, st: _State) -> int:
    """``\\hspace*{1em}``: star and group are consumed, not shown."""
    if s.startswith("*", k):
        k = SPACES_RE.match(s, k + 1).end()  # type: ignore[union-attr]
    if k < len(s) and s[k] == "{":
        return _match_brace(s, k) + 1
    return k


def _link_macro(s: str, name: str, j: int, k: int, st: _State) -> int:
    """``\\url``, ``\\href``, ``\\path``: see ``_link``."""
    return _link(s, name, k, st)


def _text_symbol(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A symbol from pylatexenc's table; the space after it is kept."""
    st.emit(*_TEXT_SYMBOL_PAIRS[name])
    return j


def _text_letter_symbol(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A letter from pylatexenc's table (``\\eth``): like ``\\ss``, it eats the space after it."""
    st.emit(*_TEXT_SYMBOL_PAIRS[name])
    return k


def _math_symbol(s: str, name: str, j: int, k: int, st: _State) -> int:
    """A math symbol met in text (``\\alpha``, ``\\times``)."""
    st.emit(*_MATH_SYMBOL_PAIRS[name])
    return j


def _pairs(table: Mapping[str, str]) -> Mapping[str, tuple[str, str]]:
    """Each symbol's (HTML, text), escaped once here rather than at every use."""
    return MappingProxyType({name: (esc(out), out) for name, out in table.items()})


def _macro_table() -> Mapping[str, _Handler]:
    """Each known macro's handler; the first table that knows a name decides."""
    table: dict[str, _Handler] = {}
    text_symbols = {
        name: (
            _text_letter_symbol
            if name[0].islower() and len(out) == 1 and out.isalpha()
            else _text_symbol
        )
        for name, out in TEXT_SYMBOLS.items()
    }
    for names, handler in (
        ([name for name, out in SYMBOL_MACROS.items() if out == "\\"], _backslash),
        (SYMBOL_MACROS, _symbol),
        (ARG_MARKUP, _markup),
        (LETTER_MACROS, _letter),
        (ACCENTS, _text_accent),
        (TEXT_MATH_ACCENTS, _math_accent),
        (SWITCHES, _switch),
        (IGNORED, _ignored),
        (DROP_ARG, _drop_arg),
        (SKIP_LENGTH, _skip_length),
        (SKIP_GROUP, _skip_group),
        (("url", "href", "path"), _link_macro),
    ):
        for name in names:
            table.setdefault(name, handler)
    for name, handler in text_symbols.items():
        table.setdefault(name, handler)
    for name in MATH_SYMBOLS:
        table.setdefault(name, _math_symbol)
    return MappingProxyType(table)


_SYMBOL_PAIRS = _pairs(SYMBOL_MACROS)
_TEXT_SYMBOL_PAIRS = _pairs(TEXT_SYMBOLS)
_MATH_SYMBOL_PAIRS = _pairs(MATH_SYMBOLS)
_MACROS = _macro_table()


# ---------------------------------------------------------------------------------------------
# Arguments: groups, accents, links.


def _match_brace(s: str, i: int) -> int:
    """Index of the brace closing the one at ``s[i]``, or ``len(s)`` if it is never closed."""
    depth = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n


def _skip_arg(s: str, k: int) -> int:
    """Skip one macro argument at ``s[k]``: a group, a control sequence or one character.

    Better BibTeX writes "\\{\\vphantom\\}{{GaN}}\\vphantom\\{\\}": each phantom eats the escaped
    brace after it, as in TeX, so the other brace of each pair is shown."""
    n = len(s)
    if k >= n:
        return k
    c = s[k]
    if c == "{":
        return _match_brace(s, k) + 1
    if c == "\\":
        m = LETTERS_RE.match(s, k + 1)
        return m.end() if m is not None else min(k + 2, n)
    if c == "}":
        return k
    return k + 1


def _accent(s: str, i: int, cmd: str, st: _State) -> int:
    """Accent command ``cmd`` whose argument starts at ``s[i]``."""
    n = len(s)
    while i < n and s[i] in " \t\n\r":
        i += 1
    if i >= n or s[i] in "}$%<>&":
        alone = ACCENT_ALONE[cmd]
        st.emit(esc(alone), alone)
        return i
    c = s[i]
    if c == "{":
        end = _match_brace(s, i)
        base = _accent_group(s[i + 1 : end].strip(), st)
        nxt = end + 1
    elif c == "\\":
        m = LETTERS_RE.match(s, i + 1)
        if m is None or m.group() not in ("i", "j"):
            # An accent on something complicated: show the accent, let the rest render.
            alone = ACCENT_ALONE[cmd]
            st.emit(esc(alone), alone)
            return i
        base = "ı" if m.group() == "i" else "ȷ"
        nxt = m.end()
        if s.startswith("{}", nxt):
            nxt += 2
    else:
        base = c
        nxt = i + 1
    if not base:
        out = ACCENT_ALONE[cmd]
    else:
        # An accent on a dotless i/j means an accented i/j ("\\=\\i" is ī).
        first = UNDOTTED.get(base[0], base[0])
        out = unicodedata.normalize("NFC", first + ACCENTS[cmd]) + base[1:]
    st.h.append(esc(out))
    st.t.append(out)
    return nxt


def _accent_group(inner: str, st: _State) -> str:
    """The text an accent's braced argument stands for (``{e}``, ``{\\i}``, ``{\\emph{o}}``)."""
    if len(inner) == 1 and inner not in "\\{}$%~<>&":
        return inner
    if inner in ("\\i", "\\j", "{\\i}", "{\\j}", "\\i{}", "\\j{}"):
        return "ı" if "i" in inner else "ȷ"
    if not inner:
        return ""
    sub = _State()
    _render(inner, sub)
    while len(sub.stack) > 1:
        sub.close_frame()
    for name in sub.unknown:
        st.unknown.setdefault(name, None)
    st.bare_percent = st.bare_percent or sub.bare_percent
    return WS.sub(" ", "".join(sub.t)).strip()


_URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_SAFE_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto", "ftp"})


def _link(s: str, name: str, k: int, st: _State) -> int:
    """``\\url{..}``, ``\\path{..}``, ``\\href{url}{text}``; a link only for safe URLs."""
    n = len(s)
    if k >= n or s[k] != "{":
        return k
    end = _match_brace(s, k)
    url = _unescape_url(s[k + 1 : end])
    if "\\" in url or "{" in url:
        # Not a plain URL: render the argument as ordinary text.
        return k
    nxt = end + 1
    href = _safe_url(url)
    if name == "href":
        m = SPACES_RE.match(s, nxt)
        after = m.end() if m is not None else nxt
        if after < n and s[after] == "{":
            if href is not None and st.links == 0:
                frame = _Frame(_LINK)
                frame.closers.append(("</a>", ""))
                st.stack.append(frame)
                st.links += 1
                st.h.append(f'<a href="{esc(href)}">')
            else:
                st.stack.append(_Frame(_BRACE))
            return after + 1
    if href is not None and st.links == 0:
        st.h.append(f'<a href="{esc(href)}">{esc(url)}</a>')
    else:
        st.h.append(esc(url))
    st.t.append(url)
    return nxt


def _safe_url(url: str) -> str | None:
    """The URL cleaned for an href, or None when its scheme could run code (javascript: ...)."""
    url = _URL_JUNK.sub("", url)
    if not url:
        return None
    m = _URL_SCHEME.match(url)
    if m is not None and m.group(1).lower() not in _SAFE_SCHEMES:
        return None
    return url


def _unescape_url(raw: str) -> str:
    """The URL an author meant: BibTeX URLs often carry LaTeX escapes (``\\_``, ``\\%``)."""
    for a, b in (("\\%", "%"), ("\\_", "_"), ("\\#", "#"), ("\\&", "&"), ("\\~", "~")):
        if a in raw:
            raw = raw.replace(a, b)
    return raw.strip()
