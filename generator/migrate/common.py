"""What the three generators share: Liquid/HTML left out of Markdown, URLs checked before they
reach profile.yaml, in-place edits of BibTeX field values, and site.yaml + profile.yaml."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.config import _check_url
from generator.importers.bibfile import read_blocks
from generator.migrate.write import Draft
from generator.urls import safe_url

_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_DATE_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}")


def _template_tags(body: str) -> list[tuple[int, int]]:
    """(start, end) of each `{% ... %}` / `{{ ... }}` (Liquid, Hugo shortcodes), in order; a
    linear scan (an opener without a closer ends the search for that kind: none follows)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    closers = {"{%": "%}", "{{": "}}"}
    while True:
        starts = [(body.find(o, pos), o) for o in closers]
        starts = [(i, o) for i, o in starts if i >= 0]
        if not starts:
            return spans
        start, opener = min(starts)
        end = body.find(closers[opener], start + 2)
        if end < 0:
            del closers[opener]
            continue
        spans.append((start, end + 2))
        pos = end + 2


def clean_markdown(body: str, file: Path, first_line: int, draft: Draft, what: str) -> str:
    """`body` without template tags (Liquid, Hugo shortcodes; one may span lines) or HTML tags,
    which scholarpage's Markdown would show as text; each line that lost one is reported."""
    parts: list[str] = []
    pos, line = 0, first_line
    for start, end in _template_tags(body):
        line += body.count("\n", pos, start)
        tag = body[start:end]
        draft.lose(file, line, f"{what}: template tag left out: {_short(tag)}")
        parts.append(body[pos:start] + "\n" * tag.count("\n"))  # later lines keep their number
        line += tag.count("\n")
        pos = end
    parts.append(body[pos:])
    out: list[str] = []
    for n, text in enumerate("".join(parts).splitlines(), start=first_line):
        plain = _HTML_TAG.sub("", text)
        if plain != text:
            draft.lose(file, n, f"{what}: HTML tag left out: {_short(text)}")
        out.append(plain.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out).strip())


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 70 else text[:67] + "..."


def day(value: object, name: str = "") -> dt.date | None:
    """A date from a YAML value (date, datetime or text) or else from a `YYYY-MM-DD-` name."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    for text in (str(value) if value is not None else "", Path(name).name):
        m = _DATE_NAME.match(text.strip())
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                continue
    return None


def link(url: str | None) -> str | None:
    """`url` when it may go into profile.yaml (http(s)/mailto or relative), else None."""
    if not url:
        return None
    return safe_url(url.strip())


def email(value: str | None) -> str | None:
    """A plain e-mail address (obfuscated ones such as `a [AT] b` are not guessed at)."""
    if value and _EMAIL.fullmatch(value.strip()):
        return value.strip()
    return None


def base_url(url: str | None, baseurl: str | None) -> str | None:
    """Jekyll's url + baseurl as one base_url, when it is a valid one."""
    if not url:
        return None
    full = url.rstrip("/") + "/" + (baseurl or "").strip("/")
    full = full.rstrip("/") + "/"
    return full if _check_url(full) is None else None


def rewrite_bib(text: str, change: Callable[[str, str, int], str | None]) -> tuple[str, int]:
    """`text` with each field value for which `change(name, value, line)` returns new text
    replaced in place (the text between its braces or quotes only); every other byte is kept.
    Returns the new text and the number of values changed."""
    edits: list[tuple[int, int, str]] = []
    for block in read_blocks(text):
        if block.repaired or not block.entry.complete:
            continue
        for f in block.entry.fields:
            if f.inner is None:
                continue
            new = change(f.name, f.value, block.line + f.line)
            if new is not None and new != f.value:
                edits.append((block.start + f.inner[0], block.start + f.inner[1], new))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text, len(edits)


def bib_value(text: str) -> str:
    """Text made safe inside a braced BibTeX value (balanced braces, no stray backslash-brace)."""
    text = " ".join(text.split())
    depth = 0
    out: list[str] = []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(ch)
    out.append("}" * depth)
    return "".join(out).replace("\\}", "}")


def bib_entry(kind: str, key: str, fields: dict[str, str]) -> str:
    width = max((len(k) for k in fields), default=0)
    lines = [f"  {k.ljust(width)} = {{{bib_value(v)}}}," for k, v in fields.items() if v]
    return f"@{kind}{{{key},\n" + "\n".join(lines) + "\n}\n"


def bib_key(text: str, taken: set[str]) -> str:
    key = re.sub(r"[^A-Za-z0-9_:-]+", "", text)[:60] or "paper"
    base, n = key, 1
    while key.lower() in taken:
        n += 1
        key = f"{base}{n}"
    taken.add(key.lower())
    return key


def write_site_files(
    draft: Draft,
    *,
    generator: str,
    title: str,
    description: str | None,
    base: str | None,
    profile: dict[str, Any],
    bibliography: bool,
    news: list[dict[str, Any]],
    more_bibs: list[str] | None = None,
) -> None:
    """site.yaml, profile.yaml and news.yaml of the new site."""
    site: dict[str, Any] = {"title": title}
    if description:
        site["description"] = description
    if base:
        site["base_url"] = base
    site.update(
        {
            "language": "en",
            "theme": "scholar",
            "profile": "content/profile.yaml",
            "bibliography": ["content/papers.bib", *(more_bibs or [])],
            "news_on_home": 5,
            "cv_publications": "selected",
        }
    )
    header = f"scholarpage site settings, migrated from {generator} by `scholarpage migrate`."
    draft.yaml("site.yaml", site, header)
    draft.yaml("content/profile.yaml", profile, f"The researcher, migrated from {generator}.")
    if not bibliography:
        draft.text("content/papers.bib", f"% Your papers (none found in the {generator} site).\n")
    if news:
        news.sort(key=lambda item: item["date"], reverse=True)
        draft.yaml("content/news.yaml", news, f"News, migrated from {generator}.")
        draft.carried.append(f"{len(news)} news items")
