"""Stage 3: config + profile + papers -> Site. Pure: sorting, slugs, metrics, dates."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import Counter
from pathlib import Path

from generator.model import (
    Content,
    Metric,
    Page,
    Paper,
    Person,
    Profile,
    Site,
    SiteConfig,
    SitePaper,
    SortOrder,
)

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def slugify(key: str) -> str:
    """URL-safe ASCII slug of a citation key (DBLP:conf/x/Y24 -> dblp-conf-x-y24)."""
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_key.lower()).strip("-")
    return slug[:80].strip("-") or "paper"


def unique_slugs(papers: tuple[Paper, ...]) -> tuple[str, ...]:
    """One slug per paper; clashes (keys differing only in case or punctuation) get -2, -3..."""
    seen: set[str] = set()
    out: list[str] = []
    for paper in papers:
        base = slugify(paper.key)
        slug, n = base, 1
        while slug in seen:
            n += 1
            slug = f"{base}-{n}"
        seen.add(slug)
        out.append(slug)
    return tuple(out)


def h_index(citations: list[int]) -> int:
    ranked = sorted(citations, reverse=True)
    return sum(1 for i, c in enumerate(ranked, start=1) if c >= i)


def compute_metrics(profile: Profile, papers: tuple[Paper, ...]) -> tuple[Metric, ...]:
    """Declared values win; otherwise derive from the papers. Unknown stays unshown, never 0."""
    declared = {m.key: m for m in profile.declared_metrics}
    counts = [p.citations for p in papers if p.citations is not None]
    computed: dict[str, Metric] = {
        "papers": Metric("papers", "papers", len(papers), value_first=True, computed=True)
    }
    if counts:
        computed["h_index"] = Metric("h_index", "h-index", h_index(counts), computed=True)
        computed["citations"] = Metric(
            "citations", "citations", sum(counts), value_first=True, computed=True
        )
        computed["i10_index"] = Metric(
            "i10_index", "i10-index", sum(1 for c in counts if c >= 10), computed=True
        )
    shown: list[Metric] = []
    for key in ("h_index", "papers", "citations", "i10_index"):
        if key in declared:
            shown.append(declared[key])
        elif key in computed and (key != "i10_index" or "h_index" not in declared):
            shown.append(computed[key])
    return (*shown, *profile.custom_metrics)


def main_category(profile: Profile, papers: tuple[Paper, ...]) -> str | None:
    """Declared category, else the most common paper category (ties: first seen)."""
    if profile.category:
        return profile.category
    counts = Counter(p.category for p in papers if p.category)
    return counts.most_common(1)[0][0] if counts else None


def _score(paper: Paper) -> float:
    return paper.badges[0][1] if paper.badges else float("-inf")


def sort_papers(papers: tuple[Paper, ...], order: SortOrder) -> tuple[Paper, ...]:
    if order == "file":
        return papers
    if order == "score":
        return tuple(sorted(papers, key=lambda p: (-_score(p), p.index)))
    if order == "citations":
        return tuple(sorted(papers, key=lambda p: (-(p.citations or 0), p.index)))
    if order == "title":
        return tuple(sorted(papers, key=lambda p: (p.title.text.casefold(), p.index)))
    return tuple(sorted(papers, key=lambda p: (tuple(-x for x in p.date.sort_key()), p.index)))


def format_date(paper: Paper, reference: dt.date) -> str:
    """ "May 18" within the reference year, "Oct 31, 2025" otherwise; less when less is known."""
    date = paper.date
    if date.year is None:
        return ""
    if date.month is None:
        return str(date.year)
    month = MONTH_ABBR[date.month - 1]
    if date.day is None:
        return month if date.year == reference.year else f"{month} {date.year}"
    if date.year == reference.year:
        return f"{month} {date.day}"
    return f"{month} {date.day}, {date.year}"


@functools.lru_cache(maxsize=1 << 17)
def name_key(name: str) -> str:
    """Accent-, case- and punctuation-insensitive form of a name: "Núñez, L." -> "nunez l".

    "Last, First" is turned around first, so it matches "First Last". Memoised: a site compares
    every author of every paper, mostly the same few names, on every build.
    """
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        name = f"{first} {last}"
    ascii_name = unicodedata.normalize("NFKD", name)
    ascii_name = "".join(c for c in ascii_name if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", ascii_name.casefold()).split())


def owner_keys(profile: Profile) -> frozenset[str]:
    """The owner's name and aliases in matching form (what author names are compared with)."""
    keys = {name_key(n) for n in (profile.name, *profile.aliases)}
    return frozenset(k for k in keys if k)


def owner_positions(paper: Paper, keys: frozenset[str]) -> tuple[int, ...]:
    """Indices of the paper's authors who are the site's owner (usually none or one)."""

    def forms(person: Person) -> set[str]:
        first_last = " ".join(p for p in (person.first, person.von, person.last) if p)
        return {name_key(person.text), name_key(first_last)}

    return tuple(i for i, person in enumerate(paper.authors) if forms(person) & keys)


def assemble_site(
    config: SiteConfig,
    profile: Profile,
    papers: tuple[Paper, ...],
    reference_date: dt.date,
    pages: tuple[Page, ...] = (),
    files: tuple[tuple[str, Path], ...] = (),
    content: Content | None = None,
) -> Site:
    """The site a theme renders: papers in display order with slugs and owner positions.
    `content`: news, CV, talks, ... (generator/content.py); its content/files/ join the files
    published as is."""
    ordered = sort_papers(papers, config.sort)
    keys = owner_keys(profile)
    entries = tuple(
        SitePaper(paper, slug, owner_positions(paper, keys))
        for paper, slug in zip(ordered, unique_slugs(ordered), strict=True)
    )
    return Site(
        config=config,
        profile=profile,
        entries=entries,
        metrics=compute_metrics(profile, papers),
        category=main_category(profile, papers),
        reference_date=reference_date,
        pages=tuple(sorted(pages, key=lambda p: (p.nav_order, p.title.casefold(), p.slug))),
        files=tuple(sorted({**dict(files), **dict(content.files)}.items())) if content else files,
        content=content,
    )
