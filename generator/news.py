"""content/news.yaml -> NewsItem records (newest first), and their template context.

The file is a list of `{date: YYYY-MM-DD, text: Markdown}` with optional `title` and `url`.
The text goes through the same Markdown path as pages (raw HTML off), so an item can never add
markup the theme did not write. The home page shows the newest `news_on_home` items; `news/`
lists all; the Atom feed has one entry per item (generator/seo.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator.errors import Warnings
from generator.fields import Fields
from generator.markdown import html_to_text, render_markdown
from generator.model import NewsItem
from generator.yamlfile import read_yaml

NEWS_FILE = Path("content") / "news.yaml"
NEWS_PAGE = "news/index.html"
NEWS_KEYS = ("date", "text", "title", "url")
EXAMPLE = "- {date: 2026-05-01, text: Our paper was accepted at **ICML**.}"


def read_news(path: Path, warnings: Warnings) -> tuple[NewsItem, ...]:
    """Every item, newest first (items of one day keep the file's order); all problems at once."""
    doc = read_yaml(path, what="news file")
    fields = Fields(doc, warnings, "news item")
    found: list[tuple[int, NewsItem]] = []
    for i, raw in fields.items(doc.data, example=EXAMPLE):
        item = fields.record(raw, (i,), NEWS_KEYS, example=EXAMPLE)
        if item is None:
            continue
        date = fields.day(item, "date", (i,))
        text = fields.text(item, "text", (i,), required=True)
        title = fields.text(item, "title", (i,))
        url = fields.url(item, "url", (i,))
        if date is None or text is None:
            continue
        html = render_markdown(text)
        found.append(
            (
                i,
                NewsItem(
                    date=date,
                    html=html,
                    text=html_to_text(html),
                    anchor="",
                    title=title,
                    url=url,
                    where=fields.where((i, "text")),
                ),
            )
        )
    fields.raise_problems()
    ordered = [item for _, item in sorted(found, key=lambda p: (-p[1].date.toordinal(), p[0]))]
    return _with_anchors(ordered)


def _with_anchors(items: list[NewsItem]) -> tuple[NewsItem, ...]:
    """Each item's id on the news page: news-YYYY-MM-DD, then -2, -3 for more on one day
    (oldest first, so adding a newer item never changes an older one's id)."""
    taken: dict[str, int] = {}
    anchors: list[str] = []
    for item in reversed(items):
        base = f"news-{item.date.isoformat()}"
        taken[base] = taken.get(base, 0) + 1
        anchors.append(base if taken[base] == 1 else f"{base}-{taken[base]}")
    anchors.reverse()
    return tuple(
        NewsItem(i.date, i.html, i.text, a, i.title, i.url, i.where)
        for i, a in zip(items, anchors, strict=True)
    )


def format_day(day: Any) -> str:
    """ "May 1, 2026": news dates always carry their year (a news page spans years)."""
    return f"{day:%b} {day.day}, {day.year}"


def item_context(item: NewsItem, html: str) -> dict[str, Any]:
    """What a template may read about one news item (docs/themes.md); `html` is its text with
    local links made relative to the page it is shown on."""
    return {
        "date": format_day(item.date),
        "date_iso": item.date.isoformat(),
        "year": item.date.year,
        "title": item.title,
        "url": item.url,
        "html": Markup(html),
        "text": item.text,
        "anchor": item.anchor,
        "path": f"{NEWS_PAGE}#{item.anchor}",
    }
