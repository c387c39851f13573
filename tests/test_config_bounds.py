"""Every numeric setting has a declared range, and values that make no sense are refused.

Table-driven: each row writes one real file, runs the stage that reads it, and asserts the
located message (file:line: key: what, naming the allowed range); edge values inside the range
are accepted. One row per class runs through `python -m generator build` to see the user's view.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.build import build_site
from generator.config import load_config
from generator.errors import ScholarpageError, Warnings
from generator.model import BadgeSpec
from generator.profile import read_profile
from tests.conftest import REPO, write_site

SiteFactory = Callable[..., Path]
EPOCH = {"SOURCE_DATE_EPOCH": "1795824000"}
TODAY = "today: 2026-11-28\n"


def config_error(make_site: SiteFactory, site_yaml: str, **overrides: str) -> str:
    site = make_site(site_yaml=site_yaml)
    with pytest.raises(ScholarpageError) as info:
        load_config(site, Warnings(), **overrides)  # type: ignore[arg-type]
    return str(info.value)


# --- numbers in site.yaml -------------------------------------------------------------------

SITE_NUMBERS = [
    (
        "max_authors: 0\n",
        "site.yaml:1: max_authors: 0 is out of range: expected a whole number from 1 to 1,000",
    ),
    ("max_authors: 1001\n", "site.yaml:1: max_authors: 1001 is out of range"),
    ("max_authors: 99999999999999999\n", "max_authors: 99999999999999999 is out of range"),
    (
        "max_authors: 2.5\n",
        "site.yaml:1: max_authors: expected a whole number from 1 to 1,000, got 2.5",
    ),
    ("max_authors: true\n", "max_authors: expected a whole number from 1 to 1,000, got True"),
    ("max_authors: lots\n", "max_authors: expected a whole number from 1 to 1,000, got 'lots'"),
    (
        TODAY + "paper_badges:\n  - {field: score, decimals: 100000000}\n",
        "site.yaml:3: paper_badges.0.decimals: 100000000 is out of range: expected a whole number "
        "from 0 to 6",
    ),
    (
        "paper_badges:\n  - field: score\n    decimals: -1\n",
        "site.yaml:3: paper_badges.0.decimals: -1 is out of range",
    ),
    ("paper_badges: [{field: score, decimals: 7}]\n", "paper_badges.0.decimals: 7 is out of range"),
    (
        "paper_badges: [{field: score, decimals: 1.5}]\n",
        "paper_badges.0.decimals: expected a whole number from 0 to 6, got 1.5",
    ),
    (
        "paper_badges: [{field: score, decimals: 1.0e+400}]\n",
        "site.yaml:1: '1.0e+400' is not a finite number",
    ),
]


SITE_VALUES = [
    ("paper_badges: [{field: ''}]\n", "site.yaml:1: paper_badges.0.field: expected a BibTeX field"),
    ("paper_badges: ['<b>']\n", "paper_badges.0: expected a BibTeX field name such as score"),
    ("paper_badges: [{field: score, label: [1]}]\n", "paper_badges.0.label: expected a label"),
    ("theme_options: {1: x, accent: '#000000'}\n", "site.yaml:1: theme_options.1: an option name"),
    ("theme_options:\n  ~: x\n", "site.yaml:2: theme_options.None: an option name is text"),
]


@pytest.mark.parametrize(("site_yaml", "fragment"), SITE_NUMBERS + SITE_VALUES)
def test_site_numbers_are_bounded(make_site: SiteFactory, site_yaml: str, fragment: str) -> None:
    assert fragment in config_error(make_site, site_yaml)


@pytest.mark.parametrize("authors", [1, 1000])
@pytest.mark.parametrize("decimals", [0, 6])
def test_site_number_edges_are_accepted(
    make_site: SiteFactory, authors: int, decimals: int
) -> None:
    site_yaml = f"max_authors: {authors}\npaper_badges: [{{field: score, decimals: {decimals}}}]\n"
    config = load_config(make_site(site_yaml=site_yaml), Warnings())
    assert config.max_authors == authors
    assert config.paper_badges == (BadgeSpec("score", "Score", decimals),)


def test_huge_decimals_no_longer_write_a_huge_file(make_site: SiteFactory) -> None:
    """The issue's case through the CLI: refused before anything is rendered."""
    site = make_site(site_yaml=TODAY + "paper_badges: [{field: score, decimals: 100000000}]\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), **EPOCH}
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", str(site)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "site.yaml:2: paper_badges.0.decimals: 100000000 is out of range" in result.stderr
    assert not (site / "_site").exists()


# --- theme options --------------------------------------------------------------------------

THEME_INTS = [
    (
        "theme_options:\n  max_authors: -1\n",
        "site.yaml:2: theme_options.max_authors: -1 is out of range: expected a whole number "
        "from 0 to 10,000",
    ),
    ("theme_options:\n  max_authors: 10001\n", "theme_options.max_authors: 10001 is out of range"),
    (
        "theme_options: {max_authors: 3.5}\n",
        "theme_options.max_authors: expected a whole number from 0 to 10,000, got 3.5",
    ),
]


@pytest.mark.parametrize(("site_yaml", "fragment"), THEME_INTS)
def test_theme_int_options_are_bounded(
    make_site: SiteFactory, tmp_path: Path, site_yaml: str, fragment: str
) -> None:
    site = make_site(site_yaml=TODAY + site_yaml)
    with pytest.raises(ScholarpageError) as info:
        build_site(site, output=tmp_path / "out", env=EPOCH)
    assert fragment.replace("site.yaml:2", "site.yaml:3") in str(info.value)


def test_theme_int_option_edge_is_accepted(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site(site_yaml=TODAY + "theme_options: {max_authors: 10000}\n")
    assert build_site(site, output=tmp_path / "out", env=EPOCH).papers == 1


@pytest.mark.parametrize(
    ("default", "fragment"),
    [
        ("20000", "theme.yaml:6: options.size.default: default 20000 is out of range"),
        ("-3", "theme.yaml:6: options.size.default: default -3 is out of range"),
        ("2.0", "options.size.default: default expected a whole number from 0 to 10,000"),
    ],
)
def test_theme_yaml_int_defaults_are_bounded(
    make_site: SiteFactory, tmp_path: Path, default: str, fragment: str
) -> None:
    theme_yaml = (
        f"name: mine\nparent: scholar\noptions:\n  size:\n    type: int\n    default: {default}\n"
    )
    site = make_site(site_yaml="theme: mine\n", files={"themes/mine/theme.yaml": theme_yaml})
    with pytest.raises(ScholarpageError) as info:
        build_site(site, output=tmp_path / "out", env=EPOCH)
    assert fragment in str(info.value)


# --- profile metrics ------------------------------------------------------------------------

METRICS = [
    (
        "  citations: -1\n",
        "profile.yaml:3: metrics.citations: -1 is out of range: expected a "
        "whole number from 0 to 1,000,000,000",
    ),
    ("  citations: 10000000000\n", "metrics.citations: 10000000000 is out of range"),
    ("  h_index: 4.5\n", "profile.yaml:3: metrics.h_index: expected a whole number"),
    ("  h_index: {value: 1000000001}\n", "metrics.h_index.value: 1000000001 is out of range"),
    (
        "  custom:\n    - {label: X, value: 1.0e+13}\n",
        "profile.yaml:4: metrics.custom.0.value: 10000000000000.0 is out of range: "
        "expected a number from -1,000,000,000,000 to 1,000,000,000,000",
    ),
    ("  custom:\n    - {label: X, value: .inf}\n", "profile.yaml:4: '.inf' is not a finite number"),
    (
        "  custom:\n    - {label: X, value: [1, 2]}\n",
        "metrics.custom.0.value: expected a number or short text, got [1, 2]",
    ),
]


PROFILE_VALUES = [
    ("name: Ada\naliases: [A. Lovelace, {a: 1}]\n", "profile.yaml:2: aliases.1: expected a name"),
    ("name: Ada\nemail: [a@b.org]\n", "profile.yaml:2: email: expected text, got list"),
    ("name: Ada\naffiliation: {x: 1}\n", "profile.yaml:2: affiliation: expected text"),
    (
        "name: Ada\nmetrics:\n  custom:\n    - {label: [1, 2], value: 3}\n",
        "profile.yaml:4: metrics.custom.0.label: expected a label as text, got [1, 2]",
    ),
    (
        "name: Ada\nmetrics:\n  custom:\n    - label: a\n      value: 1\n      value_first: 'no'\n",
        "profile.yaml:6: metrics.custom.0.value_first: expected true or false, got 'no'",
    ),
    (
        "name: Ada\nmetrics:\n  custom:\n    - {label: a, value: 1, unit: [x]}\n",
        "profile.yaml:4: metrics.custom.0.unit: expected text, got ['x']",
    ),
    (
        "name: Ada\nmetrics:\n  h_index:\n    value: 3\n    source: {a: 1}\n",
        "profile.yaml:5: metrics.h_index.source: expected text, got {'a': 1}",
    ),
]


@pytest.mark.parametrize(
    ("text", "fragment"), [("name: Ada\nmetrics:\n" + m, f) for m, f in METRICS] + PROFILE_VALUES
)
def test_profile_values_are_checked(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScholarpageError) as info:
        read_profile(path)
    assert fragment in str(info.value)


def test_profile_metric_edges_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(
        "name: Ada\nmetrics:\n  citations: 1000000000\n  h_index: 0\n"
        "  custom:\n    - {label: Score, value: -1000000000000}\n    - {label: Y, value: 0.5}\n",
        encoding="utf-8",
    )
    profile = read_profile(path)
    assert [m.value for m in profile.declared_metrics] == [1_000_000_000, 0]
    assert [m.value for m in profile.custom_metrics] == [-1_000_000_000_000, 0.5]


# --- page front matter ----------------------------------------------------------------------


def page_error(make_site: SiteFactory, tmp_path: Path, front: str, **files: str) -> str:
    site = make_site(files={"content/pages/talks.md": f"---\n{front}---\nHi\n", **files})
    with pytest.raises(ScholarpageError) as info:
        build_site(site, output=tmp_path / "out", env=EPOCH)
    return str(info.value)


PAGE_NUMBERS = [
    (
        "nav_order: 10001\n",
        "talks.md:2: nav_order: 10001 is out of range: expected a whole "
        "number from -10,000 to 10,000",
    ),
    ("title: T\nnav_order: -10001\n", "talks.md:3: nav_order: -10001 is out of range"),
    ("nav_order: 2.5\n", "talks.md:2: nav_order: expected a whole number"),
    ("nav_order: soon\n", "talks.md:2: nav_order: expected a whole number"),
]


@pytest.mark.parametrize(("front", "fragment"), PAGE_NUMBERS)
def test_page_numbers_are_bounded(
    make_site: SiteFactory, tmp_path: Path, front: str, fragment: str
) -> None:
    assert fragment in page_error(make_site, tmp_path, front)


# --- base_url -------------------------------------------------------------------------------

BAD_URLS = [
    ("https://alice.github.io/profile/?x=1", "must not have a query"),
    ("https://alice.github.io/profile/?", "must not have a query"),
    ("https://alice.github.io/profile/#top", "must not have a fragment"),
    ('https://alice.github.io/"onmouseover="x', "must not contain '\"'"),
    ("https://alice.github.io/it's/", 'must not contain "\'"'),
    ("https://alice.github.io/<script>/", "must not contain '<'"),
    ("https://alice.github.io/a>b/", "must not contain '>'"),
    ("https://alice.github.io\\profile/", "must not contain '\\\\'"),
    ("https://alice.github.io/my profile/", "must not contain a space"),
    ("https://alice.github.io/\tx/", "must not contain whitespace"),
    ("ftp://alice.github.io/", "must be an absolute http(s) URL"),
    ("javascript:alert(1)", "must be an absolute http(s) URL"),
    ("alice.github.io/profile/", "must be an absolute http(s) URL"),
    ("https:///profile/", "must be an absolute http(s) URL"),
    ("https://user:secret@alice.github.io/", "must not contain a user name or password"),
    ("https://alice.github.io:99999/", "is not a valid URL (check the host and port)"),
    ("https://:8000/", "has no valid host name"),
    ("https://al%69ce.github.io/", "has no valid host name"),
]


@pytest.mark.parametrize(("url", "fragment"), BAD_URLS)
def test_base_url_is_refused(make_site: SiteFactory, url: str, fragment: str) -> None:
    quoted = url.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    text = config_error(make_site, f'title: T\nbase_url: "{quoted}"\n')
    assert f"site.yaml:2: base_url: {url!r} {fragment}" in text
    assert "tip: give where the site will live" in text
    # the command-line override is held to the same rule
    text = config_error(make_site, "title: T\n", base_url=url)
    assert f"--base-url: {url!r} {fragment}" in text


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://alice.github.io/profile", "https://alice.github.io/profile/"),
        ("http://localhost:8000/", "http://localhost:8000/"),
        ("https://[::1]/x/", "https://[::1]/x/"),
        ("https://bücher.example/", "https://bücher.example/"),
        ("https://x.org/a%20b/", "https://x.org/a%20b/"),
    ],
)
def test_sensible_base_urls_are_accepted(make_site: SiteFactory, url: str, stored: str) -> None:
    config = load_config(make_site(site_yaml=f'base_url: "{url}"\n'), Warnings())
    assert config.base_url == stored


# --- theme name and language ----------------------------------------------------------------

BAD_NAMES = [
    (
        "theme: ../../elsewhere\n",
        "site.yaml:1: theme: expected a theme name (a folder name, no path), got '../../elsewhere'",
    ),
    ("theme: a/b\n", "theme: expected a theme name"),
    (
        "theme: [scholar]\n",
        "theme: expected a theme name (a folder name, no path), got ['scholar']",
    ),
    ("title: T\ntheme: ''\n", "site.yaml:2: theme: expected a theme name"),
    (
        "language: en_GB\n",
        "site.yaml:1: language: expected a language tag such as en or en-GB, got 'en_GB'",
    ),
    ("language: '\"><script>'\n", "language: expected a language tag"),
    ("language: en US\n", "language: expected a language tag"),
]


@pytest.mark.parametrize(("site_yaml", "fragment"), BAD_NAMES)
def test_names_that_make_no_sense_are_refused(
    make_site: SiteFactory, site_yaml: str, fragment: str
) -> None:
    assert fragment in config_error(make_site, site_yaml)


def test_theme_override_is_a_name(make_site: SiteFactory) -> None:
    assert "--theme: expected a theme name" in config_error(make_site, "", theme="../x")


@pytest.mark.parametrize("language", ["en", "en-GB", "zh-Hant-TW", "de-CH-1996"])
def test_language_tags_are_accepted(make_site: SiteFactory, language: str) -> None:
    assert load_config(make_site(site_yaml=f"language: {language}\n"), Warnings()).language == (
        language
    )


# --- page templates -------------------------------------------------------------------------

BAD_TEMPLATES = [
    ("base.html", "'base.html' is not a page template: it is the layout every page extends"),
    ("404.html", "'404.html' is not a page template: it is the page hosts show"),
    ("index.html", "'index.html' is not a page template: it is the home page"),
    ("paper.html", "'paper.html' is not a page template: it is the page of one paper"),
    ("_paper_card.html", "'_paper_card.html' is a partial included by other templates"),
    ("../page.html", "expected a template file name, not a path: '../page.html'"),
    ("sub/page.html", "expected a template file name, not a path"),
    ("'!theme/page.html'", "expected a template file name, not a path"),
    ("page.htm", "expected a template file name such as page.html, got 'page.htm'"),
    ("5", "expected a template file name such as page.html, got 5"),
    ("pgae.html", "no page template 'pgae.html' in the theme or the site's templates/ folder"),
]


@pytest.mark.parametrize(("template", "fragment"), BAD_TEMPLATES)
def test_page_template_must_be_a_page_template(
    make_site: SiteFactory, tmp_path: Path, template: str, fragment: str
) -> None:
    text = page_error(make_site, tmp_path, f"title: Talks\ntemplate: {template}\n")
    assert f"talks.md:3: template: {fragment}" in text
    assert "page templates: page.html" in text  # the choices are listed


def test_misspelt_template_gets_did_you_mean(make_site: SiteFactory, tmp_path: Path) -> None:
    text = page_error(make_site, tmp_path, "template: pgae.html\n")
    assert "tip: did you mean 'page.html'? (page templates: page.html)" in text


def test_site_page_template_is_a_choice(make_site: SiteFactory, tmp_path: Path) -> None:
    wide = '{% extends "page.html" %}{% block title %}WIDE {{ page.title }}{% endblock %}\n'
    files = {"templates/wide.html": wide, "templates/_part.html": "x"}
    text = page_error(make_site, tmp_path, "template: wid.html\n", **files)
    assert "did you mean 'wide.html'? (page templates: page.html, wide.html)" in text
    site = make_site(
        "ok", files={**files, "content/pages/talks.md": "---\ntemplate: wide.html\n---\nHi\n"}
    )
    result = build_site(site, output=tmp_path / "ok-out", env=EPOCH)
    assert "WIDE" in (result.out_dir / "talks" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("parent", ["../outside", "/tmp/x", "a/../../b", ".."])
def test_theme_parent_is_a_name_not_a_path(tmp_path: Path, parent: str) -> None:
    """A theme.yaml `parent:` that is a path would load any folder holding a theme.yaml."""
    outside = tmp_path / "outside"
    (outside / "templates").mkdir(parents=True)
    (outside / "theme.yaml").write_text("name: outside\n", encoding="utf-8")
    site = write_site(
        tmp_path / "site",
        site_yaml="theme: mine\ntoday: 2026-11-28\n",
        files={"themes/mine/theme.yaml": f"name: mine\nparent: '{parent}'\n"},
    )
    with pytest.raises(ScholarpageError) as caught:
        build_site(site)
    text = str(caught.value)
    assert "theme.yaml:2" in text and "not a path" in text, text
