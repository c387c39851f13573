"""DBLP: a person's publications as BibTeX, `https://dblp.org/pid/PID.bib`.

The answer is read like any .bib (crossref parents merged into their papers). DBLP's own
bookkeeping fields (timestamp, biburl, bibsource) are dropped, homonym numbers are removed from
names ("Wei Wang 0001"), and its CoRR entries (journal CoRR, volume abs/...) become arXiv
preprints rather than papers in a journal called CoRR (as in any imported .bib).
"""

from __future__ import annotations

import re
from dataclasses import replace

from generator.errors import ScholarpageError
from generator.importers.bibfile import decode_response, works_from_bib
from generator.importers.http import HttpClient, status_error
from generator.importers.records import Harvest, ImportedWork, Origin, printable

BASE_URL = "https://dblp.org"
INTERVAL = 1.0
_PID = re.compile(r"^[a-z0-9]{1,10}/[A-Za-z0-9_=-]{1,80}$")
_HOMONYM = re.compile(r"\s+\d{4}(?=\s*$)")
DROPPED = frozenset({"timestamp", "biburl", "bibsource"})


def check_pid(value: str) -> str:
    """A DBLP person id (`45/8290`, `l/YannLeCun`), also from a dblp.org/pid/... URL."""
    text = value.strip()
    text = re.sub(r"^(?:https?://)?(?:www\.)?dblp\.(?:org|uni-trier\.de)/pid/", "", text)
    text = re.sub(r"\.(?:html|bib|xml)$", "", text.rstrip("/"))
    if not _PID.match(text):
        raise ScholarpageError.single(
            f"not a DBLP person id: {printable(value)!r}",
            hint="copy it from your DBLP page's address: https://dblp.org/pid/45/8290 -> 45/8290",
        )
    return text


def _tidy(work: ImportedWork) -> ImportedWork:
    return replace(work, authors=tuple(_HOMONYM.sub("", name) for name in work.authors))


def from_bytes(data: bytes, origin: Origin, keep: frozenset[str] = frozenset()) -> Harvest:
    """DBLP's BibTeX (or any saved copy of it)."""
    head = data.lstrip()[:1]
    if head in (b"<", b"{", b"["):
        raise origin.error(
            "this is not BibTeX (it looks like HTML, XML or JSON)",
            hint="dblp reads https://dblp.org/pid/PID.bib; check the person id",
        )
    text = decode_response(data, origin)
    harvest = works_from_bib(text, origin.label, keep=keep)
    works = tuple(_tidy(w) for w in harvest.works)
    dropped = tuple((n, c) for n, c in harvest.dropped_fields if n not in DROPPED)
    return replace(harvest, works=works, dropped_fields=dropped)


def fetch(
    client: HttpClient, pid: str, *, base_url: str = BASE_URL, keep: frozenset[str] = frozenset()
) -> Harvest:
    url = f"{base_url}/pid/{pid}.bib"
    response = client.get(
        url, what="DBLP", accept="application/x-bibtex, text/plain", interval=INTERVAL
    )
    if not response.ok:
        raise status_error(response, "DBLP")
    harvest = from_bytes(response.body, Origin(url), keep)
    notes = harvest.notes
    if not harvest.works and not harvest.skipped:
        notes += (f"DBLP lists no publications for {pid}",)
    return replace(harvest, notes=notes, label=f"pid {pid}")
