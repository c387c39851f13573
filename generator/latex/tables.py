"""The LaTeX vocabulary: which macros mean what, in text and in math.

Data only, built once at import into read-only mappings and frozensets: the text tokenizer
(``text.py``), the math walker (``math.py``) and the exporter repair (``repair.py``) all read the
same tables, so a macro added here is known to all three.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from pylatexenc.latexencode._uni2latexmap import uni2latex as _UNI2LATEX

from generator.latex.escape import esc

LETTERS_RE = re.compile(r"[A-Za-z]+")
SPACES_RE = re.compile(r"[ \t\n\r\f\v]*")

# Accents: command -> combining mark; spacing form for an empty argument (`\~{}` -> "~").
ACCENTS: Mapping[str, str] = MappingProxyType(
    {
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
)
ACCENT_ALONE: Mapping[str, str] = MappingProxyType(
    {
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
)

# Control words producing a letter: TeX eats the space after them ("Stra\ss e").
LETTER_MACROS: Mapping[str, str] = MappingProxyType(
    {
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
)

# Control words producing a symbol or word. The space after them is kept, because in BibTeX
# data "\LaTeX is" almost always means "LaTeX is".
SYMBOL_MACROS: Mapping[str, str] = MappingProxyType(
    {
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
)

# Markup taking one argument: name -> (html open, html close, text open, text close).
ARG_MARKUP: Mapping[str, tuple[str, str, str, str]] = MappingProxyType(
    {
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
)

# Declarations ("switches") that apply to the rest of the enclosing group.
SWITCHES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
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
)

# Known macros that produce nothing; their arguments (if any) are rendered normally.
IGNORED: frozenset[str] = frozenset(
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
DROP_ARG: frozenset[str] = frozenset(
    {"noopsort", "vphantom", "hphantom", "phantom", "label", "index", "SortNoop", "sortnoop"}
)


# Spacing commands whose length is consumed and not shown: "DVIto\kern-.15em VDU".
SKIP_LENGTH: frozenset[str] = frozenset({"kern", "hskip", "vskip"})
SKIP_GROUP: frozenset[str] = frozenset({"hspace", "vspace"})  # "\hspace*{1em}"
_NUM = r"[+-]?[ \t]*(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)[ \t\n\r]*"
_UNIT = r"(?:true[ \t]*)?(?:pt|pc|in|bp|cm|mm|dd|cc|sp|em|ex|mu|px|fil+)"
LENGTH = re.compile(
    rf"(?i)[ \t\n\r]*{_NUM}{_UNIT}(?:[ \t\n\r]*plus[ \t\n\r]*{_NUM}{_UNIT})?"
    rf"(?:[ \t\n\r]*minus[ \t\n\r]*{_NUM}{_UNIT})?[ \t\n\r]*"
)


_EXTRA_MATH: Mapping[str, str] = MappingProxyType(
    {
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
)


def _symbol_tables() -> tuple[Mapping[str, str], Mapping[str, str]]:
    """Text-mode and math-mode symbol macros from pylatexenc's Unicode->LaTeX table, reversed.

    Text mode leaves out the letter macros and accents, which have their own tables with their own
    spacing rules; math mode keeps every name (``\\ss`` in a formula is still ß)."""
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
    text_only = {
        name: ch for name, ch in text.items() if name not in LETTER_MACROS and name not in ACCENTS
    }
    return MappingProxyType(text_only), MappingProxyType(math)


TEXT_SYMBOLS, MATH_SYMBOLS = _symbol_tables()

MATH_FUNCTIONS: frozenset[str] = frozenset(
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
MATH_FONTS: frozenset[str] = frozenset(
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
MATH_ACCENTS: Mapping[str, str] = MappingProxyType(
    {
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
)
MATH_SPACES: Mapping[str, str] = MappingProxyType(
    {
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
)
MATH_DROP: frozenset[str] = frozenset(
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

# Math accents met in text mode, e.g. Zotero's "(1\bar101)": the text accent they stand for.
TEXT_MATH_ACCENTS: Mapping[str, str] = MappingProxyType(
    {
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
)
UNDOTTED: Mapping[str, str] = MappingProxyType({"ı": "i", "ȷ": "j"})

# Text-mode characters and ligatures that always render the same: source -> (HTML, text).
PUNCTUATION: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "~": ("\u00a0", "\u00a0"),
        "--": ("\u2013", "\u2013"),
        "---": ("\u2014", "\u2014"),
        "'": ("\u2019", "\u2019"),
        "''": ("\u201d", "\u201d"),
        "`": ("\u2018", "\u2018"),
        "``": ("\u201c", "\u201c"),
        '"': ("&quot;", '"'),
        ">": ("&gt;", ">"),
    }
)
# Control symbols (backslash and one non-letter) that always render the same: (HTML, text).
CONTROL_SYMBOLS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        **{c: (esc(c), c) for c in "&%$#_{}"},  # escaped specials
        **dict.fromkeys(" \n\t\\", (" ", " ")),  # control space; "\\" (a line break)
        ",": ("\u2009", "\u2009"),
        **dict.fromkeys(";:>", (" ", " ")),
        **dict.fromkeys("/-@!)]", ("", "")),  # italic correction, hyphenation hint, ...
    }
)
