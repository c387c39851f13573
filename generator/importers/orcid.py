"""ORCID: the public API v3.0, JSON or XML.

Over the network: `GET /v3.0/{iD}/works` lists the works as summaries (title, type, date,
journal, identifiers, but no authors or abstract), then `GET /v3.0/{iD}/works/{put-codes}` (up to
100 at a time) gives the full works with contributors and short descriptions. From a file, any
of the shapes the API answers with is read: a record, a works list, one work, or a bulk answer.
Identifiers count only when they are the work's own (`self`); a `version-of` DOI helps find the
paper among the user's entries but is not written as its DOI; `part-of` ids (the journal's
ISSN, the book of a chapter) are ignored.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from generator.errors import Problem, ScholarpageError
from generator.importers import xmlsafe
from generator.importers.bibfile import read_blocks
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
    looks_cut,
    plain_to_latex,
    printable,
    split_names,
    strip_html,
    with_names,
)

BASE_URL = "https://pub.orcid.org/v3.0"
INTERVAL = 0.1  # the public API allows 24 requests a second
BULK = 100
# contributors who are not the work's authors (v2 roles; CRediT role URIs are all authors)
_NOT_AUTHOR = re.compile(r"editor|translator|chair|support-staff|graduate-student")
_ID = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")
TYPES = {
    "journal-article": "article",
    "magazine-article": "article",
    "newspaper-article": "article",
    "review": "article",
    "conference-paper": "inproceedings",
    "conference-abstract": "inproceedings",
    "conference-poster": "inproceedings",
    "book-chapter": "incollection",
    "book": "book",
    "edited-book": "book",
    "dissertation": "phdthesis",
    "dissertation-thesis": "phdthesis",
    "report": "techreport",
    "working-paper": "techreport",
    "preprint": "misc",
    "data-set": "misc",
    "software": "misc",
}


def check_id(value: str) -> str:
    """An ORCID iD (also as https://orcid.org/...), checked with its ISO 7064 check digit."""
    text = re.sub(r"^(?:https?://)?(?:www\.|sandbox\.)?orcid\.org/", "", value.strip(), flags=re.I)
    m = _ID.match(text.strip("/").upper())
    if m is None:
        raise ScholarpageError.single(
            f"not an ORCID iD: {printable(value)!r}",
            hint="an iD looks like 0000-0002-1825-0097 (16 digits, the last may be X)",
        )
    digits = "".join(m.groups())
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    if digits[-1] != ("X" if check == 10 else str(check)):
        raise ScholarpageError.single(
            f"{'-'.join(m.groups())} is not a valid ORCID iD: its check digit is wrong",
            hint="copy the iD from your ORCID record; a digit is probably mistyped",
        )
    return "-".join(m.groups())


# --- neutral views of JSON and XML ------------------------------------------------------------


def _v(node: Any, *path: str) -> Any:
    """JSON walk: None when any step is missing; `{"value": x}` wrappers are unwrapped."""
    for name in path:
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    if (
        isinstance(node, dict)
        and set(node) <= {"value", "language-code", "transient"}
        and "value" in node
    ):
        node = node["value"]
    return node


def _s(node: Any, *path: str) -> str | None:
    value = _v(node, *path)
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = clean_text(str(value))
        return text or None
    return None


def _json_work(work: dict[str, Any]) -> dict[str, Any]:
    """A JSON work or work summary as plain fields."""
    ids = []
    for item in _v(work, "external-ids", "external-id") or []:
        if isinstance(item, dict):
            ids.append(
                (
                    (_s(item, "external-id-type") or "").lower(),
                    _s(item, "external-id-value") or "",
                    (_s(item, "external-id-relationship") or "self").lower(),
                    _s(item, "external-id-url") or "",
                )
            )
    names = []
    for person in _v(work, "contributors", "contributor") or []:
        if not isinstance(person, dict):
            continue
        role = (_s(person, "contributor-attributes", "contributor-role") or "").lower()
        name = _s(person, "credit-name")
        if name and not _NOT_AUTHOR.search(role):
            names.append(name)
    return {
        "put_code": _s(work, "put-code"),
        "title": _s(work, "title", "title"),
        "subtitle": _s(work, "title", "subtitle"),
        "journal": _s(work, "journal-title"),
        "type": (_s(work, "type") or "").lower(),
        "year": _s(work, "publication-date", "year"),
        "month": _s(work, "publication-date", "month"),
        "day": _s(work, "publication-date", "day"),
        "ids": ids,
        "url": _s(work, "url"),
        "authors": names,
        "abstract": _s(work, "short-description"),
        "citation_type": (_s(work, "citation", "citation-type") or "").lower(),
        "citation": _v(work, "citation", "citation-value"),
        "display_index": _s(work, "display-index"),
    }


def _xml_work(work: ET.Element) -> dict[str, Any]:
    """An XML work or work summary as the same plain fields."""
    ids = []
    for item in xmlsafe.walk(work, "external-id"):
        ids.append(
            (
                (xmlsafe.text(item, "external-id-type") or "").lower(),
                xmlsafe.text(item, "external-id-value") or "",
                (xmlsafe.text(item, "external-id-relationship") or "self").lower(),
                xmlsafe.text(item, "external-id-url") or "",
            )
        )
    names = []
    for person in xmlsafe.walk(work, "contributor"):
        role = (xmlsafe.text(person, "contributor-attributes", "contributor-role") or "").lower()
        name = xmlsafe.text(person, "credit-name")
        if name and not _NOT_AUTHOR.search(role):
            names.append(clean_text(name))
    # only the work's own ids: those under the work, not under its group
    return {
        "put_code": work.get("put-code"),
        "title": xmlsafe.text(work, "title", "title"),
        "subtitle": xmlsafe.text(work, "title", "subtitle"),
        "journal": xmlsafe.text(work, "journal-title"),
        "type": (xmlsafe.text(work, "type") or "").lower(),
        "year": xmlsafe.text(work, "publication-date", "year"),
        "month": xmlsafe.text(work, "publication-date", "month"),
        "day": xmlsafe.text(work, "publication-date", "day"),
        "ids": ids,
        "url": xmlsafe.text(work, "url"),
        "authors": names,
        "abstract": xmlsafe.text(work, "short-description"),
        "citation_type": (xmlsafe.text(work, "citation", "citation-type") or "").lower(),
        "citation": xmlsafe.text(work, "citation", "citation-value"),
        "display_index": work.get("display-index"),
    }


def _preferred(summaries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The summary ORCID shows for a group: the highest display-index, else the first."""
    if not summaries:
        return None

    def rank(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        index = item[1].get("display_index") or "0"
        return (int(index) if str(index).isdigit() else 0, -item[0])

    return max(enumerate(summaries), key=rank)[1]


def _json_items(data: Any) -> tuple[list[dict[str, Any]], bool, list[Skip]]:
    """(works, full: whether they carry contributors, skipped) from any ORCID JSON answer."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    if "response-code" in data or "error-code" in data or "developer-message" in data:
        raise _RawApiError(str(data.get("user-message") or data.get("developer-message") or data))
    if "bulk" in data:
        works: list[dict[str, Any]] = []
        skipped: list[Skip] = []
        for item in data.get("bulk") or []:
            if isinstance(item, dict) and isinstance(item.get("work"), dict):
                works.append(_json_work(item["work"]))
            elif isinstance(item, dict) and isinstance(item.get("error"), dict):
                err = item["error"]
                message = err.get("developer-message") or err.get("user-message") or "error"
                skipped.append(Skip("ORCID work", printable(str(message), 200)))
        return works, True, skipped
    if "activities-summary" in data:
        data = _v(data, "activities-summary", "works") or {}
    if "group" in data:
        out = []
        for group in data.get("group") or []:
            summaries = [
                _json_work(s)
                for s in (group or {}).get("work-summary") or []
                if isinstance(s, dict)
            ]
            chosen = _preferred(summaries)
            if chosen is not None:
                out.append(chosen)
        return out, False, []
    if "title" in data or "type" in data:
        return [_json_work(data)], True, []
    raise ValueError("no works in it (expected a record, works, work or bulk answer)")


def _xml_items(root: ET.Element) -> tuple[list[dict[str, Any]], bool, list[Skip]]:
    name = xmlsafe.local(root.tag)
    if name == "error":
        message = xmlsafe.text(root, "user-message") or xmlsafe.text(root, "developer-message")
        raise _RawApiError(message or "an error")
    if name == "bulk":
        works = []
        skipped = []
        for item in root:
            if xmlsafe.local(item.tag) == "work":
                works.append(_xml_work(item))
            elif xmlsafe.local(item.tag) == "error":
                message = xmlsafe.text(item, "developer-message") or "error"
                skipped.append(Skip("ORCID work", printable(message, 200)))
        return works, True, skipped
    if name == "work":
        return [_xml_work(root)], True, []
    if name in ("record", "activities-summary", "works"):
        out = []
        for group in xmlsafe.walk(root, "group"):
            summaries = [_xml_work(s) for s in xmlsafe.children(group, "work-summary")]
            chosen = _preferred(summaries)
            if chosen is not None:
                out.append(chosen)
        return out, False, []
    raise ValueError(f"unexpected root element <{name}>")


class _ApiError(ScholarpageError):
    """ORCID's own error answer; `message` is its text."""

    def __init__(self, problems: tuple[Problem, ...], message: str) -> None:
        super().__init__(problems)
        self.message = message


class _RawApiError(Exception):
    pass


def _items(data: bytes, origin: Origin) -> tuple[list[dict[str, Any]], bool, list[Skip]]:
    head = data.lstrip()[:1]
    try:
        if head == b"<":
            return _xml_items(xmlsafe.parse_xml(data, origin, "ORCID response"))
        try:
            parsed = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise origin.error(
                f"the ORCID response is not UTF-8 (byte offset {exc.start})"
            ) from None
        except json.JSONDecodeError as exc:
            cut = " (the response looks cut off)" if looks_cut(exc, data) else ""
            raise origin.error(
                f"the ORCID response is not valid JSON: {exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}{cut}",
                line=exc.lineno,
                hint="download it again, or check that the file is the API's complete answer",
            ) from None
        except RecursionError:
            raise origin.error("the ORCID response is nested too deeply") from None
        return _json_items(parsed)
    except _RawApiError as exc:
        message = printable(str(exc))
        error = origin.error(
            f"ORCID answered with an error: {message}",
            hint="check the iD; a record must be public to be read without signing in",
        )
        raise _ApiError(error.problems, message) from None
    except (ValueError, TypeError, AttributeError) as exc:
        raise origin.error(f"this is not an ORCID API answer: {printable(str(exc))}") from None


def _to_work(item: dict[str, Any], n: int, source: str) -> ImportedWork | Skip:
    title = item.get("title")
    what = f"ORCID work {item.get('put_code') or n}"
    if not title:
        return Skip(what, "no title")
    subtitle = item.get("subtitle")
    if subtitle:
        title = f"{title}: {subtitle}"
    doi = None
    related: list[str] = []
    arxiv = None
    for kind, value, relation, url in item.get("ids") or []:
        if relation == "part-of":
            continue
        if kind == "doi":
            found = clean_doi(value) or clean_doi(url)
            if found and relation == "self" and doi is None:
                doi = found
            elif found:
                related.append(found)
        elif kind == "arxiv" and relation == "self":
            arxiv = arxiv or clean_arxiv(value) or clean_arxiv(url)
    names = list(item.get("authors") or [])
    authors, others = with_names(names)
    if (
        not authors
        and item.get("citation_type") == "bibtex"
        and isinstance(item.get("citation"), str)
    ):
        authors, others = _citation_authors(item["citation"])
    kind = TYPES.get(item.get("type") or "", "misc")
    journal = item.get("journal")
    year = _num(item.get("year"), 1000, 3000)
    month = _num(item.get("month"), 1, 12) if year else None
    day = _num(item.get("day"), 1, 31) if month else None
    url = item.get("url")
    return ImportedWork(
        title=plain_to_latex(strip_html(title)),
        entry_type=kind,
        authors=authors,
        others=others,
        year=year,
        month=month,
        day=day,
        journal=plain_to_latex(strip_html(journal)) if journal and kind == "article" else None,
        booktitle=plain_to_latex(strip_html(journal))
        if journal and kind in ("inproceedings", "incollection")
        else None,
        doi=doi,
        arxiv_id=arxiv,
        abstract=plain_to_latex(strip_html(item["abstract"])) if item.get("abstract") else None,
        url=url if url and re.match(r"https?://\S+$", url) else None,
        preprint=kind == "misc" and arxiv is not None,
        related_dois=tuple(dict.fromkeys(related)),
        origin=f"{source} {what}",
    )


def _citation_authors(citation: str) -> tuple[tuple[str, ...], bool]:
    """Authors from a work's BibTeX citation (ORCID keeps what the user pasted)."""
    for block in read_blocks(citation):
        author = block.entry.get("author")
        if author:
            names = split_names(author)
            others = bool(names) and names[-1].lower() == "others"
            return tuple(clean_text(n) for n in (names[:-1] if others else names)), others
    return (), False


def _num(value: Any, low: int, high: int) -> int | None:
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 4:
        return None
    number = int(text)
    return number if low <= number <= high else None


def harvest(data: bytes, origin: Origin) -> tuple[Harvest, list[str]]:
    """Works of one ORCID answer; also the put-codes of summaries (for fetching details)."""
    items, full, skipped = _items(data, origin)
    works: list[ImportedWork] = []
    codes: list[str] = []
    for n, item in enumerate(items, start=1):
        work = _to_work(item, n, "ORCID")
        if isinstance(work, Skip):
            skipped.append(work)
        else:
            works.append(work)
            if item.get("put_code"):
                codes.append(str(item["put_code"]))
    notes: list[str] = []
    if not full and works:
        notes.append(
            "ORCID work summaries list no authors or abstracts; over the network the full "
            "works are fetched (from a file: save /v3.0/ID/works/PUT-CODES to include them)"
        )
    return Harvest(tuple(works), tuple(skipped), tuple(notes), label=origin.label), codes


def from_bytes(data: bytes, origin: Origin) -> Harvest:
    return harvest(data, origin)[0]


def _api_message(data: bytes) -> str | None:
    """The message of an ORCID error body (JSON or XML), if the body is one."""
    try:
        _items(data, Origin("ORCID"))
    except _ApiError as exc:
        return exc.message
    except ScholarpageError:
        return None
    return None


def _checked(response: Response) -> bytes:
    if response.ok:
        return response.body
    raise status_error(response, "ORCID", _api_message(response.body))


def _batches(codes: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(codes), BULK):
        yield codes[i : i + BULK]


def fetch(
    client: HttpClient,
    orcid: str,
    *,
    base_url: str = BASE_URL,
    limit: int,
    progress: Progress | None = None,
) -> Harvest:
    """The works list, then the full works in batches of 100 put-codes."""
    url = f"{base_url}/{orcid}/works"
    accept = "application/json"
    body = _checked(client.get(url, what="ORCID", accept=accept, interval=INTERVAL))
    summary, codes = harvest(body, Origin(url))
    skipped = list(summary.skipped)
    notes: list[str] = []
    complete = True
    if len(codes) > limit:
        notes.append(f"stopped at {limit} of {len(codes)} works (--limit)")
        codes = codes[:limit]
        complete = False
    works: list[ImportedWork] = []
    for batch in _batches(codes):
        if not all(re.fullmatch(r"\d{1,12}", c) for c in batch):
            raise ScholarpageError.single(f"{printable(url)}: a put-code is not a number")
        bulk_url = f"{base_url}/{orcid}/works/{','.join(batch)}"
        data = _checked(client.get(bulk_url, what="ORCID", accept=accept, interval=INTERVAL))
        detail = harvest(data, Origin(bulk_url))[0]
        works.extend(detail.works)
        skipped.extend(detail.skipped)
        if progress is not None:
            progress("ORCID", len(works), len(codes))
    if not codes:
        works = list(summary.works)
    return Harvest(tuple(works), tuple(skipped), tuple(notes), complete, label=f"iD {orcid}")
