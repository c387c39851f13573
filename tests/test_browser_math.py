"""In a real headless Chromium, server-rendered MathML lays out (no JavaScript involved)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build import build_site
from tests.conftest import ARTIFACTS, REPO

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_math_renders_with_width(
    browser: Browser, serve_dir: Callable[[Path], str], tmp_path: Path
) -> None:
    out = tmp_path / "_site"
    build_site(REPO, output=out, env={"SOURCE_DATE_EPOCH": "1795824000"})
    base = serve_dir(out)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "index.html")
        assert page.locator("h1").inner_text() == "Weile Jia"
        math = page.locator("math").first
        math.scroll_into_view_if_needed()
        box = math.bounding_box()
        assert box is not None and box["width"] > 5 and box["height"] > 5
        # MathML is laid out as math, not as a run of inline text
        display = page.evaluate("getComputedStyle(document.querySelector('math')).display")
        assert display in ("inline math", "math", "block math")
        assert page.locator("math").count() >= 8
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "example-index-1280.png"), full_page=True)
        assert (ARTIFACTS / "example-index-1280.png").stat().st_size > 10_000
        assert errors == []
    finally:
        page.close()
