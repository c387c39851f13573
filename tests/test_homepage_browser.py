"""The new pages in real headless Chromium over a real HTTP server, and through the Nu HTML
Checker: news, CV, talks, teaching, people and the home page's news have zero axe-core
violations in both themes, light and dark; every page is valid HTML; hostile text in every new
field (both CV formats) shows as text and runs nothing."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.build import build_site
from tests.homepage_fixtures import BASE_URL, HOSTILE, hostile_resume, hostile_site, write_homepage
from tests.test_browser_ui import axe_path
from tests.test_vnu import vnu_command

pytestmark = pytest.mark.browser

ENV = {"SOURCE_DATE_EPOCH": "1795824000"}
THEMES = ("scholar", "classic")
PAGES = ("", "news/", "cv/", "talks/", "teaching/", "people/", "about/")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """theme -> output folder of the full homepage fixture site (al-folio CV) and, as
    theme + "-resume", the same site with the JSON Resume CV."""
    root = tmp_path_factory.mktemp("homepage")
    outs: dict[str, Path] = {}
    for cv in ("alfolio", "resume"):
        site = write_homepage(root / f"site-{cv}", cv=cv)
        for theme in THEMES:
            key = theme if cv == "alfolio" else f"{theme}-resume"
            outs[key] = root / f"out-{key}"
            build_site(site, output=outs[key], theme=theme, env=ENV)
    return outs


@pytest.fixture
def page(browser: Any) -> Any:
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("http://127.0.0.1", "data:")) else outside.append(r.url)
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert outside == [] and errors == [], (outside, errors)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_zero_violations_on_the_new_pages(
    built: dict[str, Path],
    serve_dir: Callable[[Path], str],
    page: Any,
    theme: str,
    scheme: str,
) -> None:
    axe = axe_path()
    page.emulate_media(color_scheme=scheme)
    for key in (theme, f"{theme}-resume"):
        base = serve_dir(built[key])
        for path in PAGES if key == theme else ("cv/",):
            page.goto(base + path)
            page.add_script_tag(path=str(axe))
            result = page.evaluate("async () => (await axe.run(document)).violations")
            summary = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result]
            assert summary == [], (key, scheme, path, summary)


@pytest.mark.slow  # a Java checker over some 30 pages
def test_new_pages_pass_the_nu_html_checker(built: dict[str, Path], tmp_path: Path) -> None:
    command = vnu_command()
    hostile_out = tmp_path / "hostile"
    build_site(hostile_site(tmp_path / "hostile-site"), output=hostile_out, env=ENV)
    pages = [out / path / "index.html" for out in (*built.values(), hostile_out) for path in PAGES]
    pages = [p for p in pages if p.is_file()]
    assert len(pages) >= 4 * len(PAGES)
    proc = subprocess.run(
        [*command, "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(proc.stderr or proc.stdout)
    errors = [
        f"{m.get('url', '?').split(str(tmp_path))[-1]}:{m.get('lastLine', '?')}: {m.get('message')}"
        for m in report.get("messages", [])
        if m.get("type") in ("error", "non-document-error")
    ]
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("cv", ["alfolio", "resume"])
@pytest.mark.parametrize("theme", THEMES)
def test_hostile_text_in_every_new_field_shows_and_runs_nothing(
    tmp_path: Path, serve_dir: Callable[[Path], str], page: Any, cv: str, theme: str
) -> None:
    site = (hostile_site if cv == "alfolio" else hostile_resume)(tmp_path / "site")
    out = tmp_path / "out"
    build_site(site, output=out, theme=theme, base_url=BASE_URL, env=ENV)
    base = serve_dir(out)
    for path, at_least in (
        ("", 2),  # bio and the news item (title and text)
        ("news/", 2),
        ("cv/", 8 if cv == "alfolio" else 15),
        ("talks/", 3),
        ("teaching/", 1),
        ("people/", 1),
    ):
        page.goto(base + path)
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__pwned") is None, path
        assert page.evaluate("() => document.querySelectorAll('main script, main img').length") == 0
        shown = page.inner_text("main")
        assert shown.count(HOSTILE) >= at_least, (path, shown.count(HOSTILE), shown[:500])
