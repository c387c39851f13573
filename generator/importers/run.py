"""`scholarpage import`: gather, decide, then write (the last and dumbest step).

Everything that can fail is done before anything is written: site.yaml and every listed .bib
are read first (a broken config stops the import before any network traffic), then the source
is fetched or the saved answer read (`--from`: the same parsing after the download), then the
merge is planned in memory. Only then is the .bib replaced atomically (the previous version
kept as `.bib.bak`) and, for OpenAlex, the profile's metrics; `--dry-run` stops before that.
An interrupt at any point before the rename leaves every file as it was.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

from generator.bibtex import decode_bib
from generator.config import CONFIG_NAME, load_config
from generator.errors import ScholarpageError, Warnings
from generator.importers import arxiv, dblp, merge, openalex, orcid
from generator.importers.atomic import replace_file
from generator.importers.bibfile import decode_response, works_from_bib
from generator.importers.http import HttpClient, check_base_url, status_error
from generator.importers.merge import Item, Layout, Library
from generator.importers.metrics import MetricUpdate, plan_metrics
from generator.importers.records import Harvest, Origin, Progress, printable
from generator.model import SiteConfig
from generator.sources import BIBTEX, MB, YAML, Kind, read_input

SOURCES = ("arxiv", "orcid", "dblp", "openalex", "bibtex")
NAMES = {
    "arxiv": "arXiv",
    "orcid": "ORCID",
    "dblp": "DBLP",
    "openalex": "OpenAlex",
    "bibtex": "BibTeX",
}
BASE_URLS = {
    "arxiv": arxiv.BASE_URL,
    "orcid": orcid.BASE_URL,
    "dblp": dblp.BASE_URL,
    "openalex": openalex.BASE_URL,
}
RESPONSE = Kind(
    "saved API response",
    100 * MB,
    "save one answer of the API (one page of results) per file",
    "response.json",
)
_USAGE = {
    "arxiv": 'an author ("Adrian Del Maestro") or arXiv ids (2101.00001 2102.00002)',
    "orcid": "an ORCID iD (0000-0002-1825-0097)",
    "dblp": "a DBLP person id (45/8290)",
    "openalex": "an OpenAlex author id (A5023888391)",
    "bibtex": "a .bib file or an http(s) URL of one",
}


@dataclass(frozen=True)
class ImportRequest:
    """What the user asked for; paths as given (relative to the working folder)."""

    source: str
    ids: tuple[str, ...] = ()
    from_file: Path | None = None
    site_dir: Path = Path(".")
    into: Path | None = None
    dry_run: bool = False
    api_url: str | None = None
    limit: int = 1000
    timeout: float = 30.0
    retries: int = 3
    as_of: dt.date | None = None


@dataclass(frozen=True)
class ImportReport:
    """What happened (or, with dry_run, would happen), for the CLI to print."""

    source: str
    query: str
    into: Path
    new: tuple[Item, ...]
    present: tuple[Item, ...]
    updated: tuple[Item, ...]
    skipped: tuple[Item, ...]
    notes: tuple[str, ...]
    dropped_fields: tuple[tuple[str, int], ...]
    written: bool
    backup: Path | None
    dry_run: bool
    profile: Path | None = None
    metrics_written: tuple[str, ...] = ()
    metrics_kept: tuple[str, ...] = ()
    metrics_manual: str | None = None


def _usage(message: str, source: str) -> ScholarpageError:
    return ScholarpageError.single(
        message, hint=f"scholarpage import {source} takes {_USAGE.get(source, 'an id')}"
    )


def _today(as_of: dt.date | None) -> dt.date:
    if as_of is not None:
        return as_of
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


@dataclass(frozen=True)
class _Target:
    config: SiteConfig | None
    into: Path
    encoding: str | None
    others: tuple[tuple[Path, str | None], ...]


def _target(request: ImportRequest) -> _Target:
    site_dir = request.site_dir
    config = None
    if (site_dir / CONFIG_NAME).is_file():
        config = load_config(site_dir, Warnings())
    elif request.into is None:
        raise ScholarpageError.single(
            f"no {CONFIG_NAME} in {site_dir.resolve()}, so there is no bibliography to add to",
            hint="run in the site folder (or pass --site DIR), or name the file: --into FILE.bib",
        )
    listed = tuple((s.path, s.encoding) for s in config.bibliography) if config else ()
    if request.into is not None:
        into = request.into
    elif listed:
        into = listed[0][0]
    else:
        raise ScholarpageError.single(
            f"{CONFIG_NAME} lists no bibliography",
            file=config.config_file if config else None,
            hint="give the file to add to with --into content/papers.bib",
        )
    if into.suffix.lower() not in (".bib", ".bibtex"):
        raise ScholarpageError.single(
            "--into must name a .bib file",
            file=into,
            hint="papers are added to a BibTeX file, e.g. --into content/papers.bib",
        )
    resolved = into.resolve()
    encoding = next((enc for path, enc in listed if path.resolve() == resolved), None)
    others = tuple((p, e) for p, e in listed if p.resolve() != resolved)
    return _Target(config, into, encoding, others)


def _read_library(target: _Target) -> tuple[Library, bytes | None, str, list[str]]:
    """Every listed .bib into the library; the target's bytes and text (None: it is new)."""
    library = Library()
    notes: list[str] = []
    raw: bytes | None = None
    text = ""
    into = target.into
    if into.exists() or into.is_symlink():
        raw = read_input(into, BIBTEX, missing="fix the path given with --into")
        text = decode_bib(raw, into, target.encoding)
        head = text.lstrip()[:1]
        if head in ("{", "[", "<"):
            raise ScholarpageError.single(
                "this file is not BibTeX (it starts like JSON or XML); nothing is added to it",
                file=into,
                hint="give a .bib file with --into",
            )
        library.add_text(into, text, target=True)
    elif not into.parent.is_dir():
        raise ScholarpageError.single(
            f"the folder {into.parent} does not exist", file=into, hint="create it, or fix --into"
        )
    for path, encoding in target.others:
        if not path.exists():
            notes.append(f"{path} is listed in {CONFIG_NAME} but does not exist; not checked")
            continue
        other = read_input(
            path, BIBTEX, missing=f"fix the path under `bibliography:` in {CONFIG_NAME}"
        )
        library.add_text(path, decode_bib(other, path, encoding), target=False)
    return library, raw, text, notes


def _keep(config: SiteConfig | None) -> frozenset[str]:
    return frozenset(b.field.lower() for b in config.paper_badges) if config else frozenset()


def _harvest(
    request: ImportRequest,
    keep: frozenset[str],
    client: HttpClient,
    progress: Progress | None,
) -> Harvest:
    source = request.source
    ids = request.ids
    if request.from_file is not None:
        if ids:
            raise _usage("give either an id or --from FILE, not both", source)
        data = read_input(request.from_file, RESPONSE, what="saved response")
        origin = Origin(str(request.from_file), request.from_file)
        if source == "arxiv":
            return arxiv.from_bytes(data, origin)
        if source == "orcid":
            return orcid.from_bytes(data, origin)
        if source == "dblp":
            return dblp.from_bytes(data, origin, keep)
        if source == "openalex":
            return openalex.from_bytes(data, origin)
        text = decode_response(data, origin)
        return works_from_bib(text, request.from_file.name, keep=keep)
    if not ids:
        raise _usage(f"import {source} needs an id (or --from FILE)", source)
    if source != "arxiv" and len(ids) > 1:
        raise _usage(f"import {source} takes one id, got {len(ids)}", source)
    base = check_base_url(request.api_url) if request.api_url else BASE_URLS.get(source, "")
    if source == "arxiv":
        return arxiv.fetch(
            client, arxiv.make_query(ids), base_url=base, limit=request.limit, progress=progress
        )
    if source == "orcid":
        return orcid.fetch(
            client, orcid.check_id(ids[0]), base_url=base, limit=request.limit, progress=progress
        )
    if source == "dblp":
        return dblp.fetch(client, dblp.check_pid(ids[0]), base_url=base, keep=keep)
    if source == "openalex":
        return openalex.fetch(
            client,
            openalex.check_author(ids[0]),
            base_url=base,
            limit=request.limit,
            progress=progress,
        )
    return _bibtex_argument(ids[0], keep, client)


def _bibtex_argument(value: str, keep: frozenset[str], client: HttpClient) -> Harvest:
    """`import bibtex FILE` or `import bibtex URL`."""
    if value.startswith(("http://", "https://")):
        check_base_url(value, "the URL", query=True)
        response = client.get(value, what="the server", accept="application/x-bibtex, text/plain")
        if not response.ok:
            raise status_error(response, "the server")
        origin = Origin(value)
        head = response.body.lstrip()[:1]
        if head in (b"<", b"{", b"["):
            raise origin.error("this is not BibTeX (it looks like HTML, XML or JSON)")
        return works_from_bib(decode_response(response.body, origin), value, keep=keep)
    path = Path(value)
    data = read_input(path, BIBTEX, what="BibTeX file")
    return works_from_bib(decode_response(data, Origin(str(path), path)), path.name, keep=keep)


def import_papers(
    request: ImportRequest,
    *,
    client: HttpClient | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Run one import (see the module docstring); raises ScholarpageError for what the user
    must fix, with every file as it was."""
    if request.source not in SOURCES:
        raise ScholarpageError.single(
            f"unknown source {printable(request.source)!r}", hint=f"sources: {', '.join(SOURCES)}"
        )
    if request.limit < 1:
        raise ScholarpageError.single("--limit must be 1 or more")
    if request.api_url is not None:
        check_base_url(request.api_url)
    target = _target(request)
    library, raw, text, notes = _read_library(target)
    lay: Layout = (
        merge.layout(raw, text, target.encoding, target.into)
        if raw is not None
        else Layout("utf-8", b"", "\n")
    )

    def on_wait(seconds: float, why: str) -> None:
        if progress is not None:
            progress(f"waiting {seconds:.0f} s: {why}", 0, None)

    if client is None:
        client = HttpClient(timeout=request.timeout, retries=request.retries, on_wait=on_wait)
    harvest = _harvest(request, _keep(target.config), client, progress)
    plan = merge.plan(
        library,
        harvest.works,
        newline=lay.newline,
        encodable=lambda entry: merge.encodable_text(entry, lay.codec),
    )
    skipped = tuple(Item(None, s.what, s.why) for s in harvest.skipped) + plan.skipped
    report = ImportReport(
        source=NAMES[request.source],
        query=harvest.label,
        into=target.into,
        new=plan.new,
        present=plan.present,
        updated=plan.updated,
        skipped=skipped,
        notes=tuple(notes) + harvest.notes + plan.notes,
        dropped_fields=harvest.dropped_fields,
        written=False,
        backup=None,
        dry_run=request.dry_run,
    )
    metrics_plan = None
    if request.source == "openalex" and target.config is not None:
        if harvest.complete and harvest.works:
            counts = [w.citations for w in harvest.works if w.citations is not None]
            computed = openalex.compute_metrics(counts)
            updates = (
                MetricUpdate("h_index", computed.h_index),
                MetricUpdate("i10_index", computed.i10_index),
                MetricUpdate("citations", computed.citations),
            )
            metrics_plan = plan_metrics(
                target.config.profile, updates, source="OpenAlex", as_of=_today(request.as_of)
            )
            report = replace(
                report,
                profile=target.config.profile,
                metrics_written=metrics_plan.written,
                metrics_kept=metrics_plan.kept,
                metrics_manual=metrics_plan.manual,
            )
        elif harvest.works:
            report = replace(
                report,
                notes=(*report.notes, "profile metrics not updated: not all works were read"),
            )
    if request.dry_run:
        return report
    backup = None
    written = False
    if plan.appended or plan.edits:
        appended = merge.appendix(text, plan.appended, lay.newline)
        data = merge.rebuild(raw or b"", text, lay, plan.edits, appended)
        backup = replace_file(target.into, data, expected=raw, kind=BIBTEX, backup=True)
        written = True
    if metrics_plan is not None and metrics_plan.data is not None:
        replace_file(
            metrics_plan.path,
            metrics_plan.data,
            expected=metrics_plan.original,
            kind=YAML,
            backup=False,
        )
    return replace(report, written=written, backup=backup)
