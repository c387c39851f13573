"""arXiv: an author query or a list of ids, through the arXiv API's Atom feed.

https://info.arxiv.org/help/api/user-manual.html: `query?search_query=...&start=&max_results=`
or `query?id_list=...`, at most one request every 3 seconds. Titles and abstracts are LaTeX
source (math stays math); a bad id is answered with HTTP 400 and a feed whose one entry is
titled "Error", which becomes a message. The API sometimes returns an empty page in the middle
of a result set; that page is asked for again, then the import stops with a note.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlencode

from generator.errors import Problem, ScholarpageError
from generator.importers import xmlsafe
from generator.importers.http import HttpClient, Response, status_error
from generator.importers.records import (
    Harvest,
    ImportedWork,
    Origin,
    Progress,
    Skip,
    clean_arxiv,
    clean_doi,
    clean_text,
    latex_value,
    plain_to_latex,
    printable,
    with_names,
)

BASE_URL = "https://export.arxiv.org/api"
INTERVAL = 3.0
PAGE_SIZE = 100
_ATOM = "{http://www.w3.org/2005/Atom}"
_FIELD_QUERY = re.compile(
    r"^\s*(?:ti|au|abs|co|jr|cat|rn|id|all|submittedDate|lastUpdatedDate):", re.I
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Query:
    """Either a search (`au:"Del Maestro"`) or arXiv ids."""

    search: str | None
    ids: tuple[str, ...]

    @property
    def label(self) -> str:
        if self.search is not None:
            return f"search {self.search}"
        shown = ", ".join(self.ids[:3]) + (
            f" and {len(self.ids) - 3} more" if len(self.ids) > 3 else ""
        )
        return f"ids {shown}"


def make_query(args: tuple[str, ...]) -> Query:
    """Ids when every word is an arXiv id (or its URL); else an author name (searched as
    `au:"NAME"`), or a query in arXiv's syntax when it has a field prefix such as `au:`."""
    words = [w for arg in args for w in re.split(r"[,\s]+", arg) if w]
    if not words:
        raise ScholarpageError.single(
            "arxiv needs an author or arXiv ids",
            hint='e.g. scholarpage import arxiv "Adrian Del Maestro", or ids 2101.00001 2102.00002',
        )
    ids = [clean_arxiv(w) for w in words]
    if all(ids):
        return Query(None, tuple(dict.fromkeys(i for i in ids if i)))
    text = clean_text(" ".join(args))
    if len(text) > 500:
        raise ScholarpageError.single("the arXiv query is over 500 characters")
    if _FIELD_QUERY.match(text) or re.search(r"\b(AND|OR|ANDNOT)\b", text):
        return Query(text, ())
    return Query(f'au:"{text.replace(chr(34), "")}"', ())


class ArxivError(ScholarpageError):
    """The API's own "Error" entry; `api_message` is its text."""

    def __init__(self, problems: tuple[Problem, ...], api_message: str) -> None:
        super().__init__(problems)
        self.api_message = api_message


@dataclass(frozen=True)
class Page:
    works: tuple[ImportedWork, ...]
    skipped: tuple[Skip, ...]
    total: int | None
    start: int | None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def parse_feed(data: bytes, origin: Origin) -> Page:
    """One page of the arXiv API's Atom feed; an "Error" entry is raised as the API's message."""
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        raise origin.error(
            "this is JSON, not the arXiv API's Atom feed",
            hint="save the answer of https://export.arxiv.org/api/query?... as the file",
        )
    root = xmlsafe.parse_xml(data, origin, "arXiv response")
    if root.tag != f"{_ATOM}feed":
        raise origin.error(
            f"this is not an Atom feed (its root element is <{xmlsafe.local(root.tag)}>)",
            hint="arxiv reads the answer of https://export.arxiv.org/api/query?...",
        )
    works: list[ImportedWork] = []
    skipped: list[Skip] = []
    for n, entry in enumerate(xmlsafe.children(root, "entry"), start=1):
        raw_id = xmlsafe.text(entry, "id") or ""
        title = xmlsafe.text(entry, "title") or ""
        if "/api/errors" in raw_id or (title.strip() == "Error" and clean_arxiv(raw_id) is None):
            message = printable(xmlsafe.text(entry, "summary") or "an error without a message")
            error = origin.error(
                f"arXiv answered with an error: {message}",
                hint="check the arXiv ids (e.g. 2101.00001 or cond-mat/0412498) or the query",
            )
            raise ArxivError(error.problems, message)
        work = _work(entry, n)
        if isinstance(work, Skip):
            skipped.append(work)
        else:
            works.append(work)
    return Page(
        tuple(works),
        tuple(skipped),
        _int(xmlsafe.text(root, "totalResults")),
        _int(xmlsafe.text(root, "startIndex")),
    )


def _work(entry: ET.Element, n: int) -> ImportedWork | Skip:
    raw_id = xmlsafe.text(entry, "id") or ""
    arxiv_id = clean_arxiv(raw_id)
    title = latex_value(xmlsafe.text(entry, "title") or "")
    what = f"entry {n} ({printable(raw_id, 80) or 'no id'})"
    if arxiv_id is None:
        return Skip(what, "no arXiv id in <id>")
    if not title:
        return Skip(what, "no title")
    names = [xmlsafe.text(a, "name") or "" for a in xmlsafe.children(entry, "author")]
    authors, others = with_names(names)
    published = xmlsafe.text(entry, "published") or xmlsafe.text(entry, "updated") or ""
    date = _DATE.match(published)
    journal_ref = xmlsafe.text(entry, "journal_ref")
    primary = xmlsafe.child(entry, "primary_category")
    category = primary.get("term") if primary is not None else None
    if category is None:
        first = xmlsafe.child(entry, "category")
        category = first.get("term") if first is not None else None
    summary = xmlsafe.text(entry, "summary")
    return ImportedWork(
        title=title,
        entry_type="article" if journal_ref else "misc",
        authors=authors,
        others=others,
        year=int(date.group(1)) if date else None,
        month=int(date.group(2)) if date else None,
        day=int(date.group(3)) if date else None,
        journal=plain_to_latex(journal_ref) if journal_ref else None,
        doi=clean_doi(xmlsafe.text(entry, "doi")),
        arxiv_id=arxiv_id,
        primary_class=clean_text(category)
        if category and re.fullmatch(r"[\w.-]{1,40}", category)
        else None,
        abstract=latex_value(summary) if summary else None,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        preprint=not journal_ref,
        origin=f"arXiv {arxiv_id}",
    )


def _error_entry(data: bytes, origin: Origin) -> str | None:
    """The message of an arXiv "Error" entry in an error response's body, if it has one."""
    try:
        parse_feed(data, origin)
    except ArxivError as exc:
        return exc.api_message
    except ScholarpageError:
        return None
    return None


def _checked(response: Response, origin: Origin) -> Page:
    if not response.ok:
        raise status_error(response, "arXiv", _error_entry(response.body, origin))
    return parse_feed(response.body, origin)


def from_bytes(data: bytes, origin: Origin) -> Harvest:
    """A saved API answer (one page)."""
    page = parse_feed(data, origin)
    notes: list[str] = []
    complete = True
    if page.total is not None and page.total > len(page.works) + len(page.skipped):
        complete = False
        notes.append(
            f"the file holds {len(page.works)} of the {page.total} results of its query; "
            "import over the network (or save the other pages) for the rest"
        )
    return Harvest(page.works, page.skipped, tuple(notes), complete, label=origin.label)


def fetch(
    client: HttpClient,
    query: Query,
    *,
    base_url: str = BASE_URL,
    limit: int,
    progress: Progress | None = None,
    page_size: int = PAGE_SIZE,
) -> Harvest:
    """Every page of the query (or every batch of ids), one request per 3 s, up to `limit`."""
    if query.ids:
        return _fetch_ids(client, query, base_url, progress, page_size)
    assert query.search is not None
    works: list[ImportedWork] = []
    skipped: list[Skip] = []
    notes: list[str] = []
    seen: set[str] = set()
    start = 0
    total: int | None = None
    empty = 0
    complete = True
    while len(works) < limit:
        size = min(page_size, limit - len(works))
        url = f"{base_url}/query?" + urlencode(
            {
                "search_query": query.search,
                "start": start,
                "max_results": size,
                "sortBy": "submittedDate",
                "sortOrder": "descending",
            }
        )
        page = _checked(
            client.get(url, what="arXiv", accept="application/atom+xml", interval=INTERVAL),
            Origin(url),
        )
        total = page.total if page.total is not None else total
        count = len(page.works) + len(page.skipped)
        if count == 0:
            if total is not None and start < total and empty < client.retries:
                empty += 1
                continue
            if total is not None and start < total:
                complete = False
                notes.append(
                    f"arXiv returned no more results after {start} of {total}; run the import "
                    "again later for the rest"
                )
            break
        empty = 0
        fresh = [w for w in page.works if w.arxiv_id not in seen]
        if not fresh and not page.skipped:
            complete = False
            notes.append(f"the server repeated results already received at start={start}; stopped")
            break
        for work in fresh:
            seen.add(work.arxiv_id or "")
        works.extend(fresh)
        skipped.extend(page.skipped)
        start += count
        if progress is not None:
            progress("arXiv", len(works), min(total, limit) if total is not None else None)
        if total is not None and start >= total:
            break
    if total is not None and start < total and len(works) >= limit:
        complete = False
        notes.append(f"stopped at {limit} of {total} results (--limit)")
    if total == 0:
        notes.append(
            f"arXiv found nothing for {query.search}; check the spelling (arXiv matches "
            'names as written on papers, e.g. au:"Del Maestro" or au:del_maestro)'
        )
    return Harvest(tuple(works), tuple(skipped), tuple(notes), complete, label=query.label)


def _fetch_ids(
    client: HttpClient,
    query: Query,
    base_url: str,
    progress: Progress | None,
    page_size: int,
) -> Harvest:
    works: list[ImportedWork] = []
    skipped: list[Skip] = []
    stray = 0
    for i in range(0, len(query.ids), page_size):
        batch = query.ids[i : i + page_size]
        url = f"{base_url}/query?" + urlencode(
            {"id_list": ",".join(batch), "start": 0, "max_results": len(batch)}
        )
        page = _checked(
            client.get(url, what="arXiv", accept="application/atom+xml", interval=INTERVAL),
            Origin(url),
        )
        wanted = set(batch)
        for work in page.works:
            if work.arxiv_id in wanted and all(w.arxiv_id != work.arxiv_id for w in works):
                works.append(work)
            else:
                stray += 1
        skipped.extend(page.skipped)
        if progress is not None:
            progress("arXiv", len(works), len(query.ids))
    found = {w.arxiv_id for w in works}
    for asked in query.ids:
        if asked not in found:
            skipped.append(Skip(f"arXiv {asked}", "not found on arXiv"))
    notes = (f"ignored {stray} entries of the answer that were not asked for",) if stray else ()
    return Harvest(tuple(works), tuple(skipped), notes, label=query.label)
