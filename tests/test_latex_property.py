"""Property tests for generator.latex.convert: any string converts, and the HTML is always safe.

What must hold whatever the input: no exception; the HTML is well formed (every element opened is
closed, properly nested) and uses only the elements we emit; no script, no event handler, no
unsafe link; no raw ``\\command`` in what a reader sees; the plain text carries no tags of ours.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.latex import Rendered, convert

HTML_ELEMENTS = {"em", "strong", "i", "b", "sub", "sup", "span", "code", "a"}
MATHML_ELEMENTS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
    "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd",
    "mlabeledtr", "mstyle", "mpadded", "mphantom", "menclose", "merror", "mfenced",
    "mmultiscripts", "mprescripts", "none", "semantics",
}  # fmt: skip
VOID_ELEMENTS = {"mspace", "mprescripts", "none"}
SAFE_HREF = re.compile(r"(?i)(?:https?:|mailto:|ftp:|[^:/?#]*(?:[/?#]|$))")
RAW_COMMAND = re.compile(r"\\[A-Za-z]")

MACROS = [
    "emph", "textbf", "textit", "textsc", "texttt", "textsuperscript", "textsubscript", "em",
    "bf", "it", "sc", "tt", "url", "href", "noopsort", "foo", "pkg", "TeX", "LaTeX", "ss", "i",
    "c", "v", "u", "H", "k", "r", "d", "b", "t", "ae", "o", "l", "textendash", "backslash",
    "textbackslash", "textdollar", "sqrt", "frac", "times", "alpha", "mathrm", "text", "ldots",
    "mbox", "ensuremath", "relax", "protect", "kern", "hspace", "vspace", "vphantom", "phantom",
    "'", '"', "`", "^", "~", "=", ".", ",", " ", "\\",
    "$", "%", "&", "_", "{", "}", "#", "(", ")", "[", "]", "-", "/", "@", "!",
]  # fmt: skip
PIECES = [
    "{", "}", "$", "$$", "%", "~", "-", "--", "---", "'", "''", "`", "``", '"', "<", ">", "&",
    " ", "\n", "a", "e", "x", "Z", "1", "2", "_", "^", "<sub>", "</sub>", "<i>", "</i>",
    "<b>", "</b>", "<em>", "</em>", "<script>", "</strong>", "<strong>", "&amp;", "&#60;",
    "javascript:alert(1)", "http://x.org/a_b", "{$<$}", "{$>$}", "\\(", "\\)", "\\[", "\\]",
    "$\\backslash$", "{\\$}", "\\backslash ", "{\\{}", "{\\}}", "\\textbackslash{}",
    "\\textexclamdown b\\textquestiondown", "é", "α", "\u00a0", "\\\\", "\\textbackslash ",
    "\\textbackslash\\&", "\\{\\textbackslash", "\\}", "\\{", "{\\textbackslash}", "\\kern-.1em",
    "1pt", "\\hspace*{1em}", "\\vphantom\\}", "\\textbackslash\\~{}",
]  # fmt: skip

latexish = st.lists(
    st.one_of(
        st.sampled_from(PIECES),
        st.sampled_from(MACROS).map(lambda m: "\\" + m),
        st.text(alphabet="abcxyz \\{}$%~-'`\"<>&_^", max_size=4),
    ),
    max_size=40,
).map("".join)


class _Checker(HTMLParser):
    """Records well-formedness problems and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_ELEMENTS and tag not in MATHML_ELEMENTS:
            self.problems.append(f"element <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"attribute {name}")
            if name == "href":
                if tag != "a" or value is None or not SAFE_HREF.match(value):
                    self.problems.append(f"href {value!r}")
            elif name == "class" and tag != "span":
                self.problems.append("class outside span")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"stray </{tag}> with open {self.stack}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def check(source: str) -> Rendered:
    result = convert(source)
    assert isinstance(result.html, str)
    assert isinstance(result.text, str)
    checker = _Checker()
    checker.feed(result.html)
    checker.close()
    assert not checker.problems, (source, result.html, checker.problems)
    assert not checker.stack, (source, result.html, checker.stack)
    visible = "".join(checker.visible)
    assert not RAW_COMMAND.search(visible), (source, result.html)
    assert not RAW_COMMAND.search(result.text), (source, result.text)
    assert "<script" not in result.html.lower()
    if not any(c in source for c in "<&") and not re.search("textless|textexclamdown", source):
        assert "<" not in result.text, (source, result.text)
    assert result.html == result.html.strip(" ") and "  " not in result.text
    for name in result.unknown_macros:
        assert name.startswith("\\")
    assert len(set(result.unknown_macros)) == len(result.unknown_macros)
    return result


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text(source: str) -> None:
    check(source)


@pytest.mark.slow  # 2,500 examples: ~10 s of CPU
@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(latexish)
def test_latex_like_text(source: str) -> None:
    check(source)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abc \\{}$", min_size=1, max_size=30))
def test_math_and_braces(source: str) -> None:
    result = check("$" + source + "$")
    if "\\" not in source and "$" not in source:
        # Math never leaks its delimiters: it is MathML, or a readable fallback span.
        assert "$" not in result.text, (source, result.text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\\{}$~'`\"<>&%-"), max_size=60))
def test_plain_text_is_escaped_text(source: str) -> None:
    result = check(source)
    collapsed = " ".join(re.split(r"[ \t\n\r\f\v]+", source)).strip(" ")
    assert result.text == collapsed
    assert result.html == collapsed
    assert result.unknown_macros == () and not result.has_math and not result.bare_percent


# LaTeX as Zotero / Better BibTeX export it when a field holds LaTeX: "\\" becomes
# "\textbackslash{}" or "\textbackslash " before a letter, "\textbackslash" otherwise, and
# "{ } $ & % # _ ^ ~" are escaped. A value counts as escaped LaTeX once it has a command in it.
ZOTERO_LATEX = [
    r"\'e", r"\"o", r"\v{s}", r"{\v s}", r"\.e", r"\&", r"\%", r"{\aa}", r"\ss{}", r"\emph{word}",
    r"\textbf{Ga}", r"$\alpha$", r"$x_{2}$", r"\textsuperscript{th}", r"{\o}", r"\c{c}", r"\H{o}",
    r"\~{n}", r"\^{o}", r"\textendash{}", r"\LaTeX{}", r"\'{\i}", r"$\langle 111\rangle$",
]  # fmt: skip
ZOTERO_TEXT = ["Taylor", "and", "Francis", "x", "42", "(1)", ".", ",", "nas", "GaN"]
_ZOTERO_SPECIAL = {"{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#",
                   "_": r"\_", "^": r"\^{}", "~": r"\textasciitilde{}"}  # fmt: skip


def zotero_escape(latex: str, spaced: bool) -> str:
    out: list[str] = []
    for i, c in enumerate(latex):
        if c == "\\":
            before_letter = latex[i + 1 : i + 2].isalpha()
            out.append("\\textbackslash" + ((" " if spaced else "{}") if before_letter else ""))
        else:
            out.append(_ZOTERO_SPECIAL.get(c, c))
    return "".join(out)


zotero_values = st.tuples(
    st.sampled_from([piece for piece in ZOTERO_LATEX if "\\" in piece]),
    st.lists(
        st.tuples(
            st.sampled_from(["", " "]),
            st.one_of(st.sampled_from(ZOTERO_LATEX), st.sampled_from(ZOTERO_TEXT)),
        ),
        max_size=8,
    ),
).map(lambda t: t[0] + "".join(sep + piece for sep, piece in t[1]))


@settings(max_examples=800, deadline=None)
@given(zotero_values, st.booleans())
def test_zotero_escaped_latex_converts_like_the_latex(latex: str, spaced: bool) -> None:
    escaped = zotero_escape(latex, spaced)
    assert check(escaped) == convert(latex), (latex, escaped)


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True),
    st.from_regex(r"[nqrw]?[0-9][A-Za-z0-9]{0,6}", fullmatch=True),
    st.sampled_from(["\\textbackslash ", "\\textbackslash{}", "{\\textbackslash}"]),
)
def test_literal_textbackslash_loses_no_text(before: str, word: str, escape: str) -> None:
    # "C:\textbackslash{}2024", a pasted "\r": a backslash with no command after it is shown.
    result = check(f"{before}{escape}{word} end")
    assert result.text.replace("\u2060", "") == f"{before}\\{word} end"


def test_deep_nesting_does_not_raise() -> None:
    for source in ["{" * 5000 + "x", "\\'{" * 3000 + "e" + "}" * 3000, "$" + "{" * 3000 + "$"]:
        check(source)


def test_percent_flags() -> None:
    assert convert("50% of").bare_percent
    assert not convert("50\\% of").bare_percent
