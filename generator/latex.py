"""LaTeX in BibTeX field values -> safe HTML and plain text.

BibTeX values are LaTeX fragments written by people and mangled by exporters (Mendeley, Zotero,
Papers3). Pages need them as HTML that can be inserted as-is, and titles, feeds and search need
them as plain Unicode. This module is the one place that does it, with a hand-written single-pass
tokenizer: a general LaTeX parser (pylatexenc's LatexWalker) is ~20x too slow for thousands of
abstracts. Math goes to MathML through latex2mathml, whose output is re-sanitised because it
passes raw text and attributes (``\\href``, ``\\style``) through.

``convert`` is pure and never raises: whatever the input, the HTML is well formed, only uses a
small set of elements, and never shows a raw ``\\command``.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from dataclasses import dataclass

from latex2mathml.converter import convert as _latex2mathml
from pylatexenc.latexencode._uni2latexmap import uni2latex as _UNI2LATEX

__all__ = ["Rendered", "convert"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One converted value: HTML for pages, plain text for everything else, plus diagnostics."""

    html: str
    text: str
    unknown_macros: tuple[str, ...]
    has_math: bool
    bare_percent: bool


# ---------------------------------------------------------------------------------------------
# Constant tables (built once at import; never mutated afterwards).

# Characters that can start something other than plain text. "-" only matters as "--".
_FAST_CHARS = ("\\", "{", "}", "$", "~", "'", "`", '"', "<", ">", "&", "%", "--")
_SPECIAL = re.compile(r"[\\{}$~'`\"<>&%-]")
_WS = re.compile(r"[ \t\n\r\f\v]+")
_LETTERS_RE = re.compile(r"[A-Za-z]+")
_SPACES_RE = re.compile(r"[ \t\n\r\f\v]*")

_WJ = "\u2060"  # word joiner: keeps a literal backslash from reading as a command

# Accents: command -> combining mark; spacing form for an empty argument (`\~{}` -> "~").
_ACCENTS: dict[str, str] = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
    "t": "\u0361",
}
_ACCENT_ALONE: dict[str, str] = {
    "'": "\u00b4",
    "`": "`",
    "^": "^",
    '"': "\u00a8",
    "~": "~",
    "=": "\u00af",
    ".": "\u02d9",
    "u": "\u02d8",
    "v": "\u02c7",
    "H": "\u02dd",
    "c": "\u00b8",
    "k": "\u02db",
    "r": "\u02da",
    "d": "",
    "b": "",
    "t": "",
}

# Control words producing a letter: TeX eats the space after them ("Stra\ss e").
_LETTER_MACROS: dict[str, str] = {
    "ss": "ß",
    "SS": "SS",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "dj": "đ",
    "DJ": "Đ",
}

# Control words producing a symbol or word. The space after them is kept, because in BibTeX
# data "\LaTeX is" almost always means "LaTeX is".
_SYMBOL_MACROS: dict[str, str] = {
    "textendash": "\u2013",
    "textemdash": "\u2014",
    "textexclamdown": "¡",
    "textquestiondown": "¿",
    "textbackslash": "\\",
    "backslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textregistered": "®",
    "texttrademark": "™",
    "copyright": "©",
    "textcopyright": "©",
    "S": "§",
    "P": "¶",
    "textsection": "§",
    "textparagraph": "¶",
    "dag": "†",
    "ddag": "‡",
    "textdagger": "†",
    "textdaggerdbl": "‡",
    "pounds": "£",
    "textsterling": "£",
    "textdollar": "$",
    "texteuro": "€",
    "euro": "€",
    "textcent": "¢",
    "textyen": "¥",
    "dots": "…",
    "ldots": "…",
    "textellipsis": "…",
    "textbullet": "•",
    "textperiodcentered": "·",
    "textdegree": "°",
    "textmu": "µ",
    "texttimes": "×",
    "textdiv": "÷",
    "textpm": "±",
    "textquoteleft": "\u2018",
    "textquoteright": "\u2019",
    "textquotedblleft": "\u201c",
    "textquotedblright": "\u201d",
    "textquotesingle": "'",
    "textquotedbl": '"',
    "guillemotleft": "«",
    "guillemotright": "»",
    "guilsinglleft": "‹",
    "guilsinglright": "›",
    "textless": "<",
    "textgreater": ">",
    "textbar": "|",
    "textunderscore": "_",
    "textbraceleft": "{",
    "textbraceright": "}",
    "textasciimacron": "¯",
    "textordfeminine": "ª",
    "textordmasculine": "º",
    "textonehalf": "½",
    "textonequarter": "¼",
    "textthreequarters": "¾",
    "textperthousand": "‰",
    "textnumero": "№",
    "textvisiblespace": "␣",
    "slash": "/",
    "textslash": "/",
    "textfraction": "⁄",
    "textminus": "\u2212",
    "textasteriskcentered": "∗",
    "quad": " ",
    "qquad": " ",
    "enspace": " ",
    "enskip": " ",
    "space": " ",
    "thinspace": "\u2009",
    "newline": " ",
    "linebreak": " ",
    "par": " ",
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2ε",
    "BibTeX": "BibTeX",
    "AmSTeX": "AMS-TeX",
    "AmSLaTeX": "AMS-LaTeX",
    "AMS": "AMS",
    "XeTeX": "XeTeX",
    "XeLaTeX": "XeLaTeX",
    "LuaTeX": "LuaTeX",
    "LuaLaTeX": "LuaLaTeX",
    "pdfTeX": "pdfTeX",
    "pdfLaTeX": "pdfLaTeX",
    "ConTeXt": "ConTeXt",
    "SliTeX": "SliTeX",
    "MF": "METAFONT",
    "MP": "MetaPost",
    "METAFONT": "METAFONT",
    "METAPOST": "MetaPost",
    "PiCTeX": "PiCTeX",
    "eTeX": "ε-TeX",
    "AllTeX": "(La)TeX",
}

# Markup taking one argument: name -> (html open, html close, text open, text close).
_ARG_MARKUP: dict[str, tuple[str, str, str, str]] = {
    "emph": ("<em>", "</em>", "", ""),
    "textit": ("<em>", "</em>", "", ""),
    "textsl": ("<em>", "</em>", "", ""),
    "mathit": ("<em>", "</em>", "", ""),
    "textbf": ("<strong>", "</strong>", "", ""),
    "mathbf": ("<strong>", "</strong>", "", ""),
    "textsc": ('<span class="sc">', "</span>", "", ""),
    "texttt": ("<code>", "</code>", "", ""),
    "mathtt": ("<code>", "</code>", "", ""),
    "textsuperscript": ("<sup>", "</sup>", "", ""),
    "textsubscript": ("<sub>", "</sub>", "", ""),
    "underline": ('<span class="underline">', "</span>", "", ""),
    "uline": ('<span class="underline">', "</span>", "", ""),
    "enquote": ("\u201c", "\u201d", "\u201c", "\u201d"),
    "mkbibquote": ("\u201c", "\u201d", "\u201c", "\u201d"),
    "textrm": ("", "", "", ""),
    "textsf": ("", "", "", ""),
    "textup": ("", "", "", ""),
    "textmd": ("", "", "", ""),
    "textnormal": ("", "", "", ""),
    "mathrm": ("", "", "", ""),
    "mbox": ("", "", "", ""),
    "hbox": ("", "", "", ""),
    "text": ("", "", "", ""),
    "ensuremath": ("", "", "", ""),
}

# Declarations ("switches") that apply to the rest of the enclosing group.
_SWITCHES: dict[str, tuple[str, str]] = {
    "em": ("<em>", "</em>"),
    "it": ("<em>", "</em>"),
    "itshape": ("<em>", "</em>"),
    "sl": ("<em>", "</em>"),
    "slshape": ("<em>", "</em>"),
    "bf": ("<strong>", "</strong>"),
    "bfseries": ("<strong>", "</strong>"),
    "sc": ('<span class="sc">', "</span>"),
    "scshape": ('<span class="sc">', "</span>"),
    "tt": ("<code>", "</code>"),
    "ttfamily": ("<code>", "</code>"),
}

# Known macros that produce nothing; their arguments (if any) are rendered normally.
_IGNORED: frozenset[str] = frozenset(
    {
        "relax",
        "protect",
        "nobreak",
        "xspace",
        "null",
        "rm",
        "sf",
        "normalfont",
        "upshape",
        "mdseries",
        "rmfamily",
        "sffamily",
        "tiny",
        "scriptsize",
        "footnotesize",
        "small",
        "normalsize",
        "large",
        "Large",
        "LARGE",
        "huge",
        "Huge",
        "unskip",
        "ignorespaces",
        "noindent",
        "allowbreak",
        "break",
        "hfill",
        "hfil",
        "bgroup",
        "egroup",
        "makeatletter",
        "makeatother",
        "displaystyle",
        "textstyle",
        "left",
        "right",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
    }
)

# Known macros whose (braced) argument is dropped: sort keys, invisible boxes, labels.
_DROP_ARG: frozenset[str] = frozenset(
    {"noopsort", "vphantom", "hphantom", "phantom", "label", "index", "SortNoop", "sortnoop"}
)

# Inline HTML that real exports contain and that we render as markup.
_HTML_TAG = re.compile(r"<(/?)(sub|sup|i|b|em|strong)>", re.IGNORECASE)
_HTML_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

_URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_SAFE_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto", "ftp"})

# Spacing commands whose length is consumed and not shown: "DVIto\kern-.15em VDU".
_SKIP_LENGTH: frozenset[str] = frozenset({"kern", "hskip", "vskip"})
_SKIP_GROUP: frozenset[str] = frozenset({"hspace", "vspace"})  # "\hspace*{1em}"
_NUM = r"[+-]?[ \t]*(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)[ \t\n\r]*"
_UNIT = r"(?:true[ \t]*)?(?:pt|pc|in|bp|cm|mm|dd|cc|sp|em|ex|mu|px|fil+)"
_LENGTH = re.compile(
    rf"(?i)[ \t\n\r]*{_NUM}{_UNIT}(?:[ \t\n\r]*plus[ \t\n\r]*{_NUM}{_UNIT})?"
    rf"(?:[ \t\n\r]*minus[ \t\n\r]*{_NUM}{_UNIT})?[ \t\n\r]*"
)

# Exporter repairs.
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
_ZOTERO_MAP: dict[str, str] = {
    "{\\textdollar}": "$",
    "{\\^{}}": "^",
    "\\^{}": "^",
    "{\\~{}}": "~",
    "\\~{}": "~",
}
_MENDELEY_ESC = re.compile(r"\$\\backslash\$|\\backslash ?|\{\\\$\}|\{\\([{}_])\}|\{\\\^\{\}\}")
_T1_TAG = re.compile(
    r"\\textexclamdown\s*(/?)([A-Za-z][A-Za-z0-9]*)\s*\\textquestiondown(?:\{\}|(?![A-Za-z]))"
)
_T1_INLINE: frozenset[str] = frozenset({"sub", "sup", "i", "b", "em", "strong"})

# MathML sanitising.
_ML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)((?:\s+[A-Za-z:\-]+=\"[^\"<>]*\")*)\s*(/?)>")
_ML_ATTR = re.compile(r"([A-Za-z:\-]+)=\"([^\"]*)\"")
_MATHML_ELEMENTS: frozenset[str] = frozenset(
    {
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mspace",
        "msub",
        "msup",
        "msubsup",
        "mfrac",
        "msqrt",
        "mroot",
        "mover",
        "munder",
        "munderover",
        "mtable",
        "mtr",
        "mtd",
        "mlabeledtr",
        "mstyle",
        "mpadded",
        "mphantom",
        "menclose",
        "merror",
        "mfenced",
        "mmultiscripts",
        "mprescripts",
        "none",
        "semantics",
    }
)
_MATHML_ATTRS: frozenset[str] = frozenset(
    {
        "display",
        "mathvariant",
        "stretchy",
        "fence",
        "separator",
        "lspace",
        "rspace",
        "accent",
        "accentunder",
        "movablelimits",
        "largeop",
        "symmetric",
        "width",
        "height",
        "depth",
        "linebreak",
        "columnalign",
        "rowalign",
        "rowspacing",
        "columnspacing",
        "columnlines",
        "rowlines",
        "frame",
        "displaystyle",
        "scriptlevel",
        "notation",
        "minsize",
        "maxsize",
        "form",
        "linethickness",
        "mathsize",
        "open",
        "close",
        "separators",
    }
)
_MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_BS_CMD = re.compile(r"\\[A-Za-z]+")


def _build_symbol_tables() -> tuple[dict[str, str], dict[str, str]]:
    """Text-mode and math-mode symbol macros from pylatexenc's Unicode->LaTeX table, reversed."""
    text: dict[str, str] = {}
    math: dict[str, str] = {}
    simple = re.compile(r"\\([A-Za-z]+)")
    ensure = re.compile(r"\\ensuremath\{\\([A-Za-z]+)\}")
    for code in sorted(_UNI2LATEX):
        latex = _UNI2LATEX[code].strip()
        if (m := simple.fullmatch(latex)) is not None:
            text.setdefault(m.group(1), chr(code))
        elif (m := ensure.fullmatch(latex)) is not None:
            math.setdefault(m.group(1), chr(code))
    for name, ch in text.items():
        math.setdefault(name, ch)
    for name, ch in _EXTRA_MATH.items():
        math.setdefault(name, ch)
    return text, math


_EXTRA_MATH: dict[str, str] = {
    "to": "→",
    "gets": "←",
    "le": "≤",
    "ge": "≥",
    "ne": "≠",
    "neq": "≠",
    "leq": "≤",
    "geq": "≥",
    "lt": "<",
    "gt": ">",
    "ll": "≪",
    "gg": "≫",
    "times": "×",
    "cdot": "·",
    "cdots": "⋯",
    "ldots": "…",
    "dots": "…",
    "vdots": "⋮",
    "ddots": "⋱",
    "infty": "∞",
    "pm": "±",
    "mp": "∓",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "propto": "∝",
    "equiv": "≡",
    "partial": "∂",
    "nabla": "∇",
    "ell": "ℓ",
    "hbar": "ℏ",
    "prime": "′",
    "circ": "∘",
    "langle": "⟨",
    "rangle": "⟩",
    "lceil": "⌈",
    "rceil": "⌉",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "backslash": "∖",
    "setminus": "∖",
    "emptyset": "∅",
    "varnothing": "∅",
    "epsilon": "ϵ",
    "varepsilon": "ε",
    "phi": "ϕ",
    "varphi": "φ",
    "mid": "|",
    "vert": "|",
    "Vert": "‖",
    "|": "‖",
    "lbrace": "{",
    "rbrace": "}",
    "{": "{",
    "}": "}",
    "%": "%",
    "&": "&",
    "$": "$",
    "#": "#",
    "_": "_",
}

_TEXT_SYMBOLS, _MATH_SYMBOLS = _build_symbol_tables()
for _name in list(_TEXT_SYMBOLS):
    # Letter macros and accents are handled by their own tables, with their own spacing rules.
    if _name in _LETTER_MACROS or _name in _ACCENTS:
        del _TEXT_SYMBOLS[_name]
del _name

_MATH_FUNCTIONS: frozenset[str] = frozenset(
    {
        "log",
        "ln",
        "lg",
        "exp",
        "sin",
        "cos",
        "tan",
        "cot",
        "sec",
        "csc",
        "sinh",
        "cosh",
        "tanh",
        "arcsin",
        "arccos",
        "arctan",
        "lim",
        "limsup",
        "liminf",
        "max",
        "min",
        "sup",
        "inf",
        "det",
        "dim",
        "ker",
        "deg",
        "gcd",
        "arg",
        "Pr",
        "hom",
        "mod",
        "bmod",
        "pmod",
    }
)
_MATH_FONTS: frozenset[str] = frozenset(
    {
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "mathcal",
        "mathbb",
        "mathfrak",
        "mathscr",
        "mathnormal",
        "boldsymbol",
        "bm",
        "text",
        "textrm",
        "textit",
        "textbf",
        "textsf",
        "texttt",
        "textup",
        "textnormal",
        "mbox",
        "hbox",
        "operatorname",
        "mathop",
        "mathbin",
        "mathrel",
        "ensuremath",
        "emph",
        "underline",
        "overline",
        "mathring",
    }
)
_MATH_ACCENTS: dict[str, str] = {
    "hat": "\u0302",
    "widehat": "\u0302",
    "bar": "\u0304",
    "tilde": "\u0303",
    "widetilde": "\u0303",
    "vec": "\u20d7",
    "dot": "\u0307",
    "ddot": "\u0308",
    "check": "\u030c",
    "breve": "\u0306",
    "acute": "\u0301",
    "grave": "\u0300",
}
_MATH_SPACES: dict[str, str] = {
    ",": " ",
    ";": " ",
    ":": " ",
    ">": " ",
    " ": " ",
    "!": "",
    "quad": " ",
    "qquad": " ",
    "\\": " ",
}
_MATH_DROP: frozenset[str] = frozenset(
    {
        "left",
        "right",
        "big",
        "Big",
        "bigg",
        "Bigg",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "biggl",
        "biggr",
        "displaystyle",
        "textstyle",
        "scriptstyle",
        "limits",
        "nolimits",
        "nonumber",
        "relax",
        "protect",
    }
)
_SUPERSCRIPTS = str.maketrans(
    "0123456789+-=()niaeoxhklmnpstuvr",
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵃᵉᵒˣʰᵏˡᵐⁿᵖˢᵗᵘᵛʳ",
)
_SUBSCRIPTS = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUP_OK = frozenset("0123456789+-=()niaeoxhklmnpstuvr")
_SUB_OK = frozenset("0123456789+-=()aehijklmnoprstuvx")
_MATH_TOKEN = re.compile(r"\\(?:[A-Za-z]+|.)?|[_^{}]|[ \t\n\r\f\v]+|[^\\_^{} \t\n\r\f\v]+", re.S)


# ---------------------------------------------------------------------------------------------
# Small helpers.


def _esc(s: str) -> str:
    """Escape text for element content (and double-quoted attributes)."""
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&quot;")
    return s


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
    for a, b in (("\\%", "%"), ("\\_", "_"), ("\\#", "#"), ("\\&", "&"), ("\\~", "~")):
        if a in raw:
            raw = raw.replace(a, b)
    return raw.strip()


def _zotero_command(s: str, k: int) -> bool:
    """Does the escaped backslash ending at ``s[k]`` start a LaTeX command, accent or escape?

    The names it knows (``_ZOTERO_NAMES``) are defined with the tokenizer's tables."""
    n = len(s)
    if k >= n:
        return False
    c = s[k]
    if "a" <= c <= "z" or "A" <= c <= "Z":
        m = _LETTERS_RE.match(s, k)
        assert m is not None
        name = m.group()
        if name in _ACCENTS:  # "\textbackslash v s", not the "\textbackslash{}r" of "\r1550"
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
    if c in _ACCENTS:  # "\textbackslash{}'ia", "\textbackslash.enas"
        return _zotero_arg(s, k + 1, True)
    return False


def _zotero_arg(s: str, i: int, letter: bool) -> bool:
    """Is there an argument at ``s[i]``: a group or an escaped group (after spaces), or with
    ``letter`` a letter ("\\'e"), or a space and a single letter ("{\\v s}", not "\\b c2")?"""
    m = _SPACES_RE.match(s, i)
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


def _repair(s: str) -> str:
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
    g = m.group()
    if g == "{\\$}":
        return "$"
    if g == "{\\^{}}":
        return "^"
    if m.group(1) is not None:
        return m.group(1)
    return "\\"


def _t1_sub(m: re.Match[str]) -> str:
    tag = m.group(2).lower()
    if tag in _T1_INLINE:
        return f"<{m.group(1)}{tag}>"
    return " "


# ---------------------------------------------------------------------------------------------
# Math.


def _math_text(tex: str) -> str:
    """A readable Unicode approximation of a math formula, for the plain-text variant."""
    toks = _MATH_TOKEN.findall(tex)
    out: list[str] = []
    _math_seq(toks, 0, out, False)
    return _WS.sub(" ", "".join(out)).strip()


def _math_arg(toks: list[str], i: int) -> tuple[str, int]:
    """One argument: a braced group or a single token. Returns (text, next index)."""
    n = len(toks)
    while i < n and toks[i].isspace():
        i += 1
    if i >= n:
        return "", i
    if toks[i] == "{":
        out: list[str] = []
        i = _math_seq(toks, i + 1, out, True)
        return "".join(out), i
    out1: list[str] = []
    tok = toks[i]
    if tok.startswith("\\"):
        _math_seq(toks[i : i + 1], 0, out1, False)
        return "".join(out1), i + 1
    if tok in ("_", "^", "}"):
        return "", i + 1
    # A plain run: only its first character is the argument.
    if len(tok) > 1:
        toks[i] = tok[1:]
        return tok[0], i
    return tok, i + 1


def _math_seq(toks: list[str], i: int, out: list[str], in_group: bool) -> int:
    n = len(toks)
    while i < n:
        tok = toks[i]
        i += 1
        c = tok[0]
        if c == "}":
            if in_group:
                return i
            continue
        if c == "{":
            i = _math_seq(toks, i, out, True)
            continue
        if c == "_" or c == "^":
            arg, i = _math_arg(toks, i)
            ok = _SUB_OK if c == "_" else _SUP_OK
            if arg and all(ch in ok for ch in arg):
                out.append(arg.translate(_SUBSCRIPTS if c == "_" else _SUPERSCRIPTS))
            else:
                out.append(arg)
            continue
        if c == "\\":
            name = tok[1:]
            if not name:
                continue
            if name in _MATH_SPACES:
                out.append(_MATH_SPACES[name])
            elif name in _MATH_DROP:
                pass
            elif name in _MATH_FUNCTIONS:
                out.append(f" {name} ")
            elif name in _MATH_FONTS:
                arg, i = _math_arg(toks, i)
                out.append(arg)
            elif name in _MATH_ACCENTS:
                arg, i = _math_arg(toks, i)
                if arg:
                    out.append(unicodedata.normalize("NFC", arg[0] + _MATH_ACCENTS[name]) + arg[1:])
            elif name == "frac" or name == "dfrac" or name == "tfrac":
                num, i = _math_arg(toks, i)
                den, i = _math_arg(toks, i)
                num = num if len(num) <= 1 else f"({num})"
                den = den if len(den) <= 1 else f"({den})"
                out.append(f"{num}/{den}")
            elif name == "sqrt":
                arg, i = _math_arg(toks, i)
                out.append("√" + (arg if len(arg) <= 1 else f"({arg})"))
            elif name in _MATH_SYMBOLS:
                out.append(_MATH_SYMBOLS[name])
            elif name in _LETTER_MACROS:
                out.append(_LETTER_MACROS[name])
            # Anything else: drop the name, keep what follows.
            continue
        if c.isspace():
            out.append(" ")
            continue
        out.append(tok)
    return i


def _sanitize_mathml(ml: str, st: _State) -> str:
    """Rebuild latex2mathml output with allowlisted elements and attributes, escaped text."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _ML_TAG.finditer(ml):
        if m.start() > pos:
            out.append(_ml_text(ml[pos : m.start()], st))
        pos = m.end()
        closing, name, attrs, selfclosing = m.groups()
        if name not in _MATHML_ELEMENTS:
            out.append(_esc(m.group()))
            continue
        if closing:
            if stack and stack[-1] == name:
                stack.pop()
                out.append(f"</{name}>")
            continue
        kept = []
        for a in _ML_ATTR.finditer(attrs):
            key, value = a.group(1), a.group(2)
            if key in _MATHML_ATTRS:
                kept.append(f' {key}="{_esc(_html.unescape(value))}"')
            elif key == "xmlns" and value == _MATHML_NS:
                kept.append(f' xmlns="{_MATHML_NS}"')
        attr_text = "".join(kept)
        if selfclosing:
            out.append(f"<{name}{attr_text}/>")
        else:
            stack.append(name)
            out.append(f"<{name}{attr_text}>")
    if pos < len(ml):
        out.append(_ml_text(ml[pos:], st))
    while stack:
        out.append(f"</{stack.pop()}>")
    return "".join(out)


def _ml_text(text: str, st: _State) -> str:
    if "&" in text:
        text = _html.unescape(text)
    if "\\" in text:
        for cmd in _BS_CMD.findall(text):
            st.unknown.setdefault(cmd, None)
        text = _BS_CMD.sub("", text)
        text = text.replace("\\", "\\" + _WJ)
    return _esc(text)


class _Unsupported(Exception):
    """The formula needs the full converter (latex2mathml)."""


_ML_TOK = re.compile(
    r"\\([A-Za-z]+|[^A-Za-z])|([0-9]+(?:\.[0-9]+)?)|([A-Za-z])|([_^{}])|([ \t\n\r\f\v]+)|(.)",
    re.S,
)
_ML_OPERATORS: dict[str, str] = {
    "+": "+",
    "-": "\u2212",
    "=": "=",
    "<": "&lt;",
    ">": "&gt;",
    "(": "(",
    ")": ")",
    "[": "[",
    "]": "]",
    ",": ",",
    ";": ";",
    ":": ":",
    "/": "/",
    "|": "|",
    "!": "!",
    "'": "\u2032",
    ".": ".",
    "*": "\u2217",
    "?": "?",
}
_ML_SPACES: dict[str, str] = {
    ",": "0.167em",
    ";": "0.278em",
    ":": "0.222em",
    ">": "0.222em",
    " ": "0.333em",
    "quad": "1em",
    "qquad": "2em",
}
_ML_TEXT_FONTS: dict[str, str] = {
    "mathrm": "normal",
    "mathbf": "bold",
    "mathit": "italic",
    "mathsf": "sans-serif",
    "mathtt": "monospace",
    "mathcal": "script",
    "mathbb": "double-struck",
    "mathfrak": "fraktur",
    "boldsymbol": "bold-italic",
    "bm": "bold-italic",
    "operatorname": "normal",
}
_ML_STRUCTURAL: frozenset[str] = frozenset(
    {",", ";", ":", ">", " ", "quad", "qquad", "frac", "dfrac", "tfrac", "sqrt", "text", "mbox"}
)
_ML_TEXTS: frozenset[str] = frozenset({"text", "textrm", "mbox", "textit", "textbf", "textnormal"})
_ML_OP_TEXT: dict[str, str] = {"-": "−", "'": "′", "*": "∗"}
_Tok = tuple[str, str]


def _fast_math(tex: str, display: bool) -> tuple[str, str]:
    """MathML and text for the simple formulas abstracts are made of (``1.51\\times``,
    ``O(N\\log N)``, ``Cu_2O``, ``10^{-3}``), in one pass and ~20x faster than latex2mathml.

    Raises _Unsupported for anything else, which then goes to latex2mathml."""
    toks: list[_Tok] = []
    for cmd, num, letter, brace, _space, other in _ML_TOK.findall(tex):
        if cmd:
            toks.append(("\\", cmd))
        elif num:
            toks.append(("n", num))
        elif letter:
            toks.append(("l", letter))
        elif brace:
            toks.append((brace, brace))
        elif other:
            toks.append(("o", other))
        else:
            toks.append((" ", " "))
    text: list[str] = []
    items, i = _ml_seq(toks, 0, False, text)
    if i < len(toks):
        raise _Unsupported
    mode = "block" if display else "inline"
    ml = f'<math xmlns="{_MATHML_NS}" display="{mode}"><mrow>{"".join(items)}</mrow></math>'
    return ml, "".join(text)


def _ml_seq(toks: list[_Tok], i: int, in_group: bool, text: list[str]) -> tuple[list[str], int]:
    """Elements up to the end (or the closing brace of the group); text goes to ``text``."""
    items: list[str] = []
    n = len(toks)
    while i < n:
        kind, val = toks[i]
        i += 1
        if kind == "l":
            items.append(f"<mi>{val}</mi>")
            text.append(val)
        elif kind == "n":
            items.append(f"<mn>{val}</mn>")
            text.append(val)
        elif kind == " ":
            text.append(" ")
        elif kind == "o":
            op = _ML_OPERATORS.get(val)
            if op is None:
                raise _Unsupported
            items.append(f"<mo>{op}</mo>")
            text.append(_ML_OP_TEXT.get(val, val))
        elif kind == "\\":
            i = _ml_command(toks, i, val, items, text)
        elif kind == "}":
            if in_group:
                return items, i
            raise _Unsupported
        elif kind == "{":
            sub, i = _ml_seq(toks, i, True, text)
            items.append(f"<mrow>{''.join(sub)}</mrow>")
        else:  # "_" or "^"
            base = items.pop() if items else "<mrow></mrow>"
            first, first_text, i = _ml_arg(toks, i)
            text.append(_script_text(first_text, kind))
            if i < n and toks[i][0] in "_^" and toks[i][0] != kind:
                second, second_text, i = _ml_arg(toks, i + 1)
                text.append(_script_text(second_text, "^" if kind == "_" else "_"))
                sub_, sup_ = (first, second) if kind == "_" else (second, first)
                items.append(f"<msubsup>{base}{sub_}{sup_}</msubsup>")
            elif kind == "_":
                items.append(f"<msub>{base}{first}</msub>")
            else:
                items.append(f"<msup>{base}{first}</msup>")
    if in_group:
        raise _Unsupported
    return items, i


def _script_text(arg: str, kind: str) -> str:
    """Sub/superscript as Unicode sub/superscript characters when they all exist."""
    if kind == "^" and arg in ("∘", "\u2218"):
        return "°"
    ok = _SUB_OK if kind == "_" else _SUP_OK
    for ch in arg:
        if ch not in ok:
            return arg
    return arg.translate(_SUBSCRIPTS if kind == "_" else _SUPERSCRIPTS)


def _ml_arg(toks: list[_Tok], i: int) -> tuple[str, str, int]:
    """One argument of ``_``, ``^``, ``\\frac`` or ``\\sqrt``: (element, text, next index)."""
    while i < len(toks) and toks[i][0] == " ":
        i += 1
    if i >= len(toks):
        raise _Unsupported
    kind, val = toks[i]
    if kind == "{":
        text: list[str] = []
        sub, i = _ml_seq(toks, i + 1, True, text)
        return f"<mrow>{''.join(sub)}</mrow>", "".join(text), i
    if kind == "n":
        if len(val) > 1:  # "x^23" means x^{2}3
            toks[i] = ("n", val[1:])
            return f"<mn>{val[0]}</mn>", val[0], i
        return f"<mn>{val}</mn>", val, i + 1
    if kind == "l":
        return f"<mi>{val}</mi>", val, i + 1
    if kind == "o" and val in _ML_OPERATORS:
        return f"<mo>{_ML_OPERATORS[val]}</mo>", _ML_OP_TEXT.get(val, val), i + 1
    if kind == "\\":
        out: list[str] = []
        out_text: list[str] = []
        i = _ml_command(toks, i + 1, val, out, out_text)
        if len(out) == 1:
            return out[0], "".join(out_text), i
    raise _Unsupported


def _ml_command(toks: list[_Tok], i: int, name: str, items: list[str], text: list[str]) -> int:
    """The command ``\\name`` whose arguments start at ``toks[i]``; appends its element."""
    ch = _MATH_SYMBOLS.get(name)
    if ch is not None and len(ch) == 1 and name not in _ML_STRUCTURAL:
        element = "mi" if unicodedata.category(ch)[0] == "L" else "mo"
        items.append(f"<{element}>{_esc(ch)}</{element}>")
        text.append(ch)
        return i
    if name in _ML_SPACES:
        items.append(f'<mspace width="{_ML_SPACES[name]}"/>')
        text.append(" ")
        return i
    if name in _MATH_DROP or name == "!":
        return i
    if name in _MATH_FUNCTIONS:
        items.append(f"<mi>{name}</mi><mo>\u2061</mo>")
        text.append(f" {name} ")
        return i
    if name == "frac" or name == "dfrac" or name == "tfrac":
        num, num_text, i = _ml_arg(toks, i)
        den, den_text, i = _ml_arg(toks, i)
        items.append(f"<mfrac>{num}{den}</mfrac>")
        num_text = num_text if len(num_text) <= 1 else f"({num_text})"
        den_text = den_text if len(den_text) <= 1 else f"({den_text})"
        text.append(f"{num_text}/{den_text}")
        return i
    if name == "sqrt":
        if i < len(toks) and toks[i][1] == "[":
            raise _Unsupported
        arg, arg_text, i = _ml_arg(toks, i)
        items.append(f"<msqrt>{arg}</msqrt>")
        text.append("√" + (arg_text if len(arg_text) <= 1 else f"({arg_text})"))
        return i
    if name in _ML_TEXT_FONTS or name in _ML_TEXTS:
        if i >= len(toks) or toks[i][0] != "{":
            raise _Unsupported
        j = i + 1
        parts: list[str] = []
        while j < len(toks) and toks[j][0] in ("n", "l", "o", " "):
            parts.append(toks[j][1])
            j += 1
        if j >= len(toks) or toks[j][0] != "}" or not parts:
            raise _Unsupported
        raw = "".join(parts)
        content = _esc(raw)
        if name in _ML_TEXTS:
            items.append(f"<mtext>{content}</mtext>")
        elif _ML_TEXT_FONTS[name] == "normal":
            items.append(f'<mi mathvariant="normal">{content}</mi>')
        else:
            items.append(f'<mi mathvariant="{_ML_TEXT_FONTS[name]}">{content}</mi>')
        text.append(raw)
        return j + 1
    raise _Unsupported


def _emit_math(tex: str, display: bool, st: _State) -> None:
    body = tex.strip()
    if not body:
        return
    if body in ("<", ">"):
        # "{$<$}math{$>$}": escaped MathML from an export, shown as the text it is.
        st.h.append(_esc(body))
        st.t.append(body)
        return
    try:
        ml, text = _fast_math(body, display)
        st.h.append(ml)
        st.t.append(text)
        st.has_math = True
        return
    except (_Unsupported, RecursionError):
        pass
    text = _math_text(body)
    try:
        ml = _latex2mathml(body, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types on malformed input; fall back to text.
        ml = ""
    if ml.startswith("<math"):
        st.h.append(_sanitize_mathml(ml, st))
        st.has_math = True
    else:
        st.h.append(f'<span class="math">{_esc(text)}</span>')
    st.t.append(text)


# ---------------------------------------------------------------------------------------------
# The tokenizer.

_ROOT, _BRACE, _TAG, _LINK = 0, 1, 2, 3
_TEXT_MATH_ACCENTS: dict[str, str] = {
    "bar": "=",
    "hat": "^",
    "tilde": "~",
    "dot": ".",
    "ddot": '"',
    "check": "v",
    "breve": "u",
    "acute": "'",
    "grave": "`",
}
_UNDOTTED = {"ı": "i", "ȷ": "j"}

# Zotero, Better BibTeX and DBLP export a field holding LaTeX as text: "\\" becomes "\textbackslash"
# ("\textbackslash{}", "\textbackslash " or "{\textbackslash}") and "{", "}", "$", "&" are
# escaped too: "\$\_\{\textbackslash{}beta\}\$", "Taylor \textbackslash\& Francis". A
# "\textbackslash" is taken for an escaped LaTeX backslash only when what follows forms a command
# we know (with its argument, if it needs one), an escaped special character or an accent on a
# letter; otherwise ("C:\textbackslash Users", the "\textbackslash{}r" of a pasted "\r") it is a
# literal backslash and nothing after it is lost.
_ZOTERO_ARG_NAMES: frozenset[str] = frozenset(
    {*_ARG_MARKUP, *_DROP_ARG, *_MATH_FONTS, *_SKIP_GROUP, "url", "href", "path"}
)
_ZOTERO_NAMES: frozenset[str] = frozenset(
    {
        *_SYMBOL_MACROS,
        *_LETTER_MACROS,
        *_TEXT_MATH_ACCENTS,
        *_SWITCHES,
        *_IGNORED,
        *_TEXT_SYMBOLS,
        *_MATH_SYMBOLS,
        *_MATH_FUNCTIONS,
        *_MATH_ACCENTS,
        *_MATH_DROP,
        *_SKIP_LENGTH,
        "quad",
        "qquad",
        "frac",
        "dfrac",
        "tfrac",
        "sqrt",
    }
)


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

    def close_frame(self) -> None:
        frame = self.stack.pop()
        for html_close, text_close in reversed(frame.closers):
            self.h.append(html_close)
            if text_close:
                self.t.append(text_close)
        if frame.kind == _LINK:
            self.links -= 1


def _render(s: str, st: _State) -> None:
    """Tokenize ``s`` and append its HTML and text to ``st``."""
    h = st.h
    t = st.t
    n = len(s)
    i = 0
    search = _SPECIAL.search
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
        c = s[j]
        i = j + 1
        if c == "\\":
            i = _macro(s, i, st)
        elif c == "{":
            st.stack.append(_Frame(_BRACE))
        elif c == "}":
            if any(f.kind != _ROOT and f.kind != _TAG for f in st.stack):
                while True:
                    kind = st.stack[-1].kind
                    st.close_frame()
                    if kind in (_BRACE, _LINK):
                        break
            # An unmatched "}" is dropped.
        elif c == "$":
            i = _dollar(s, j, st)
        elif c == "~":
            h.append("\u00a0")
            t.append("\u00a0")
        elif c == "-":  # "--" or "---"
            if s[i : i + 1] != "-":
                h.append("-")
                t.append("-")
            elif s.startswith("---", j):
                h.append("\u2014")
                t.append("\u2014")
                i = j + 3
            else:
                h.append("\u2013")
                t.append("\u2013")
                i = j + 2
        elif c == "'":
            if s.startswith("''", j):
                h.append("\u201d")
                t.append("\u201d")
                i = j + 2
            else:
                h.append("\u2019")
                t.append("\u2019")
        elif c == "`":
            if s.startswith("``", j):
                h.append("\u201c")
                t.append("\u201c")
                i = j + 2
            else:
                h.append("\u2018")
                t.append("\u2018")
        elif c == '"':
            h.append("&quot;")
            t.append('"')
        elif c == "<":
            i = _angle(s, j, st)
        elif c == ">":
            h.append("&gt;")
            t.append(">")
        elif c == "&":
            em = _ENTITY.match(s, j)
            if em is not None:
                ch = _html.unescape(em.group())
                h.append(_esc(ch))
                t.append(ch)
                i = em.end()
            else:
                h.append("&amp;")
                t.append("&")
        elif c == "%":
            h.append("%")
            t.append("%")
            st.bare_percent = True


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
        st.h.append(" ")
        st.t.append(" ")
        return m.end()
    st.h.append("&lt;")
    st.t.append("<")
    return j + 1


def _dollar(s: str, j: int, st: _State) -> int:
    """``$`` at ``s[j]``: inline or display math; an unterminated ``$`` is a literal dollar."""
    if s.startswith("$$", j):
        end = s.find("$$", j + 2)
        if end >= 0:
            _emit_math(s[j + 2 : end], True, st)
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
            _emit_math(s[j + 1 : end], False, st)
            return end + 1
    st.h.append("$")
    st.t.append("$")
    return j + 1


def _macro(s: str, i: int, st: _State) -> int:
    """A backslash was at ``s[i-1]``: handle the command and return where to continue."""
    n = len(s)
    if i >= n:
        return i  # trailing backslash: nothing to show
    h = st.h
    t = st.t
    c = s[i]
    if not ("a" <= c <= "z" or "A" <= c <= "Z"):
        # Control symbol.
        i += 1
        if c in _ACCENTS:
            return _accent(s, i, c, st)
        if c in "&%$#_{}":
            h.append(_esc(c))
            t.append(c)
        elif c == " " or c == "\n" or c == "\t" or c == "\\":
            h.append(" ")
            t.append(" ")
        elif c == ",":
            h.append("\u2009")
            t.append("\u2009")
        elif c in ";:>":
            h.append(" ")
            t.append(" ")
        elif c in "/-@!":
            pass
        elif c == "(":
            end = s.find("\\)", i)
            end = n if end < 0 else end
            _emit_math(s[i:end], False, st)
            return end + 2
        elif c == "[":
            end = s.find("\\]", i)
            end = n if end < 0 else end
            _emit_math(s[i:end], True, st)
            return end + 2
        elif c in ")]":
            pass
        else:
            st.unknown.setdefault("\\" + c, None)
            if not c.isspace():
                h.append(_esc(c))
                t.append(c)
        return i
    m = _LETTERS_RE.match(s, i)
    assert m is not None
    name = m.group()
    j = m.end()
    k = _SPACES_RE.match(s, j).end()  # type: ignore[union-attr]
    if name in _SYMBOL_MACROS:
        out = _SYMBOL_MACROS[name]
        if out == "\\":
            h.append("\\")
            t.append("\\")
            if name == "backslash":
                return j
            # TeX eats the space after "\textbackslash": "C:\textbackslash Users" is "C:\Users".
            return k + 2 if s.startswith("{}", k) else k
        h.append(_esc(out))
        t.append(out)
        if k < n and s.startswith("{}", k):
            return k + 2
        return j
    if name in _ARG_MARKUP:
        hopen, hclose, topen, tclose = _ARG_MARKUP[name]
        if k < n and s[k] == "{":
            frame = _Frame(_BRACE)
            frame.closers.append((hclose, tclose))
            st.stack.append(frame)
            h.append(hopen)
            if topen:
                t.append(topen)
            return k + 1
        return k
    if name in _LETTER_MACROS:
        out = _LETTER_MACROS[name]
        h.append(out)
        t.append(out)
        return k
    if name in _ACCENTS:
        return _accent(s, k, name, st)
    if name in _TEXT_MATH_ACCENTS:  # math accents met in text, e.g. Zotero's "(1\bar101)"
        return _accent(s, k, _TEXT_MATH_ACCENTS[name], st)
    if name in _SWITCHES:
        hopen, hclose = _SWITCHES[name]
        h.append(hopen)
        st.stack[-1].closers.append((hclose, ""))
        return k
    if name in _IGNORED:
        return k
    if name in _DROP_ARG:
        return _skip_arg(s, k)
    if name in _SKIP_LENGTH:
        m = _LENGTH.match(s, j)
        return k if m is None else m.end()
    if name in _SKIP_GROUP:
        if s.startswith("*", k):
            k = _SPACES_RE.match(s, k + 1).end()  # type: ignore[union-attr]
        if k < n and s[k] == "{":
            return _match_brace(s, k) + 1
        return k
    if name == "url" or name == "href" or name == "path":
        return _link(s, name, k, st)
    if name in _TEXT_SYMBOLS:
        out = _TEXT_SYMBOLS[name]
        h.append(_esc(out))
        t.append(out)
        return k if name[0].islower() and len(out) == 1 and out.isalpha() else j
    if name in _MATH_SYMBOLS:
        out = _MATH_SYMBOLS[name]
        h.append(_esc(out))
        t.append(out)
        return j
    st.unknown.setdefault("\\" + name, None)
    return k


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
        m = _LETTERS_RE.match(s, k + 1)
        return m.end() if m is not None else min(k + 2, n)
    if c == "}":
        return k
    return k + 1


def _accent(s: str, i: int, cmd: str, st: _State) -> int:
    """Accent command ``cmd`` whose argument starts at ``s[i]``."""
    n = len(s)
    mark = _ACCENTS[cmd]
    while i < n and s[i] in " \t\n\r":
        i += 1
    if i >= n:
        alone = _ACCENT_ALONE[cmd]
        st.h.append(_esc(alone))
        st.t.append(alone)
        return i
    c = s[i]
    base: str
    if c == "{":
        end = _match_brace(s, i)
        inner = s[i + 1 : end].strip()
        nxt = end + 1
        if len(inner) == 1 and inner not in "\\{}$%~<>&":
            base = inner
        elif inner in ("\\i", "\\j", "{\\i}", "{\\j}", "\\i{}", "\\j{}"):
            base = "ı" if "i" in inner else "ȷ"
        elif not inner:
            base = ""
        else:
            sub = _State()
            _render(inner, sub)
            while len(sub.stack) > 1:
                sub.close_frame()
            for name in sub.unknown:
                st.unknown.setdefault(name, None)
            st.bare_percent = st.bare_percent or sub.bare_percent
            base = _WS.sub(" ", "".join(sub.t)).strip()
    elif c == "\\":
        m = _LETTERS_RE.match(s, i + 1)
        if m is not None and m.group() in ("i", "j"):
            base = "ı" if m.group() == "i" else "ȷ"
            nxt = m.end()
            if s.startswith("{}", nxt):
                nxt += 2
        else:
            # An accent on something complicated: show the accent, let the rest render.
            alone = _ACCENT_ALONE[cmd]
            st.h.append(_esc(alone))
            st.t.append(alone)
            return i
    elif c in "}$%<>&":
        alone = _ACCENT_ALONE[cmd]
        st.h.append(_esc(alone))
        st.t.append(alone)
        return i
    else:
        base = c
        nxt = i + 1
    if not base:
        out = _ACCENT_ALONE[cmd]
    else:
        # An accent on a dotless i/j means an accented i/j ("\\=\\i" is ī).
        first = _UNDOTTED.get(base[0], base[0])
        out = unicodedata.normalize("NFC", first + mark) + base[1:]
    st.h.append(_esc(out))
    st.t.append(out)
    return nxt


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
        m = _SPACES_RE.match(s, nxt)
        after = m.end() if m is not None else nxt
        if after < n and s[after] == "{":
            if href is not None and st.links == 0:
                frame = _Frame(_LINK)
                frame.closers.append(("</a>", ""))
                st.stack.append(frame)
                st.links += 1
                st.h.append(f'<a href="{_esc(href)}">')
            else:
                st.stack.append(_Frame(_BRACE))
            return after + 1
    if href is not None and st.links == 0:
        st.h.append(f'<a href="{_esc(href)}">{_esc(url)}</a>')
    else:
        st.h.append(_esc(url))
    st.t.append(url)
    return nxt


# ---------------------------------------------------------------------------------------------
# Public entry point.


def convert(source: str) -> Rendered:
    """Convert one BibTeX field value (LaTeX) into safe HTML and plain text."""
    for special in _FAST_CHARS:  # a dozen C-speed scans beat one regex scan
        if special in source:
            break
    else:
        plain = _collapse(source)
        return Rendered(plain, plain, (), False, False)
    try:
        return _convert(source)
    except Exception:  # a safety net: a page must build even if some value defeats the parser
        return _fallback(source)


def _convert(source: str) -> Rendered:
    st = _State()
    _render(_repair(source), st)
    while st.stack:
        st.close_frame()
    html = _collapse("".join(st.h))
    text = _collapse("".join(st.t))
    if "\\" in text:
        text = _BS_LETTER.sub("\\\\" + _WJ, text)
        html = _BS_LETTER_HTML.sub("\\\\" + _WJ, html)
    return Rendered(html, text, tuple(st.unknown), st.has_math, st.bare_percent)


_BS_LETTER = re.compile(r"\\(?=[A-Za-z])")
_BS_LETTER_HTML = re.compile(r"\\(?=[A-Za-z<])")
_FALLBACK_STRIP = re.compile(r"\\[A-Za-z]+|[\\{}$]")


def _collapse(s: str) -> str:
    """Runs of ASCII whitespace to one space, ends stripped (no-break and thin spaces stay)."""
    if "  " in s or "\n" in s or "\t" in s or "\r" in s or "\f" in s or "\v" in s:
        s = _WS.sub(" ", s)
    return s.strip(" ")


def _fallback(source: str) -> Rendered:
    """Last resort when the tokenizer fails: the text with all LaTeX syntax removed."""
    text = _WS.sub(" ", _FALLBACK_STRIP.sub("", source)).strip(" ")
    return Rendered(_esc(text), text, (), False, "%" in source)
