"""Both themes in real headless Chromium over a real HTTP server: accessibility (axe-core) in
light and dark, search/filter/sort with URL state, reading without JavaScript, a 360 px screen,
the light/dark toggle, copy-BibTeX, and screenshots saved to test-artifacts/."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pytest

from generator.build import build_site
from tests.conftest import ARTIFACTS, REPO

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Request, ViewportSize

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "sites" / "override"
EPOCH = {"SOURCE_DATE_EPOCH": "1795824000"}
THEMES = ("scholar", "classic")
LOCAL = ("http://127.0.0.1", "data:")
AXE_CANDIDATES = [
    os.environ.get("AXE_CORE_JS", ""),
    str(REPO / ".ci" / "node_modules" / "axe-core" / "axe.min.js"),
    str(REPO / "node_modules" / "axe-core" / "axe.min.js"),
    "/usr/lib/node_modules/axe-core/axe.min.js",
    "/usr/local/lib/node_modules/axe-core/axe.min.js",
]


def axe_path() -> Path:
    for candidate in AXE_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    pytest.skip("axe-core not installed (.ci/run does: npm install --prefix .ci axe-core)")


@pytest.fixture(scope="module")
def sites(
    tmp_path_factory: pytest.TempPathFactory, serve_dir_module: Callable[[Path], str]
) -> dict[str, dict[str, str]]:
    """theme -> {"fixture": URL, "example": URL}: each site built once, served over HTTP."""
    urls: dict[str, dict[str, str]] = {}
    for theme in THEMES:
        urls[theme] = {}
        for name, site in (("fixture", FIXTURE), ("example", REPO)):
            out = tmp_path_factory.mktemp(f"{theme}-{name}") / "_site"
            build_site(site, output=out, theme=theme, env=EPOCH)
            urls[theme][name] = serve_dir_module(out)
    return urls


class PageFactory:
    """Opens pages, each in a fresh browser context; records every page's JavaScript errors and
    every request that leaves 127.0.0.1."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.outside: list[str] = []
        self.errors: dict[Page, list[str]] = {}

    def __call__(
        self,
        *,
        color_scheme: Literal["light", "dark"] | None = None,
        java_script_enabled: bool | None = None,
        permissions: list[str] | None = None,
        viewport: ViewportSize | None = None,
    ) -> Page:
        context = self.browser.new_context(
            color_scheme=color_scheme,
            java_script_enabled=java_script_enabled,
            permissions=permissions,
            viewport=viewport,
        )
        self.contexts.append(context)
        page = context.new_page()
        page.on("request", self._check_local)
        errors = self.errors[page] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page

    def _check_local(self, request: Request) -> None:
        if not request.url.startswith(LOCAL):
            self.outside.append(request.url)

    def js_errors(self, page: Page) -> list[str]:
        """The uncaught JavaScript errors `page` has raised so far."""
        return self.errors[page]


@pytest.fixture
def page_factory(browser: Browser) -> Iterator[PageFactory]:
    """New pages in fresh contexts; every request must stay on 127.0.0.1 (no external requests)."""
    factory = PageFactory(browser)
    yield factory
    for context in factory.contexts:
        context.close()
    assert factory.outside == [], factory.outside


def visible_keys(page: Page) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "[data-paper-list] [data-key]",
            "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.key)",
        )
    )


def count_text(page: Page) -> str:
    return str(page.text_content("[data-count]")).strip()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_zero_violations(
    sites: dict[str, dict[str, str]],
    page_factory: PageFactory,
    theme: str,
    scheme: Literal["light", "dark"],
) -> None:
    axe = axe_path()
    page = page_factory(color_scheme=scheme)
    base = sites[theme]["fixture"]
    for path in ("", "papers/muller2026graphs/index.html", "teaching/index.html"):
        page.goto(base + path)
        page.add_script_tag(path=str(axe))
        result = page.evaluate("async () => (await axe.run(document)).violations")
        summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result]
        assert summary == [], (theme, scheme, path, summary)
    assert page_factory.js_errors(page) == []


@pytest.mark.parametrize("theme", THEMES)
def test_search_filter_sort_and_url_state(
    sites: dict[str, dict[str, str]], page_factory: PageFactory, theme: str
) -> None:
    base = sites[theme]["fixture"]
    page = page_factory()
    page.goto(base)
    assert count_text(page) == "Showing all 4 papers"
    by_date = ["muller2026graphs", "muller2025fast", "able2024preprint", "gus2023old"]
    assert visible_keys(page) == by_date
    # abstract text, accent-insensitive author names
    page.fill("input[type=search]", "quokka")
    assert visible_keys(page) == ["muller2025fast"]
    assert count_text(page) == "Showing 1 of 4 papers"
    assert "q=quokka" in page.url
    page.fill("input[type=search]", "zzz-nothing")
    assert visible_keys(page) == []
    assert page.is_visible("[data-no-results]")
    page.fill("input[type=search]", "JOSÉ Muller")  # "Jose Muller" and "José Müller"
    assert visible_keys(page) == ["muller2026graphs", "muller2025fast"]
    page.fill("input[type=search]", "Examples")  # venues
    assert visible_keys(page) == ["muller2026graphs", "muller2025fast"]
    page.fill("input[type=search]", "")
    page.select_option("#paper-category", "COMP-PH")
    assert visible_keys(page) == ["able2024preprint"]
    page.select_option("#paper-category", "")
    page.select_option("#paper-type", "conference-paper")
    assert visible_keys(page) == ["muller2025fast"]
    page.select_option("#paper-type", "")
    page.select_option("#paper-year", "2023")
    assert visible_keys(page) == ["gus2023old"]
    page.select_option("#paper-year", "")
    page.select_option("#paper-sort", "citations")
    assert visible_keys(page) == [
        "muller2025fast",
        "muller2026graphs",
        "able2024preprint",
        "gus2023old",
    ]
    page.select_option("#paper-sort", "score")
    assert visible_keys(page)[:2] == ["muller2026graphs", "muller2025fast"]
    page.select_option("#paper-sort", "")
    assert visible_keys(page) == by_date
    # a shared URL restores the view
    page.select_option("#paper-sort", "citations")
    page.select_option("#paper-year", "2026")
    shared = page.url
    assert re.search(r"[?&]sort=citations", shared) and re.search(r"[?&]year=2026", shared)
    other = page_factory()
    other.goto(base + "?q=narwhal&sort=citations")
    assert visible_keys(other) == ["able2024preprint"]
    assert other.input_value("input[type=search]") == "narwhal"
    assert other.input_value("#paper-sort") == "citations"
    assert page_factory.js_errors(page) == [] and page_factory.js_errors(other) == []


@pytest.mark.parametrize("theme", THEMES)
def test_expand_all_and_copy_bibtex(
    sites: dict[str, dict[str, str]], page_factory: PageFactory, theme: str
) -> None:
    page = page_factory(permissions=["clipboard-read", "clipboard-write"])
    page.goto(sites[theme]["example"])
    page.click("[data-expand-all]")
    assert page.get_attribute("[data-expand-all]", "aria-pressed") == "true"
    last = page.locator("[data-key]").last.locator(".abstract p")
    assert last.is_visible()
    assert page.locator(".abstract.folded").count() == 0
    if theme == "classic":
        assert page.locator("details.abstract:not([open])").count() == 0
    from playwright.sync_api import expect  # here: without playwright the module still skips

    button = page.locator("[data-key] .copy-bib").first
    button.click()
    # the label changes when the clipboard's promise settles, and changes back 2 s later: wait
    # for it rather than reading it once right after the click
    expect(button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@article{wang2026januspipe,") and "abstract" not in copied


@pytest.mark.parametrize("theme", THEMES)
def test_everything_reachable_without_javascript(
    sites: dict[str, dict[str, str]], page_factory: PageFactory, theme: str
) -> None:
    page = page_factory(java_script_enabled=False)
    page.goto(sites[theme]["example"])
    items = page.locator("[data-key]")
    assert items.count() == 10
    assert not page.is_visible("[data-controls]")
    for i in range(10):
        item = items.nth(i)
        assert item.is_visible()
        summary = item.locator("details.abstract > summary")
        if summary.count():
            summary.click()
        abstract = item.locator(".abstract p")
        assert abstract.is_visible(), i
        assert len(abstract.inner_text()) > 200
        link = item.locator("a[href^='papers/']").first
        assert link.is_visible()
    page.goto(sites[theme]["example"] + "papers/wang2026januspipe/index.html")
    assert page.is_visible(".abstract-full")
    assert "@article{wang2026januspipe" in page.inner_text("pre.bibtex")


@pytest.mark.parametrize("theme", THEMES)
def test_no_horizontal_scroll_at_360px(
    sites: dict[str, dict[str, str]], page_factory: PageFactory, theme: str
) -> None:
    page = page_factory(viewport={"width": 360, "height": 740})
    for site, path in (
        ("example", ""),
        ("example", "papers/zhou2026breaking/index.html"),
        ("fixture", ""),
        ("fixture", "teaching/index.html"),
    ):
        page.goto(sites[theme][site] + path)
        page.click("[data-expand-all]") if path == "" else None
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], (theme, site, path, widths)


@pytest.mark.parametrize("theme", THEMES)
def test_theme_toggle_is_remembered(
    sites: dict[str, dict[str, str]], page_factory: PageFactory, theme: str
) -> None:
    page = page_factory(color_scheme="light")
    page.goto(sites[theme]["fixture"])
    toggle = page.locator("[data-theme-toggle]")
    assert toggle.get_attribute("aria-pressed") == "false"
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle.click()
    assert page.get_attribute("html", "data-theme") == "dark"
    assert toggle.get_attribute("aria-pressed") == "true"
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    page.goto(sites[theme]["fixture"] + "about/index.html")
    assert page.get_attribute("html", "data-theme") == "dark"  # set by the inline head script
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark_bg


@pytest.mark.parametrize("theme", THEMES)
def test_screenshots(
    sites: dict[str, dict[str, str]], page_factory: PageFactory, theme: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shots: tuple[tuple[int, Literal["light", "dark"]], ...] = ((1280, "light"), (375, "dark"))
    for width, scheme in shots:
        page = page_factory(viewport={"width": width, "height": 900}, color_scheme=scheme)
        for site in ("example", "fixture"):
            page.goto(sites[theme][site])
            target = ARTIFACTS / f"{theme}-{site}-{width}-{scheme}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 10_000
        page.goto(sites[theme]["example"] + "papers/wang2026januspipe/index.html")
        page.screenshot(path=str(ARTIFACTS / f"{theme}-paper-{width}-{scheme}.png"))
