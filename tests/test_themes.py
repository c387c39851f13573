"""Themes without a browser: both built-in themes, overrides, a site's own theme, theme options,
owner highlighting, pages, page weight and the accessibility basics every page must have."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from generator.build import build_site
from generator.context import without_fields
from generator.errors import ScholarpageError
from tests.conftest import REPO, SiteFactory

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sites"
EPOCH = {"SOURCE_DATE_EPOCH": "1795824000"}  # 2026-11-28
THEMES = ("scholar", "classic")
FETCHED = r'<(?:script|img|link|iframe|source)\b[^>]*?(?:src|href)="([^"]+)"'


def build(site: Path, out: Path, theme: str | None = None) -> Path:
    build_site(site, output=out, theme=theme, env=EPOCH)
    return out


@pytest.fixture(scope="module", params=THEMES)
def example(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(REPO, tmp_path_factory.mktemp("ex") / "_site", request.param)


@pytest.fixture(scope="module")
def override(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(FIXTURES / "override", tmp_path_factory.mktemp("ov") / "_site")


def test_example_index_under_60_kb(example: Path) -> None:
    html = example / "index.html"
    total = sum((html.stat().st_size, *(p.stat().st_size for p in example.glob("assets/*.*s"))))
    assert total < 60_000, total


def test_every_page_has_lang_one_h1_main_and_no_external_requests(example: Path) -> None:
    pages = sorted(example.rglob("*.html"))
    assert len(pages) >= 11
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert re.search(r'<html lang="en">', html), page
        assert len(re.findall(r"<h1[ >]", html)) == 1, page
        assert html.count('<main id="main">') == 1, page
        # nothing the browser fetches by itself leaves the site (links to papers may)
        fetched = re.findall(
            r'<(?:script|img|link|iframe|source)\b[^>]*?(?:src|href)="([^"]+)"', html
        )
        for url in fetched:
            tag = re.search(rf'<[^>]*"{re.escape(url)}"[^>]*>', html)
            if tag and re.search(r'rel="(?:canonical|alternate)"', tag.group(0)):
                continue
            assert "://" not in url and not url.startswith("//"), (page, url)


def test_every_abstract_is_in_the_html(example: Path) -> None:
    html = (example / "index.html").read_text(encoding="utf-8")
    assert html.count('class="abstract"') == 10
    assert "Experimental results on 32 GPUs show that JanusPipe" in html


def test_paper_items_carry_data_attributes(example: Path) -> None:
    html = (example / "index.html").read_text(encoding="utf-8")
    items = re.findall(r"<li class=\"(?:paper|pub)\"[^>]*>", html)
    assert len(items) == 10
    for item in items:
        for attr in ("data-key", "data-year", "data-category", "data-type", "data-date"):
            assert f'{attr}="' in item, (attr, item)
    assert 'data-score="63.3"' in html


def test_override_extends_the_original(override: Path) -> None:
    html = (override / "index.html").read_text(encoding="utf-8")
    assert "this banner comes from the site's templates/index.html" in html
    assert 'class="paper-list"' in html  # the original's content is still there (super())
    assert html.index("override-banner") < html.index("paper-list")


def test_owner_highlighted_accent_insensitively_and_kept_when_truncated(override: Path) -> None:
    html = (override / "index.html").read_text(encoding="utf-8")
    # 6 authors, limit 3, owner 5th: "A, B, C, …, Jose Muller et al."
    assert 'Ann Able, Bo Baker, Cy Clark, …, <strong class="me">Jose Muller</strong> et al.' in html
    assert '<strong class="me">José Müller</strong>, Fay Fox' in html  # "Müller, José"
    assert 'Ann Able, <strong class="me">J. Muller</strong>' in html  # alias
    assert "Gus Green, Hal Hill" in html  # not the owner: nothing highlighted


def test_selected_section_and_copyable_bibtex(override: Path) -> None:
    html = (override / "index.html").read_text(encoding="utf-8")
    selected = html.split('id="selected-heading"', 1)[1].split("</section>", 1)[0]
    assert "Graph Kernels for Lattice Examples" in selected
    assert "An Older Result" in selected
    assert "Fast Sampling" not in selected
    cite = html.split('id="bib-muller2026graphs"', 1)[1].split("</pre>", 1)[0]
    assert "doi = {10.1000/jex.2026.1}" in cite
    assert "abstract" not in cite and "score" not in cite and "selected" not in cite


def test_facets_and_sorts(override: Path) -> None:
    html = (override / "index.html").read_text(encoding="utf-8")
    types = html.split('id="paper-type"', 1)[1].split("</select>", 1)[0]
    assert "Conference paper (1)" in types and "Journal article (2)" in types
    sorts = re.findall(r'<option value="(\w*)">', html.split('id="paper-sort"', 1)[1])[:3]
    assert sorts == ["", "score", "citations"]  # site sorts by date already


def test_pages_render_markdown_safely_and_appear_in_nav(override: Path) -> None:
    teaching = (override / "teaching" / "index.html").read_text(encoding="utf-8")
    assert "<table>" in teaching and "<td>Examples 101</td>" in teaching
    assert "<math" in teaching and 'class="footnote' in teaching
    assert "&lt;b&gt;raw html stays text&lt;/b&gt;" in teaching
    assert "<title>Teaching | José Müller</title>" in teaching
    index = (override / "index.html").read_text(encoding="utf-8")
    nav = index.split('class="site-nav"', 1)[1].split("</ul>", 1)[0]
    assert nav.index("About me") < nav.index("Teaching")  # nav_order 1 before 2
    assert 'href="about/index.html"' in nav
    assert 'href="../index.html"' in teaching
    assert '<a href="index.html" aria-current="page">Teaching</a>' in teaching
    assert "&lt;script&gt;" in index  # the bio's raw HTML is escaped


def test_own_theme_with_parent_option_and_static(tmp_path: Path) -> None:
    out = build(FIXTURES / "own-theme", tmp_path / "_site")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<p class="tagline">Notes from the lab</p>' in html
    assert 'class="intro"' in html  # classic's header, extended
    assert "data-group" not in html  # group_by_year: false from theme_options
    assert (out / "assets" / "notebook.css").is_file()
    assert "Charter" in (out / "assets" / "style.css").read_text(encoding="utf-8")


def test_theme_flag_overrides_site_yaml(tmp_path: Path) -> None:
    out = build(FIXTURES / "override", tmp_path / "_site", theme="classic")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="pub-groups"' in html and "override-banner" in html


def test_bad_theme_option_value_is_located(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site(site_yaml="today: 2026-11-28\ntheme_options:\n  accent: blue\n")
    with pytest.raises(ScholarpageError) as err:
        build(site, tmp_path / "out")
    text = str(err.value)
    assert "site.yaml:3: theme_options.accent: expected a colour" in text


def test_unknown_theme_option_warns_with_did_you_mean(make_site: SiteFactory) -> None:
    site = make_site(site_yaml="today: 2026-11-28\ntheme_options:\n  keep_ownr: false\n")
    result = build_site(site, env=EPOCH)
    (problem,) = [w for w in result.warnings if w.key == "theme_options.keep_ownr"]
    assert problem.line == 3 and problem.hint == "did you mean 'keep_owner'?"
    with pytest.raises(ScholarpageError):
        build_site(site, env=EPOCH, strict=True)


def test_theme_yaml_is_validated(make_site: SiteFactory, tmp_path: Path) -> None:
    theme_yaml = (
        "name: mine\nparnet: scholar\noptions:\n  size:\n    type: integer\n    default: 3\n"
        "  dark:\n    type: bool\n    default: maybe\n"
    )
    site = make_site(site_yaml="theme: mine\n", files={"themes/mine/theme.yaml": theme_yaml})
    with pytest.raises(ScholarpageError) as err:
        build(site, tmp_path / "out")
    text = str(err.value)
    assert "theme.yaml:5: options.size.type: unknown type 'integer'" in text
    assert "did you mean 'int'?" in text
    assert "theme.yaml:9: options.dark.default: default expected true or false" in text
    shutil.rmtree(site / "themes")


def test_page_front_matter_problems_are_located(make_site: SiteFactory, tmp_path: Path) -> None:
    page = "---\ntitle: Talks\nnav_ordr: 3\ntemplate: 5\n---\nHi\n"
    site = make_site(files={"content/pages/talks.md": page})
    with pytest.raises(ScholarpageError) as err:
        build_site(site, output=tmp_path / "o", env=EPOCH, strict=False)
    assert "talks.md:4: template: expected a template file name" in str(err.value)
    (site / "content/pages/talks.md").write_text("---\ntitle: Talks\nnav_ordr: 3\n---\nHi\n")
    result = build_site(site, output=tmp_path / "o", env=EPOCH)
    (problem,) = [w for w in result.warnings if w.key == "nav_ordr"]
    assert problem.line == 3 and problem.hint == "did you mean 'nav_order'?"


def test_reserved_page_name(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site(files={"content/pages/papers.md": "Hi\n"})
    with pytest.raises(ScholarpageError, match="'papers' is used by the generator"):
        build_site(site, output=tmp_path / "o", env=EPOCH)


def test_without_fields_respects_braces_and_quotes() -> None:
    entry = '@article{k,\n  title = {A, {B}},\n  abstract = "x, {y}",\n  year = 2020,\n}'
    assert without_fields(entry, frozenset({"abstract"})) == (
        "@article{k,\n  title = {A, {B}},\n  year = 2020,\n}"
    )
    assert without_fields("@article{broken", frozenset({"abstract"})) == "@article{broken"
