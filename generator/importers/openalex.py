"""OpenAlex: an author's works with their citation counts.

`GET /works?filter=author.id:A...&per-page=200&cursor=*`, following `meta.next_cursor` until it
is null (https://docs.openalex.org/how-to-use-the-api/get-lists-of-entities/paging). Each work
gives its DOI, authorships, venue, biblio, publication date, `cited_by_count` and an abstract as
an inverted index (word -> positions), which is put back together within bounds. Paratext,
errata and peer reviews are not papers and are skipped. The citation counts of all the works
give the profile metrics (h-index, i10-index, total).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from generator.errors import ScholarpageError
from generator.importers.http import HttpClient, Response, status_error
from generator.importers.records import (
    Harvest,
    ImportedWork,
    Origin,
    Progress,
    Skip,
    arxiv_from_doi,
    clean_arxiv,
    clean_doi,
    clean_text,
    looks_cut,
    plain_to_latex,
    printable,
    strip_html,
    with_names,
)

BASE_URL = "https://api.openalex.org"
INTERVAL = 0.1  # OpenAlex allows 10 requests a second
PER_PAGE = 200
MAX_ABSTRACT_WORDS = 20_000
_AUTHOR = re.compile(r"^A\d{4,12}$")
NOT_PAPERS = frozenset(
    {"paratext", "erratum", "retraction", "peer-review", "supplementary-materials"}
)
TYPES = {
    "article": "article",
    "review": "article",
    "letter": "article",
    "editorial": "article",
    "preprint": "misc",
    "book-chapter": "incollection",
    "book": "book",
    "dissertation": "phdthesis",
    "report": "techreport",
    "dataset": "misc",
    "standard": "misc",
    "other": "misc",
}


def check_author(value: str) -> str:
    """An OpenAlex author id (A5023888391), also from its openalex.org URL."""
    text = re.sub(
        r"^(?:https?://)?(?:api\.)?openalex\.org/(?:authors/)?", "", value.strip(), flags=re.I
    )
    text = text.strip("/").upper()
    if not _AUTHOR.match(text):
        raise ScholarpageError.single(
            f"not an OpenAlex author id: {printable(value)!r}",
            hint="find yours at https://openalex.org (search your name, open your author page): "
            "it looks like A5023888391",
        )
    return text


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        text = clean_text(strip_html(value))
        return text or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _abstract(index: Any) -> str | None:
    """The abstract from OpenAlex's inverted index, or None when it is absent or implausible."""
    if not isinstance(index, dict) or not index:
        return None
    slots: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(word, str) or not isinstance(positions, list):
            return None
        for pos in positions:
            if (
                isinstance(pos, bool)
                or not isinstance(pos, int)
                or not 0 <= pos < MAX_ABSTRACT_WORDS
            ):
                return None
            slots[pos] = word
            if len(slots) > MAX_ABSTRACT_WORDS:
                return None
    return clean_text(" ".join(slots[i] for i in sorted(slots))) or None


def _work(item: Any, n: int) -> ImportedWork | Skip:
    if not isinstance(item, dict):
        return Skip(f"result {n}", "not a work object")
    wid = _text(item.get("id")) or f"result {n}"
    what = f"OpenAlex {wid.rsplit('/', 1)[-1]}"
    kind = (_text(item.get("type")) or "other").lower()
    if kind in NOT_PAPERS or item.get("is_paratext") is True:
        return Skip(what, f"not a paper (OpenAlex type {kind})")
    title = _text(item.get("title")) or _text(item.get("display_name"))
    if not title:
        return Skip(what, "no title")
    doi = clean_doi(_text(item.get("doi")) or _text(_dict(item.get("ids")).get("doi")))
    arxiv = arxiv_from_doi(doi)
    if arxiv:
        doi = None
    locations = [loc for loc in _list(item.get("locations")) if isinstance(loc, dict)]
    primary = _dict(item.get("primary_location"))
    for loc in [primary, *locations]:
        for link in ("landing_page_url", "pdf_url"):
            url = _text(loc.get(link))
            if arxiv is None and url and "arxiv.org/" in url:
                arxiv = clean_arxiv(url)
    names = []
    for authorship in _list(item.get("authorships")):
        a = _dict(authorship)
        name = _text(_dict(a.get("author")).get("display_name")) or _text(a.get("raw_author_name"))
        if name:
            names.append(name)
    authors, others = with_names(names)
    year = item.get("publication_year")
    year = year if isinstance(year, int) and 1000 <= year <= 3000 else None
    month = day = None
    date = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", _text(item.get("publication_date")) or "")
    if date and year is not None and int(date.group(1)) == year:
        month, day = int(date.group(2)), int(date.group(3))
        if not 1 <= month <= 12:
            month = day = None
    source = _dict(primary.get("source"))
    venue = _text(source.get("display_name"))
    source_type = (_text(source.get("type")) or "").lower()
    entry_type = TYPES.get(kind, "misc")
    preprint = kind == "preprint" or source_type == "repository"
    if entry_type == "article" and source_type == "conference":
        entry_type = "inproceedings"
    if preprint:
        entry_type = "misc"
    biblio = _dict(item.get("biblio"))
    first, last = _text(biblio.get("first_page")), _text(biblio.get("last_page"))
    pages = f"{first}--{last}" if first and last and first != last else first
    cited = item.get("cited_by_count")
    citations = (
        cited if isinstance(cited, int) and not isinstance(cited, bool) and cited >= 0 else None
    )
    landing = _text(primary.get("landing_page_url"))
    latex = plain_to_latex
    abstract = _abstract(item.get("abstract_inverted_index"))
    return ImportedWork(
        title=latex(title),
        entry_type=entry_type,
        authors=authors,
        others=others,
        year=year,
        month=month,
        day=day if month else None,
        journal=latex(venue) if venue and entry_type == "article" else None,
        booktitle=latex(venue)
        if venue and entry_type in ("inproceedings", "incollection")
        else None,
        volume=latex(v) if (v := _text(biblio.get("volume"))) else None,
        number=latex(v) if (v := _text(biblio.get("issue"))) else None,
        pages=latex(pages) if pages else None,
        doi=doi,
        arxiv_id=arxiv,
        abstract=latex(abstract) if abstract else None,
        url=landing if landing and not doi and not arxiv and landing.startswith("http") else None,
        citations=citations,
        preprint=preprint,
        origin=what,
    )


@dataclass(frozen=True)
class Page:
    works: tuple[ImportedWork, ...]
    skipped: tuple[Skip, ...]
    results: int
    count: int | None
    next_cursor: str | None


def parse_page(data: bytes, origin: Origin) -> Page:
    """One answer of /works (a page), or a saved single work or list of works."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise origin.error(
            f"the OpenAlex response is not UTF-8 (byte offset {exc.start})"
        ) from None
    except json.JSONDecodeError as exc:
        cut = " (the response looks cut off)" if looks_cut(exc, data) else ""
        raise origin.error(
            f"the OpenAlex response is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}{cut}",
            line=exc.lineno,
            hint="download it again, or check that the file is the API's complete answer",
        ) from None
    except RecursionError:
        raise origin.error("the OpenAlex response is nested too deeply") from None
    meta: dict[str, Any] = {}
    if isinstance(parsed, dict) and "results" in parsed:
        items = parsed.get("results")
        meta = _dict(parsed.get("meta"))
        if not isinstance(items, list):
            raise origin.error("`results` is not a list of works")
    elif isinstance(parsed, dict) and "error" in parsed:
        message = _text(parsed.get("message")) or _text(parsed.get("error")) or "an error"
        raise origin.error(f"OpenAlex answered with an error: {message}")
    elif isinstance(parsed, dict) and "id" in parsed:
        items = [parsed]
    elif isinstance(parsed, list):
        items = parsed
    else:
        raise origin.error(
            "this is not an OpenAlex works answer (no `results`)",
            hint="openalex reads the answer of https://api.openalex.org/works?filter=author.id:...",
        )
    works: list[ImportedWork] = []
    skipped: list[Skip] = []
    for n, item in enumerate(items, start=1):
        work = _work(item, n)
        if isinstance(work, Skip):
            skipped.append(work)
        else:
            works.append(work)
    count = meta.get("count")
    cursor = meta.get("next_cursor")
    return Page(
        tuple(works),
        tuple(skipped),
        len(items),
        count if isinstance(count, int) and not isinstance(count, bool) else None,
        cursor if isinstance(cursor, str) and cursor else None,
    )


def from_bytes(data: bytes, origin: Origin) -> Harvest:
    page = parse_page(data, origin)
    complete = page.next_cursor is None and (page.count is None or page.count <= page.results)
    notes: tuple[str, ...] = ()
    if not complete:
        notes = (f"the file holds {page.results} of {page.count or 'more'} works",)
    return Harvest(page.works, page.skipped, notes, complete, label=origin.label)


def _message(response: Response) -> str | None:
    try:
        parsed = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    if isinstance(parsed, dict):
        return _text(parsed.get("message")) or _text(parsed.get("error"))
    return None


def fetch(
    client: HttpClient,
    author: str,
    *,
    base_url: str = BASE_URL,
    limit: int,
    progress: Progress | None = None,
    per_page: int = PER_PAGE,
) -> Harvest:
    """Every page of the author's works (cursor paging), up to `limit` works."""
    works: list[ImportedWork] = []
    skipped: list[Skip] = []
    notes: list[str] = []
    cursor = "*"
    seen_cursors: set[str] = set()
    received = 0
    complete = True
    count: int | None = None
    while True:
        url = f"{base_url}/works?" + urlencode(
            {"filter": f"author.id:{author}", "per-page": per_page, "cursor": cursor}
        )
        response = client.get(url, what="OpenAlex", accept="application/json", interval=INTERVAL)
        if not response.ok:
            raise status_error(response, "OpenAlex", _message(response))
        page = parse_page(response.body, Origin(url))
        count = page.count if page.count is not None else count
        works.extend(page.works)
        skipped.extend(page.skipped)
        received += page.results
        if progress is not None:
            progress("OpenAlex", received, count)
        if page.next_cursor is None or page.results == 0:
            break
        if page.next_cursor in seen_cursors:
            complete = False
            notes.append("OpenAlex repeated a page cursor; stopped")
            break
        if received >= limit:
            complete = False
            notes.append(f"stopped at {received} of {count or 'more'} works (--limit)")
            break
        seen_cursors.add(page.next_cursor)
        cursor = page.next_cursor
    if received == 0:
        notes.append(f"OpenAlex lists no works for {author}")
    return Harvest(tuple(works), tuple(skipped), tuple(notes), complete, label=f"author {author}")


@dataclass(frozen=True)
class Metrics:
    h_index: int
    i10_index: int
    citations: int
    works: int


def compute_metrics(counts: list[int]) -> Metrics:
    """h-index (h works with at least h citations each), i10 (works with 10 or more), total."""
    ordered = sorted(counts, reverse=True)
    h = sum(1 for i, c in enumerate(ordered, start=1) if c >= i)
    return Metrics(h, sum(1 for c in ordered if c >= 10), sum(ordered), len(ordered))
