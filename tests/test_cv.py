"""The CV: the shared al-folio cv.yml read as it is and a JSON Resume file each render every
section on cv/, with the bibliography's papers (owner highlighted) as chosen in site.yaml;
problems in either format are located; the inline-HTML whitelist keeps text text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from generator.build import build_site
from generator.errors import ScholarpageError
from generator.jsonfile import read_json
from generator.richtext import clean_inline, inline
from tests.conftest import write_site
from tests.homepage_fixtures import (
    ALFOLIO_CV,
    RESUME,
    RESUME_TEXTS,
    RESUME_TITLES,
    write_homepage,
)

ENV = {"SOURCE_DATE_EPOCH": "1795824000"}


def cv_main(site: Path) -> str:
    out = site.parent / f"{site.name}-out"
    build_site(site, output=out, env=ENV)
    html = (out / "cv" / "index.html").read_text(encoding="utf-8")
    return html[html.index("<main") : html.index("</main>")]


def visible(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def strings_of(value: object) -> list[str]:
    """Every text of a parsed al-folio item (what the page must show)."""
    if isinstance(value, dict):
        return [s for k, v in value.items() if k != "type" for s in strings_of(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return [] if value is None else [str(value)]


@pytest.mark.corpus
def test_the_shared_alfolio_cv_renders_every_section(tmp_path: Path) -> None:
    if not ALFOLIO_CV.is_file():
        pytest.skip(f"shared corpus not present: {ALFOLIO_CV}")
    page = cv_main(write_homepage(tmp_path / "site", cv="alfolio"))
    sections = yaml.safe_load(ALFOLIO_CV.read_text(encoding="utf-8"))
    headings = re.findall(r'<h2 id="cv-\d+">(.*?)</h2>', page)
    assert headings == [s["title"] for s in sections]
    text = visible(page)
    for section in sections:
        for value in strings_of(section["contents"]):
            shown = visible(value)  # the file's inline HTML shows as what it marks up
            assert shown in text, (section["title"], value)
    # al-folio's inline HTML is kept where it is safe markup
    assert '<a href="https://github.com/alshedivat/al-folio">al-folio</a>' in page
    assert "<u>Hobbies:</u> Hobby 1, Hobby 2, etc." in page
    # each kind has its layout
    assert '<dl class="cv-map">' in page and '<ul class="cv-nested">' in page
    assert "<li>Description 3.<ul><li>Sub-description 1.</li>" in page
    assert '<p class="cv-date">2029</p>' in page and "<li>Max Planck Medal</li>" in page


def test_a_json_resume_renders_every_section(tmp_path: Path) -> None:
    page = cv_main(write_homepage(tmp_path / "site", cv="resume"))
    headings = re.findall(r'<h2 id="cv-[\w-]+">(.*?)</h2>', page)
    assert headings[: len(RESUME_TITLES)] == list(RESUME_TITLES)
    text = visible(page)
    for value in RESUME_TEXTS:
        assert value in text, value
    assert "<h1>Ada Example</h1>" in page
    assert '<a href="mailto:ada@example.org">ada@example.org</a>' in page
    assert "Sep 2020 – present" in text and "Sep 2012 – Jun 2016" in text
    assert "<em>examples</em>" in page  # the summary is Markdown


def test_cv_publications_selected_all_or_none_with_the_owner_highlighted(tmp_path: Path) -> None:
    site = write_homepage(tmp_path / "site", cv="alfolio")
    page = cv_main(site)
    assert '<h2 id="cv-publications">Selected publications</h2>' in page
    papers = page[page.index('id="cv-publications"') :]
    assert "Quokka Graphs at Scale" in papers and "Fast Solvers" not in papers
    assert '<strong class="me">Ada Example</strong>' in papers
    (site / "site.yaml").write_text("today: 2026-11-28\ncv_publications: all\n")
    papers = cv_main(site).split('id="cv-publications"')[1]
    order = [t for t in ("Quokka Graphs", "Fast Solvers", "An Old Note") if t in papers]
    assert order == ["Quokka Graphs", "Fast Solvers", "An Old Note"]
    assert sorted(order, key=papers.index) == order  # newest first
    assert papers.count('<strong class="me">') == 3
    (site / "site.yaml").write_text("today: 2026-11-28\ncv_publications: none\n")
    assert "cv-publications" not in cv_main(site)


def test_selected_with_no_paper_selected_lists_them_all(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", files={"content/cv.yaml": "- {title: X, type: list}\n"})
    page = cv_main(site)
    assert '<h2 id="cv-publications">Publications</h2>' in page and "A Paper" in page


def test_two_cv_files_are_an_error(tmp_path: Path) -> None:
    site = write_homepage(tmp_path / "site", cv="alfolio")
    (site / "content" / "resume.json").write_text("{}")
    with pytest.raises(ScholarpageError) as caught:
        cv_main(site)
    assert "more than one CV: cv.yaml, resume.json" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("- title: E\n  type: timetable\n", "cv.yaml:2: [0].type", "did you mean 'time_table'?"),
        (
            "- title: E\n  type: map\n  contents: oops\n",
            "cv.yaml:3: [0].contents",
            "expected a list",
        ),
        ("- title: E\n  type: list\n  contents:\n    - {a: 1}\n", "cv.yaml:4", "expected text"),
        ("title: E\n", "cv.yaml", "expected a list of CV sections"),
    ],
)
def test_alfolio_problems_are_located(tmp_path: Path, text: str, where: str, message: str) -> None:
    site = write_site(tmp_path / "site", files={"content/cv.yaml": text})
    with pytest.raises(ScholarpageError) as caught:
        cv_main(site)
    assert where in str(caught.value) and message in str(caught.value), str(caught.value)


def test_alfolio_unknown_keys_warn_with_did_you_mean(tmp_path: Path) -> None:
    text = "- title: E\n  type: time_table\n  contents:\n    - {title: X, instituton: Y}\n"
    site = write_site(tmp_path / "site", files={"content/cv.yaml": text})
    result = build_site(site, output=tmp_path / "out", env=ENV)
    (problem,) = result.warnings
    assert problem.line == 4 and problem.key == "[0].contents[0].instituton"
    assert problem.hint == "did you mean 'institution'?"


def test_json_resume_problems_are_located(tmp_path: Path) -> None:
    resume = {"basics": {"name": "A"}, "work": [{"name": "X", "highlights": "not a list"}]}
    text = json.dumps(resume, indent=2)
    site = write_site(tmp_path / "site", files={"content/resume.json": text})
    with pytest.raises(ScholarpageError) as caught:
        cv_main(site)
    line = text.splitlines().index('      "highlights": "not a list"') + 1
    assert f"resume.json:{line}: work[0].highlights: expected a list of texts" in str(caught.value)
    (site / "content" / "resume.json").write_text('{"basics": {"name": "A",}}')
    with pytest.raises(ScholarpageError) as caught:
        cv_main(site)
    assert "resume.json:1: JSON syntax error" in str(caught.value)
    (site / "content" / "resume.json").write_text(json.dumps({"wrok": [], **RESUME}))
    result = build_site(site, output=tmp_path / "out", env=ENV)
    assert [(p.key, p.hint) for p in result.warnings] == [("wrok", "did you mean 'work'?")]


def test_json_lines_are_kept_for_every_key_and_deep_nesting_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{\n  "a": [\n    1,\n    {"b": "x,]}"}\n  ],\n  "c": {"d": null}\n}\n')
    doc = read_json(path, what="resume")
    assert doc.lines == {
        ("a",): 2,
        ("a", 0): 3,
        ("a", 1): 4,
        ("a", 1, "b"): 4,
        ("c",): 6,
        ("c", "d"): 6,
    }
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ScholarpageError) as caught:
        read_json(path, what="resume")
    assert "nested too deeply" in str(caught.value)


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ('<a href="https://x.org">x</a>', '<a href="https://x.org">x</a>'),
        ("<u>Hobbies:</u> *a*", "<u>Hobbies:</u> <em>a</em>"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<b onclick="alert(1)">b</b>', "<b>b</b>"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("<em>open", "<em>open</em>"),
        ("</div>x", "&lt;/div&gt;x"),
        ("<!-- c -->", "&lt;!-- c --&gt;"),
        ("a & b <c", "a &amp; b &lt;c"),
    ],
)
def test_inline_html_whitelist(source: str, html: str) -> None:
    assert inline(source) == html


def test_clean_inline_never_passes_an_unknown_tag() -> None:
    hostile = '<svg onload=alert(1)><style>*{}</style><iframe src="x"></iframe>'
    cleaned = clean_inline(hostile)
    assert "<" not in cleaned.replace("&lt;", "")
