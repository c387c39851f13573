"""Math: ``$...$`` to MathML and plain text, with one grammar.

One walk over a formula's tokens yields both the MathML and the plain text. In strict mode it covers
the simple formulas abstracts are made of (``1.51\\times``, ``O(N\\log N)``, ``Cu_2O``,
``10^{-3}``), ~20x faster than latex2mathml, and stops (``_Unsupported``) at anything else. Such a
formula gets its MathML from latex2mathml, re-sanitised because latex2mathml passes raw text and
attributes (``\\href``, ``\\style``) through, and its text from the same walk in lenient mode,
which accepts any input: what it cannot render stays as plain characters, unknown command names
are dropped.

The lenient text keeps the rules the plain text of such formulas had when a second walker made
it, so that it stays byte-identical: ASCII ``-`` rather than ``−``, ``^\\circ`` as ``∘``, a
command used as a script argument taking no argument of its own, a run of plain characters that
starts with a Unicode space read as one space, white space collapsed and stripped.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from latex2mathml.converter import convert as _latex2mathml

from generator.latex.escape import WJ, WS, esc
from generator.latex.tables import (
    LETTER_MACROS,
    MATH_ACCENTS,
    MATH_DROP,
    MATH_FONTS,
    MATH_FUNCTIONS,
    MATH_SPACES,
    MATH_SYMBOLS,
)

__all__ = ["math_markup"]

_MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def math_markup(tex: str, display: bool, unknown: dict[str, None]) -> tuple[str, str, bool]:
    """(HTML, plain text, whether the HTML is MathML) of the formula ``tex``.

    Commands that survive into latex2mathml's output are recorded in ``unknown``; a formula that
    latex2mathml rejects is shown as its text."""
    body = tex.strip()
    if not body:
        return "", "", False
    if body in ("<", ">"):
        # "{$<$}math{$>$}": escaped MathML from an export, shown as the text it is.
        return esc(body), body, False
    try:
        text: list[str] = []
        items, _ = _seq(_tokens(body), 0, False, text, False)
    except (_Unsupported, RecursionError):
        pass
    else:
        mode = "block" if display else "inline"
        ml = f'<math xmlns="{_MATHML_NS}" display="{mode}"><mrow>{"".join(items)}</mrow></math>'
        return ml, "".join(text), True
    lenient: list[str] = []
    _seq(_tokens(body), 0, False, lenient, True)
    plain = WS.sub(" ", "".join(lenient)).strip()
    try:
        ml = _latex2mathml(body, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types on malformed input; fall back to text.
        ml = ""
    if ml.startswith("<math"):
        return _sanitize_mathml(ml, unknown), plain, True
    return f'<span class="math">{esc(plain)}</span>', plain, False


# ---------------------------------------------------------------------------------------------
# The token walk.


class _Unsupported(Exception):
    """The formula needs the full converter (latex2mathml)."""


# Kinds: "\\" command (value: its name, "" for a lone trailing backslash), "n" number, "l" letter,
# "o" any other character, " " white space, and "_", "^", "{", "}" as themselves.
_Tok = tuple[str, str]
_TOKEN = re.compile(
    r"\\([A-Za-z]+|[^A-Za-z])|([0-9]+(?:\.[0-9]+)?)|([A-Za-z])|([_^{}])|([ \t\n\r\f\v]+)|(.)",
    re.S,
)
_PLAIN_KINDS = frozenset("lno")  # what a run of plain characters is made of
_FONT_KINDS = frozenset("lno ")  # what the fast path shows in a font or text command


def _tokens(tex: str) -> list[_Tok]:
    """The formula as (kind, value) tokens."""
    toks: list[_Tok] = []
    for cmd, num, letter, brace, _space, other in _TOKEN.findall(tex):
        if cmd:
            toks.append(("\\", cmd))
        elif num:
            toks.append(("n", num))
        elif letter:
            toks.append(("l", letter))
        elif brace:
            toks.append((brace, brace))
        elif other:
            toks.append(("o", other) if other != "\\" else ("\\", ""))
        else:
            toks.append((" ", " "))
    return toks


# What each command is; the first table that knows a name decides.
_SPACE, _DROP, _FUNCTION, _FONT, _ACCENT, _FRAC, _SQRT, _SYMBOL, _LETTER = range(9)


def _command_kinds() -> Mapping[str, int]:
    """Every math command's kind, from the tables both modes share."""
    kinds: dict[str, int] = {}
    for kind, names in (
        (_SPACE, MATH_SPACES),
        (_DROP, MATH_DROP),
        (_FUNCTION, MATH_FUNCTIONS),
        (_FONT, MATH_FONTS),
        (_ACCENT, MATH_ACCENTS),
        (_FRAC, ("frac", "dfrac", "tfrac")),
        (_SQRT, ("sqrt",)),
        (_SYMBOL, MATH_SYMBOLS),
        (_LETTER, LETTER_MACROS),
    ):
        for name in names:
            kinds.setdefault(name, kind)
    return MappingProxyType(kinds)


_KINDS = _command_kinds()
# A symbol is an identifier when it is a letter (\alpha), else an operator (\times).
_SYMBOL_ELEMENTS: Mapping[str, str] = MappingProxyType(
    {
        name: (
            f"<mi>{esc(ch)}</mi>" if unicodedata.category(ch)[0] == "L" else f"<mo>{esc(ch)}</mo>"
        )
        for name, ch in MATH_SYMBOLS.items()
    }
)
_OPERATORS: Mapping[str, str] = MappingProxyType(
    {
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
)
_OPERATOR_TEXT: Mapping[str, str] = MappingProxyType({"-": "−", "'": "′", "*": "∗"})
_SPACE_WIDTHS: Mapping[str, str] = MappingProxyType(
    {
        ",": "0.167em",
        ";": "0.278em",
        ":": "0.222em",
        ">": "0.222em",
        " ": "0.333em",
        "quad": "1em",
        "qquad": "2em",
    }
)
_FONT_VARIANTS: Mapping[str, str] = MappingProxyType(
    {
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
)
_TEXT_FONTS: frozenset[str] = frozenset(
    {"text", "textrm", "mbox", "textit", "textbf", "textnormal"}
)
_SUPERSCRIPTS: Mapping[int, int] = MappingProxyType(
    str.maketrans("0123456789+-=()niaeoxhklmnpstuvr", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵃᵉᵒˣʰᵏˡᵐⁿᵖˢᵗᵘᵛʳ")
)
_SUBSCRIPTS: Mapping[int, int] = MappingProxyType(
    str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
)
_SUP_OK = frozenset("0123456789+-=()niaeoxhklmnpstuvr")
_SUB_OK = frozenset("0123456789+-=()aehijklmnoprstuvx")


def _seq(
    toks: list[_Tok], i: int, in_group: bool, text: list[str], lenient: bool
) -> tuple[list[str], int]:
    """Elements up to the end (or the closing brace of the group); the text goes to ``text``.

    Lenient mode never raises; the elements it builds where it can are not used."""
    items: list[str] = []
    n = len(toks)
    kind = ""
    while i < n:
        prev = kind
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
            op = _OPERATORS.get(val)
            if op is not None:
                items.append(f"<mo>{op}</mo>")
                text.append(val if lenient else _OPERATOR_TEXT.get(val, val))
            elif not lenient:
                raise _Unsupported
            elif prev not in _PLAIN_KINDS and val.isspace():
                # A run of plain characters that starts with a Unicode space reads as one space.
                text.append(" ")
                while i < n and toks[i][0] in _PLAIN_KINDS:
                    i += 1
            else:
                text.append(val)
        elif kind == "\\":
            i = _command(toks, i, val, items, text, lenient)
        elif kind == "}":
            if in_group:
                return items, i
            if not lenient:
                raise _Unsupported
        elif kind == "{":
            sub, i = _seq(toks, i, True, text, lenient)
            items.append(f"<mrow>{''.join(sub)}</mrow>")
        else:
            i = _script(toks, i, kind, items, text, lenient)
    if in_group and not lenient:
        raise _Unsupported
    return items, i


def _script(
    toks: list[_Tok], i: int, kind: str, items: list[str], text: list[str], lenient: bool
) -> int:
    """``_`` or ``^`` (``kind``) on the last element, paired with the other one if it follows."""
    base = items.pop() if items else "<mrow></mrow>"
    first, first_text, i = _arg(toks, i, lenient)
    text.append(_script_text(first_text, kind, lenient))
    if i < len(toks) and toks[i][0] in "_^" and toks[i][0] != kind:
        second, second_text, i = _arg(toks, i + 1, lenient)
        text.append(_script_text(second_text, "^" if kind == "_" else "_", lenient))
        sub, sup = (first, second) if kind == "_" else (second, first)
        items.append(f"<msubsup>{base}{sub}{sup}</msubsup>")
    elif kind == "_":
        items.append(f"<msub>{base}{first}</msub>")
    else:
        items.append(f"<msup>{base}{first}</msup>")
    return i


def _script_text(arg: str, kind: str, lenient: bool) -> str:
    """Sub/superscript as Unicode sub/superscript characters when they all exist."""
    if kind == "^" and arg == "∘" and not lenient:
        return "°"
    ok = _SUB_OK if kind == "_" else _SUP_OK
    for ch in arg:
        if ch not in ok:
            return arg
    return arg.translate(_SUBSCRIPTS if kind == "_" else _SUPERSCRIPTS)


def _arg(toks: list[_Tok], i: int, lenient: bool) -> tuple[str, str, int]:
    """One argument (of ``_``, ``^``, ``\\frac``, ...): a group or one token, after white space.

    Returns (element, text, next index). A number gives only its first digit: ``x^23`` is
    x^{2}3. In lenient mode a command argument is that one token, without arguments of its own."""
    n = len(toks)
    while i < n:
        kind = toks[i][0]
        if kind == " ":
            i += 1
        elif lenient and kind == "o" and toks[i][1].isspace():
            j = i + 1
            while j < n and toks[j][0] == "o" and toks[j][1].isspace():
                j += 1
            if j < n and toks[j][0] in _PLAIN_KINDS:
                break  # a run starting with Unicode spaces: its first space is the argument
            i = j
        else:
            break
    if i >= n:
        if lenient:
            return "", "", i
        raise _Unsupported
    kind, val = toks[i]
    if kind == "{":
        text: list[str] = []
        sub, i = _seq(toks, i + 1, True, text, lenient)
        return f"<mrow>{''.join(sub)}</mrow>", "".join(text), i
    if kind == "n":
        if len(val) > 1:
            toks[i] = ("n", val[1:])
            return f"<mn>{val[0]}</mn>", val[0], i
        return f"<mn>{val}</mn>", val, i + 1
    if kind == "l":
        return f"<mi>{val}</mi>", val, i + 1
    if kind == "o":
        op = _OPERATORS.get(val)
        if op is not None:
            return f"<mo>{op}</mo>", val if lenient else _OPERATOR_TEXT.get(val, val), i + 1
        if lenient:
            return "", val, i + 1
    elif kind == "\\":
        items: list[str] = []
        parts: list[str] = []
        if lenient:
            _command([], 0, val, items, parts, True)
            return "".join(items), "".join(parts), i + 1
        i = _command(toks, i + 1, val, items, parts, False)
        if len(items) == 1:
            return items[0], "".join(parts), i
    elif lenient:  # "_", "^" or "}" where an argument should be: an empty one
        return "", "", i + 1
    raise _Unsupported


def _command(
    toks: list[_Tok], i: int, name: str, items: list[str], text: list[str], lenient: bool
) -> int:
    """The command ``\\name`` whose arguments start at ``toks[i]``; appends its element."""
    kind = _KINDS.get(name)
    if kind == _SYMBOL:
        items.append(_SYMBOL_ELEMENTS[name])
        text.append(MATH_SYMBOLS[name])
    elif kind == _SPACE:
        width = _SPACE_WIDTHS.get(name)
        if width is not None:
            items.append(f'<mspace width="{width}"/>')
            text.append(" ")
        elif lenient:
            text.append(MATH_SPACES[name])
        elif name != "!":  # "\\": a line break
            raise _Unsupported
    elif kind == _DROP:
        pass
    elif kind == _FUNCTION:
        items.append(f"<mi>{name}</mi><mo>\u2061</mo>")
        text.append(f" {name} ")
    elif kind == _FRAC:
        num, num_text, i = _arg(toks, i, lenient)
        den, den_text, i = _arg(toks, i, lenient)
        items.append(f"<mfrac>{num}{den}</mfrac>")
        text.append(f"{_grouped(num_text)}/{_grouped(den_text)}")
    elif kind == _SQRT:
        if not lenient and i < len(toks) and toks[i][1] == "[":
            raise _Unsupported  # a root index, "\sqrt[3]{x}"
        arg, arg_text, i = _arg(toks, i, lenient)
        items.append(f"<msqrt>{arg}</msqrt>")
        text.append("√" + _grouped(arg_text))
    elif kind == _FONT and not lenient:
        i = _font(toks, i, name, items, text)
    elif kind == _FONT:
        _, arg_text, i = _arg(toks, i, True)
        text.append(arg_text)
    elif not lenient:
        raise _Unsupported
    elif kind == _ACCENT:
        _, arg_text, i = _arg(toks, i, True)
        if arg_text:
            accented = unicodedata.normalize("NFC", arg_text[0] + MATH_ACCENTS[name])
            text.append(accented + arg_text[1:])
    elif kind == _LETTER:
        text.append(LETTER_MACROS[name])
    # Lenient mode drops an unknown command's name and keeps what follows.
    return i


def _grouped(text: str) -> str:
    """A fraction's part or a root's argument in plain text: in parentheses unless one char."""
    return text if len(text) <= 1 else f"({text})"


def _font(toks: list[_Tok], i: int, name: str, items: list[str], text: list[str]) -> int:
    """``\\mathbf{x}``, ``\\text{if }`` and the like on plain characters (strict mode)."""
    variant = _FONT_VARIANTS.get(name)
    n = len(toks)
    if (variant is None and name not in _TEXT_FONTS) or i >= n or toks[i][0] != "{":
        raise _Unsupported
    j = i + 1
    parts: list[str] = []
    while j < n and toks[j][0] in _FONT_KINDS:
        parts.append(toks[j][1])
        j += 1
    if j >= n or toks[j][0] != "}" or not parts:
        raise _Unsupported
    raw = "".join(parts)
    content = esc(raw)
    if name in _TEXT_FONTS:
        items.append(f"<mtext>{content}</mtext>")
    elif variant == "normal":
        items.append(f'<mi mathvariant="normal">{content}</mi>')
    else:
        items.append(f'<mi mathvariant="{variant}">{content}</mi>')
    text.append(raw)
    return j + 1


# ---------------------------------------------------------------------------------------------
# Sanitising latex2mathml's output.

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
_BS_CMD = re.compile(r"\\[A-Za-z]+")


def _sanitize_mathml(ml: str, unknown: dict[str, None]) -> str:
    """Rebuild latex2mathml output with allowlisted elements and attributes, escaped text."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _ML_TAG.finditer(ml):
        if m.start() > pos:
            out.append(_ml_text(ml[pos : m.start()], unknown))
        pos = m.end()
        closing, name, attrs, selfclosing = m.groups()
        if name not in _MATHML_ELEMENTS:
            out.append(esc(m.group()))
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
                kept.append(f' {key}="{esc(_html.unescape(value))}"')
            elif key == "xmlns" and value == _MATHML_NS:
                kept.append(f' xmlns="{_MATHML_NS}"')
        attr_text = "".join(kept)
        if selfclosing:
            out.append(f"<{name}{attr_text}/>")
        else:
            stack.append(name)
            out.append(f"<{name}{attr_text}>")
    if pos < len(ml):
        out.append(_ml_text(ml[pos:], unknown))
    while stack:
        out.append(f"</{stack.pop()}>")
    return "".join(out)


def _ml_text(text: str, unknown: dict[str, None]) -> str:
    """Text between tags: unescaped, stripped of commands (recorded in ``unknown``), escaped."""
    if "&" in text:
        text = _html.unescape(text)
    if "\\" in text:
        for cmd in _BS_CMD.findall(text):
            unknown.setdefault(cmd, None)
        text = _BS_CMD.sub("", text)
        text = text.replace("\\", "\\" + WJ)
    return esc(text)
