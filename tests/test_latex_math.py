"""The plain text of formulas, from the one math walk in both of its modes.

Strict mode (the fast MathML path) and lenient mode (formulas latex2mathml renders) share one
grammar but not every text rule; these tables pin both sets of rules, which pages, feeds and search
show, so that neither mode drifts into the other.
"""

from __future__ import annotations

import pytest

from generator.latex import convert
from generator.latex.math import math_markup

MATHML = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">'

# (formula, text, a fragment of the fast path's MathML)
FAST: list[tuple[str, str, str]] = [
    (r"10^{-3}", "10−3", "<msup><mn>10</mn><mrow><mo>−</mo><mn>3</mn></mrow></msup>"),
    (r"a-b", "a−b", "<mi>a</mi><mo>−</mo><mi>b</mi>"),
    (r"f'(x)", "f′(x)", "<mo>′</mo>"),
    (r"x^\circ", "x°", "<msup><mi>x</mi><mo>∘</mo></msup>"),
    (r"x^23", "x²3", "<msup><mi>x</mi><mn>2</mn></msup><mn>3</mn>"),
    (r"x_i^2", "xᵢ²", "<msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup>"),
    (r"\frac{a+b}{2}", "(a+b)/2", "<mo>+</mo><mi>b</mi></mrow><mrow><mn>2</mn></mrow></mfrac>"),
    (r"\frac12", "1/2", "<mfrac><mn>1</mn><mn>2</mn></mfrac>"),
    (r"\sqrt{x^2+1}", "√(x²+1)", "<msqrt><mrow><msup><mi>x</mi><mn>2</mn></msup>"),
    (r"\alpha\times\beta", "α×β", "<mi>α</mi><mo>×</mo><mi>β</mi>"),
    (r"\mathrm{d}x", "dx", '<mi mathvariant="normal">d</mi><mi>x</mi>'),
    (r"\text{if } x", "if x", "<mtext>if </mtext>"),
    (r"\operatorname{tr}(A)", "tr(A)", '<mi mathvariant="normal">tr</mi>'),
    (r"\log_2 n", "log ₂ n", "<msub><mi>log</mi><mo>\u2061</mo><mn>2</mn></msub>"),
]  # fmt: skip


@pytest.mark.parametrize(("tex", "text", "fragment"), FAST)
def test_fast_path_text_and_mathml_come_from_one_walk(tex: str, text: str, fragment: str) -> None:
    unknown: dict[str, None] = {}
    html, plain, is_mathml = math_markup(tex, False, unknown)
    assert is_mathml and html.startswith(MATHML + "<mrow>")
    assert fragment in html
    assert " ".join(plain.split()) == text  # convert collapses white space for the whole value
    assert convert(f"${tex}$").text == text
    assert not unknown


# (formula, text): beyond the fast path; the MathML is latex2mathml's, the text the lenient walk's.
LENIENT: list[tuple[str, str]] = [
    (r"a-b \hat{c}", "a-b ĉ"),  # ASCII hyphen, not the fast path's minus sign
    (r"10^{-3} \hat{y}", "10⁻³ ŷ"),  # so the exponent can be superscript characters
    (r"x^\circ \hat{y}", "x∘ ŷ"),  # no degree sign
    (r"x^{\hat{a}}", "xâ"),
    (r"\hat x_1", "x̂₁"),
    (r"x^ab\hat{y}", "xᵃbŷ"),  # a script argument is one character
    (r"x^\frac{a}{b} \hat{c}", "x/ab ĉ"),  # a command as an argument takes none of its own
    (r"\sqrt[3]{x}", "√[3]x"),
    (r"\vec{v}\cdot\vec{w}", "v⃗⋅w⃗"),
    (r"\mathscr{L} = \ss", "L = ß"),
    (r"\overline{AB}", "AB"),
    (r"\quad \hat{x} \quad", "x̂"),  # white space collapsed and stripped
    (r"\enspace\hat{x}", "x̂"),
    (r"a\\b", "a b"),
]


@pytest.mark.parametrize(("tex", "text"), LENIENT)
def test_formulas_beyond_the_fast_path_get_the_lenient_text(tex: str, text: str) -> None:
    unknown: dict[str, None] = {}
    html, plain, is_mathml = math_markup(tex, False, unknown)
    assert is_mathml and html.startswith(MATHML)
    assert plain == text
    result = convert(f"${tex}$")
    assert result.text == text and result.has_math


def test_unknown_commands_drop_their_name_and_keep_their_argument() -> None:
    result = convert(r"$\foo{x} + y$")
    assert result.text == "x + y"
    assert result.unknown_macros == ("\\foo",)
    assert "foo" not in result.html and "\\" not in result.html


def test_a_formula_latex2mathml_rejects_is_shown_as_its_lenient_text() -> None:
    unknown: dict[str, None] = {}
    html, plain, is_mathml = math_markup(r"x^", False, unknown)
    assert (html, plain, is_mathml) == ('<span class="math">x</span>', "x", False)


def test_deep_nesting_does_not_escape_convert() -> None:
    for tex in ("{" * 5000 + "x", "x^{" * 3000, "\\frac{" * 3000):
        result = convert(f"a ${tex}$ b")
        assert result.text.startswith("a") and result.text.endswith("b")
