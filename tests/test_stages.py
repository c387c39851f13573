"""Unit tests, one stage at a time, through real files in tmp_path."""

from __future__ import annotations

import datetime as dt
import os
import posixpath
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.assemble import (
    compute_metrics,
    format_date,
    h_index,
    main_category,
    slugify,
    sort_papers,
    unique_slugs,
)
from generator.bibtex import category_code, read_papers
from generator.build import build_site, reference_date
from generator.config import load_config
from generator.errors import ScholarpageError, Warnings
from generator.incremental import Rebuilder
from generator.markdown import render_markdown
from generator.model import BadgeSpec, BibSource, Output, Paper
from generator.output import MARKER, write_site
from generator.profile import read_profile
from generator.urls import absolute, link_target, relative, safe_url
from tests.conftest import SiteFactory

# --- config -------------------------------------------------------------------------------


def test_config_defaults(make_site: SiteFactory) -> None:
    site = make_site(site_yaml="")
    warnings = Warnings()
    config = load_config(site, warnings)
    assert config.theme == "scholar"
    assert config.output == site.resolve() / "_site"
    assert config.bibliography == (BibSource(site.resolve() / "content" / "papers.bib"),)
    assert config.max_authors == 3 and config.sort == "date" and config.base_url == ""
    assert len(warnings) == 0


def test_config_values_and_overrides(make_site: SiteFactory, tmp_path: Path) -> None:
    yaml_text = (
        "base_url: https://alice.github.io/profile\n"
        "bibliography:\n  - a.bib\n  - {path: b.bib, encoding: latin-1}\n"
        "paper_badges: [{field: Score, label: Score, decimals: 2}]\n"
        "today: 2026-01-02\n"
    )
    site = make_site(site_yaml=yaml_text)
    config = load_config(site, Warnings(), theme="classic", output=tmp_path / "out")
    assert config.base_url == "https://alice.github.io/profile/"
    assert [b.path.name for b in config.bibliography] == ["a.bib", "b.bib"]
    assert config.bibliography[1].encoding == "latin-1"
    assert config.paper_badges == (BadgeSpec("score", "Score", 2),)
    assert config.today == dt.date(2026, 1, 2)
    assert config.theme == "classic" and config.output == (tmp_path / "out").resolve()
    override = load_config(site, Warnings(), base_url="https://x.org/sub")
    assert override.base_url == "https://x.org/sub/"


def test_config_unknown_key_did_you_mean(make_site: SiteFactory) -> None:
    site = make_site(site_yaml="title: T\nbase_ulr: https://x.org/\n")
    warnings = Warnings()
    load_config(site, warnings)
    (problem,) = warnings.items
    assert problem.line == 2 and problem.key == "base_ulr"
    assert problem.hint == "did you mean 'base_url'?"


def test_config_collects_all_problems(make_site: SiteFactory) -> None:
    site = make_site(site_yaml="max_authors: 0\ntoday: soon\nbibliography: 3\n")
    with pytest.raises(ScholarpageError) as info:
        load_config(site, Warnings())
    assert [(p.key, p.line) for p in info.value.problems] == [
        ("max_authors", 1),
        ("today", 2),
        ("bibliography", 3),
    ]


def test_config_missing(tmp_path: Path) -> None:
    with pytest.raises(ScholarpageError, match=r"no site\.yaml"):
        load_config(tmp_path, Warnings())


# --- profile ------------------------------------------------------------------------------


def test_profile_full(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(
        "name: Zoë <Q>\naliases: [Z. Q]\naffiliation: Uni\ncategory: lg\n"
        "links: {Web: 'https://q.org', Mail: 'mailto:z@q.org'}\n"
        "bio: 'I study *flows*, $x^2$ and <script>.'\n"
        "metrics:\n  h_index: {value: 4, source: Scholar, as_of: 2026-01-01}\n"
        "  custom:\n    - {label: Novelty, value: 56, unit: '%'}\n",
        encoding="utf-8",
    )
    profile = read_profile(path)
    assert profile.name == "Zoë <Q>" and profile.category == "LG"
    assert [(link.label, link.url) for link in profile.links] == [
        ("Web", "https://q.org"),
        ("Mail", "mailto:z@q.org"),
    ]
    assert "<em>flows</em>" in profile.bio_html and "<math" in profile.bio_html
    assert "&lt;script&gt;" in profile.bio_html and "<script>" not in profile.bio_html
    (h,) = profile.declared_metrics
    assert (h.label, h.value, h.source, h.as_of) == ("h-index", 4, "Scholar", dt.date(2026, 1, 1))
    assert profile.custom_metrics[0].display == "56%"


def test_profile_rejects_unsafe_links_and_types(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(
        "name: A\nlinks:\n  Bad: 'javascript:alert(1)'\nmetrics:\n  citations: many\n"
        "  h_index: true\n  nonsense: 3\n",
        encoding="utf-8",
    )
    with pytest.raises(ScholarpageError) as info:
        read_profile(path)
    found = {(p.key, p.line) for p in info.value.problems}
    assert found == {
        ("links.Bad", 3),
        ("metrics.citations", 5),
        ("metrics.h_index", 6),
        ("metrics.nonsense", 7),
    }


def test_profile_name_required(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text("affiliation: X\n", encoding="utf-8")
    with pytest.raises(ScholarpageError, match="is required"):
        read_profile(path)


# --- bibtex (the basics the foundation relies on; reading edge cases live in test_bibtex) ---


def _papers(tmp_path: Path, bib: str, badges: tuple[BadgeSpec, ...] = ()) -> tuple[Paper, ...]:
    path = tmp_path / "p.bib"
    path.write_text(bib, encoding="utf-8")
    return read_papers((BibSource(path),), badges, Warnings())


def test_bibtex_fields(tmp_path: Path) -> None:
    (paper,) = _papers(
        tmp_path,
        "@article{k1,\n title={{JanusPipe}: Fast $1.5\\times$},\n"
        ' author={M{\\"u}ller, J. and Doe, Jane and others},\n date={2026-05-18},\n'
        " eprint={2605.00001}, archivePrefix={arXiv}, primaryClass={physics.comp-ph},\n"
        " score={63.25}, citations={7}, doi={https://doi.org/10.1/X}}\n",
        (BadgeSpec("score", "Score"),),
    )
    assert paper.title.text == "JanusPipe: Fast 1.5×"
    assert [a.text for a in paper.authors] == ["J. Müller", "Jane Doe"]
    assert paper.others is True
    assert (paper.date.year, paper.date.month, paper.date.day) == (2026, 5, 18)
    assert paper.category == "COMP-PH" and paper.arxiv_id == "2605.00001"
    assert paper.badges == (("score", 63.25),) and paper.citations == 7
    assert paper.doi == "10.1/X" and paper.line == 1 and paper.has_math


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("year={2019}, month=nov", (2019, 11, None)),
        ("year={2019}, month={Sep.}", (2019, 9, None)),
        ("year={2019}, month={MAR}, day={3}", (2019, 3, 3)),
        ('year="2013", month="january"', (2013, 1, None)),
        ("date={2020-02/2020-03}", (2020, 2, None)),
        ("year={in press}", (None, None, None)),
    ],
)
def test_bibtex_dates(tmp_path: Path, fields: str, expected: tuple[int | None, ...]) -> None:
    (paper,) = _papers(tmp_path, f"@misc{{k, title={{T}}, {fields}}}\n")
    assert (paper.date.year, paper.date.month, paper.date.day) == expected


def test_category_codes() -> None:
    assert category_code("cs.DC") == "DC"
    assert category_code("physics.comp-ph") == "COMP-PH"
    assert category_code("hep-th") == "HEP-TH"
    assert category_code(None) is None


# --- assemble -----------------------------------------------------------------------------


def test_h_index() -> None:
    assert h_index([]) == 0
    assert h_index([10, 8, 5, 4, 3]) == 4
    assert h_index([25, 8, 5, 3, 3]) == 3
    assert h_index([0, 0]) == 0


def test_metrics_declared_win_and_computed_fill_in(tmp_path: Path) -> None:
    papers = _papers(
        tmp_path,
        "".join(
            f"@misc{{k{i}, title={{T{i}}}, citations={{{c}}}}}\n" for i, c in enumerate([12, 10, 3])
        )
        + "@misc{cs, title={Mine}, primaryClass={cs.LG}}\n",
    )
    profile_path = tmp_path / "profile.yaml"
    profile_path.write_text("name: A\nmetrics:\n  citations: 99\n", encoding="utf-8")
    profile = read_profile(profile_path)
    shown = {m.key: (m.value, m.computed) for m in compute_metrics(profile, papers)}
    assert shown == {
        "h_index": (3, True),
        "papers": (4, True),
        "citations": (99, False),
        "i10_index": (2, True),
    }
    assert main_category(profile, papers) == "LG"


def test_unknown_metrics_are_not_zero(tmp_path: Path) -> None:
    papers = _papers(tmp_path, "@misc{a, title={T}}\n")
    profile_path = tmp_path / "profile.yaml"
    profile_path.write_text("name: A\n", encoding="utf-8")
    keys = [m.key for m in compute_metrics(read_profile(profile_path), papers)]
    assert keys == ["papers"]


def test_dates_relative_to_reference(tmp_path: Path) -> None:
    papers = _papers(
        tmp_path,
        "@misc{a, title={A}, date={2026-05-18}}\n@misc{b, title={B}, date={2025-10-31}}\n"
        "@misc{c, title={C}, year={2024}, month=jun}\n@misc{d, title={D}, year={2024}}\n"
        "@misc{e, title={E}}\n",
    )
    ref = dt.date(2026, 11, 28)
    assert [format_date(p, ref) for p in papers] == [
        "May 18",
        "Oct 31, 2025",
        "Jun 2024",
        "2024",
        "",
    ]
    by_date = [p.key for p in sort_papers(papers, "date")]
    assert by_date == ["a", "b", "c", "d", "e"]
    assert [p.key for p in sort_papers(papers, "title")] == ["a", "b", "c", "d", "e"]
    assert [p.key for p in sort_papers(tuple(reversed(papers)), "file")] == list("edcba")


def test_slugs() -> None:
    assert slugify("DBLP:conf/stoc/FournierL0T24") == "dblp-conf-stoc-fournierl0t24"
    assert slugify("易仕和，2013") == "2013"
    assert slugify("易仕和") == "paper"


def test_unique_slugs(tmp_path: Path) -> None:
    papers = _papers(
        tmp_path, "@misc{A-b, title={1}}\n@misc{a_b, title={2}}\n@misc{a.b, title={3}}\n"
    )
    assert unique_slugs(papers) == ("a-b", "a-b-2", "a-b-3")


def test_reference_date_order() -> None:
    assert reference_date(dt.date(2020, 1, 1), {"SOURCE_DATE_EPOCH": "0"}) == dt.date(1970, 1, 1)
    assert reference_date(dt.date(2020, 1, 1), {}) == dt.date(2020, 1, 1)
    assert reference_date(None, {}) == dt.date.today()


# --- urls and markdown ----------------------------------------------------------------------


def test_urls() -> None:
    assert safe_url("https://x.org/a?b=1") == "https://x.org/a?b=1"
    assert safe_url("mailto:a@b.c") == "mailto:a@b.c"
    assert safe_url("papers/x.pdf") == "papers/x.pdf"
    for bad in (
        "javascript:alert(1)",
        "JaVaScRiPt:x",
        "data:text/html,x",
        "//evil.org",
        "https:///nohost",
        "java\nscript:x",
        "",
    ):
        assert safe_url(bad) is None, bad
    assert relative("index.html", "assets/style.css") == "assets/style.css"
    assert relative("papers/a/index.html", "assets/style.css") == "../../assets/style.css"
    assert relative("papers/a/index.html", "index.html") == "../../index.html"
    assert absolute("https://x.org/p/", "papers/a/index.html") == "https://x.org/p/papers/a/"
    assert absolute("", "index.html") == ""


def test_markdown_is_safe() -> None:
    html = render_markdown("Hi <b>there</b> [x](javascript:alert(1)) $a_1$\n\n| a |\n|---|\n| 1 |")
    assert "&lt;b&gt;" in html
    assert 'href="javascript' not in html and "[x](javascript:alert(1))" in html
    assert "<math" in html and "<table>" in html


# --- render and output --------------------------------------------------------------------


def test_content_is_escaped(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site(
        profile="name: '<script>alert(1)</script>'\naffiliation: 'A & B \"q\"'\n",
        bib="@misc{x, title={<img src=x onerror=alert(1)> \\& more}, "
        "author={<b>Evil</b> Person}, url={javascript:alert(2)}, pdf={javascript:alert(3)}}\n",
    )
    out = tmp_path / "out"
    build_site(site, output=out)
    pages = [p.read_text(encoding="utf-8") for p in out.rglob("*.html")]
    joined = "\n".join(pages)
    assert "<script>alert" not in joined
    assert "<img src=x" not in joined
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more" in joined
    assert "javascript:" not in joined.split("<pre")[0]
    assert "A &amp; B" in joined


def test_write_site_refuses_duplicates_and_escapes(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site()
    out = tmp_path / "out"
    with pytest.raises(ScholarpageError, match="same file"):
        write_site((Output("a.html", b"1"), Output("A.html", b"2")), out, site)
    with pytest.raises(ScholarpageError, match="outside the output folder"):
        write_site((Output("../evil.html", b"1"),), out, site)
    assert not out.exists()
    write_site((Output("x/y.html", b"ok"),), out, site)
    assert (out / "x" / "y.html").read_bytes() == b"ok" and (out / MARKER).is_file()
    write_site((Output("z.html", b"ok"),), out, site)
    assert not (out / "x").exists() and (out / "z.html").exists()


def test_local_paper_files_are_published(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site(
        bib="@misc{x, title={T}, year={2024}, pdf={files/x.pdf}, slides={https://s.org/x}}\n",
        files={"files/x.pdf": "%PDF-1.4 fake"},
    )
    out = tmp_path / "out"
    build_site(site, output=out)
    assert (out / "files" / "x.pdf").read_text(encoding="utf-8") == "%PDF-1.4 fake"
    page = (out / "papers" / "x" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../files/x.pdf"' in page and 'href="https://s.org/x"' in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="files/x.pdf"' in index


def test_missing_local_paper_file_is_a_located_warning(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    site = make_site(
        bib="@misc{x, title={T},\n  pdf={files/nope.pdf}}\n"
        "@misc{y, title={U}, code={../up}, url={www.x.org}}\n"
    )
    out = tmp_path / "out"
    result = build_site(site, output=out)
    found = [(p.line, p.key, p.message) for p in result.warnings]
    assert found == [
        (1, "pdf", "pdf does not exist: files/nope.pdf (no link is shown)"),
        (3, "code", "code points outside the site folder: ../up (no link is shown)"),
    ]
    page = (out / "papers" / "y" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://www.x.org"' in page and "../up" not in page.split("<pre")[0]
    shown = (out / "papers" / "x" / "index.html").read_text(encoding="utf-8").split("<pre")[0]
    assert "nope.pdf" not in shown  # only in the BibTeX source listing
    with pytest.raises(ScholarpageError):
        build_site(site, output=tmp_path / "strict", strict=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://x.org/a.pdf", ("url", "https://x.org/a.pdf")),
        ("www.wimedia.org", ("url", "https://www.wimedia.org")),  # biblatex_gb7714_chinese.bib
        (
            "citeseer.nj.nec.com/article/w96.html",
            ("url", "https://citeseer.nj.nec.com/article/w96.html"),
        ),
        ("arxiv.org/abs/1234.5678", ("url", "https://arxiv.org/abs/1234.5678")),
        ("example_pdf.pdf", ("file", "example_pdf.pdf")),  # alfolio_example_papers.bib
        ("./files/a.pdf", ("file", "files/a.pdf")),
        ("slides.key", ("file", "slides.key")),
        ("javascript:alert(1)", None),
    ],
)
def test_link_target(value: str, expected: tuple[str, str] | None) -> None:
    assert link_target(value) == expected


@given(
    st.lists(st.sampled_from(["a", "b", "papers", "x"]), max_size=3),
    st.lists(st.sampled_from(["a", "b", "papers", "x"]), max_size=3),
    st.sampled_from(["index.html", "a.bib", "c.txt"]),
)
def test_relative_matches_relpath(src: list[str], dst: list[str], name: str) -> None:
    from_page = "/".join([*src, "index.html"])
    target = "/".join([*dst, name])
    expected = posixpath.relpath(target, posixpath.dirname(from_page) or ".")
    assert relative(from_page, target) == expected


def test_cached_environment_sees_new_and_edited_templates(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    site = make_site()
    out = tmp_path / "out"
    builder = Rebuilder(site, output=out)
    builder.build()
    assert "Ada Example" in (out / "index.html").read_text(encoding="utf-8")
    override = site / "templates" / "index.html"
    override.parent.mkdir()
    override.write_text("first {{ profile.name }}", encoding="utf-8")
    builder.build()
    assert (out / "index.html").read_text(encoding="utf-8") == "first Ada Example"
    override.write_text("second {{ profile.name }}", encoding="utf-8")
    os.utime(override, (1, 2_000_000_000))  # a distinct mtime even on coarse clocks
    result = builder.build()
    assert (out / "index.html").read_text(encoding="utf-8") == "second Ada Example"
    assert result.changed == ("index.html",)
