"""Deduplicate incoming works against the user's .bib files and plan the few edits allowed.

A work is already present when an entry has the same DOI, the same arXiv id, the same
normalised title and year, or is another version of it (the same normalised title of three
words or more, years at most one apart: a preprint and its published paper). The title rules
also need the first authors' family names to agree where both name one, and do not apply when
both say where they appeared (volume, number, pages) and that differs: the "Editorial" of two
issues is two works. The same rules apply among the incoming works, so
one source listing a preprint and its journal version adds one entry.

The user's entries are never rewritten: the only edit is the `citations` value of an entry of
the target file matched by DOI, arXiv id or title and year, replaced in place (its delimiters
and every other byte kept) or added as a last field. New entries are appended. `rebuild`
applies this to the file's bytes, re-encoding only what changes and checking that every
untouched byte is the same as before.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.bibtex import arxiv_id, parse_date
from generator.errors import ScholarpageError
from generator.importers.bibfile import BibBlock, FieldSpan, read_blocks
from generator.importers.records import (
    ImportedWork,
    arxiv_from_doi,
    clean_arxiv,
    clean_doi,
    family_key,
    make_key,
    merge_versions,
    printable,
    split_names,
    title_key,
    to_bibtex,
)
from generator.latex import convert

STRONG = ("same DOI", "same arXiv id", "same title and year")


@dataclass(frozen=True)
class Item:
    """One line of the report: a key (when there is one), a title, and what happened."""

    key: str | None
    title: str
    detail: str


@dataclass
class _Ident:
    dois: tuple[str, ...]
    arxiv: str | None
    title: str
    year: int | None
    family: str
    place: tuple[str, str, str] = ("", "", "")  # volume, number, pages (normalised)

    def elsewhere(self, other: _Ident) -> bool:
        """Both say where they appeared, and it differs: two works with one title (the
        "Editorial" of two issues), not two records of one work."""
        return any(a and b and a != b for a, b in zip(self.place, other.place, strict=True))


def _place(volume: str | None, number: str | None, pages: str | None) -> tuple[str, str, str]:
    return (
        "".join(title_key(volume).split()),
        "".join(title_key(number).split()),
        "".join(title_key(pages).split()),
    )


@dataclass(frozen=True)
class Existing:
    """An entry of one of the site's .bib files, as far as deduplication needs it."""

    path: Path
    key: str | None
    line: int
    title: str
    block: BibBlock
    editable: bool
    in_target: bool = False


def _ident_fields(fields: dict[str, str]) -> _Ident:
    doi = clean_doi(fields.get("doi"))
    arxiv = clean_arxiv(arxiv_id(fields)) or arxiv_from_doi(doi)
    names = split_names(fields.get("author") or fields.get("editor") or "")
    return _Ident(
        (doi.lower(),) if doi else (),
        arxiv,
        title_key(fields.get("title")),
        parse_date(fields).year,
        family_key(names[0]) if names else "",
        _place(
            fields.get("volume"), fields.get("number") or fields.get("issue"), fields.get("pages")
        ),
    )


def _ident_work(work: ImportedWork) -> _Ident:
    dois = [d for d in (work.doi, *work.related_dois) if d]
    return _Ident(
        tuple(dict.fromkeys(d.lower() for d in dois)),
        work.arxiv_id or arxiv_from_doi(work.doi),
        title_key(work.title),
        work.year,
        family_key(work.authors[0]) if work.authors else "",
        _place(work.volume, work.number, work.pages),
    )


class _Index:
    """Identity -> the things that have it; `find` says which one matches and by what rule."""

    def __init__(self) -> None:
        self.by_doi: dict[str, list[int]] = {}
        self.by_arxiv: dict[str, list[int]] = {}
        self.by_title: dict[str, list[int]] = {}
        self.idents: list[_Ident] = []

    def add(self, ident: _Ident) -> int:
        n = len(self.idents)
        self.idents.append(ident)
        for doi in ident.dois:
            self.by_doi.setdefault(doi, []).append(n)
        if ident.arxiv:
            self.by_arxiv.setdefault(ident.arxiv.lower(), []).append(n)
        if ident.title:
            self.by_title.setdefault(ident.title, []).append(n)
        return n

    def find(self, ident: _Ident) -> list[tuple[int, str]]:
        """Every match, strongest rule first, each thing once."""
        found: dict[int, str] = {}
        for doi in ident.dois:
            for n in self.by_doi.get(doi, ()):
                found.setdefault(n, "same DOI")
        if ident.arxiv:
            for n in self.by_arxiv.get(ident.arxiv.lower(), ()):
                found.setdefault(n, "same arXiv id")
        words = ident.title.split()
        for n in self.by_title.get(ident.title, ()) if ident.title else ():
            other = self.idents[n]
            if ident.elsewhere(other):
                continue
            families = not ident.family or not other.family or ident.family == other.family
            same_year = ident.year is not None and ident.year == other.year
            if same_year and families and (len(words) >= 2 or ident.family):
                found.setdefault(n, "same title and year")
                continue
            near = ident.year is None or other.year is None or abs(ident.year - other.year) <= 1
            if len(words) >= 3 and near and families:
                found.setdefault(n, "another version (same title and first author)")
        order = {"same DOI": 0, "same arXiv id": 1, "same title and year": 2}
        return sorted(found.items(), key=lambda kv: (order.get(kv[1], 3), kv[0]))


@dataclass
class Library:
    """The site's .bib files as read: every entry (for identity and keys) and the target
    file's text (for edits)."""

    entries: list[Existing] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    def add_text(self, path: Path, text: str, *, target: bool) -> None:
        for block in read_blocks(text):
            entry = block.entry
            if entry.key:
                self.keys.add(entry.key.lower())
            title = printable(entry.get("title") or entry.key or "(no title)", 120)
            self.entries.append(
                Existing(
                    path,
                    entry.key,
                    block.line,
                    title,
                    block,
                    target and entry.complete and not block.repaired,
                    target,
                )
            )


@dataclass(frozen=True)
class Plan:
    """What an import would do: the new entries' text, the in-place edits of the target
    (offsets into its text), and the report lines."""

    new: tuple[Item, ...]
    present: tuple[Item, ...]
    updated: tuple[Item, ...]
    skipped: tuple[Item, ...]
    edits: tuple[tuple[int, int, str], ...]
    appended: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _work_title(work: ImportedWork) -> str:
    return printable(convert(work.title).text, 120)


def plan(
    library: Library,
    works: tuple[ImportedWork, ...],
    *,
    newline: str,
    encodable: Callable[[str], str | None] | None = None,
) -> Plan:
    """Decide, for each incoming work, new / already present / merged into another incoming
    one; collect citation updates for matched entries of the target file."""
    index = _Index()
    for existing in library.entries:
        index.add(_ident_fields(existing.block.entry.values()))
    n_existing = len(library.entries)
    kept: list[ImportedWork] = []
    kept_pos: dict[int, int] = {}  # index id -> position in kept
    present: list[Item] = []
    skipped: list[Item] = []
    counts: dict[int, tuple[int, ImportedWork]] = {}  # existing entry -> best citation count
    alias: dict[int, int] = {}  # an incoming work found among the entries -> that entry
    elsewhere: set[str] = set()  # other files with entries whose citations are not updated
    unreadable: set[int] = set()  # entries of the target too broken to edit
    for work in works:
        ident = _ident_work(work)
        matches = [(alias.get(n, n), why) for n, why in index.find(ident)]
        old = [(n, why) for n, why in matches if n < n_existing]
        if old:
            n, why = old[0]
            # its other versions later in the source are then found as this entry too
            alias[index.add(ident)] = n
            existing = library.entries[n]
            where = f"{existing.path.name}:{existing.line}"
            present.append(Item(existing.key, _work_title(work), f"{why} as {where}"))
            if work.citations is not None:
                for m, reason in old:
                    if reason in STRONG and library.entries[m].editable:
                        best = counts.get(m)
                        if best is None or best[0] < work.citations:
                            counts[m] = (work.citations, work)
                    elif reason in STRONG and not library.entries[m].in_target:
                        elsewhere.add(library.entries[m].path.name)
                    elif reason in STRONG:
                        unreadable.add(m)
            continue
        new = [(n, why) for n, why in matches if n >= n_existing]
        if new:
            n, why = new[0]
            pos = kept_pos[n]
            kept[pos] = merge_versions(kept[pos], work)
            kept_pos[index.add(ident)] = pos  # a third record may match this one only
            skipped.append(
                Item(None, _work_title(work), f"listed twice by the source ({why}); merged")
            )
            continue
        kept_pos[index.add(ident)] = len(kept)
        kept.append(work)
    edits: list[tuple[int, int, str]] = []
    updated: list[Item] = []
    for m in sorted(unreadable - set(counts)):
        existing = library.entries[m]
        skipped.append(
            Item(
                existing.key, existing.title, "citations not updated: the entry is not well-formed"
            )
        )
    for m, (count, _work) in sorted(counts.items()):
        existing = library.entries[m]
        result = _citation_edit(existing, count, newline)
        if isinstance(result, str):
            skipped.append(Item(existing.key, existing.title, result))
        elif result is not None:
            edit, old_value = result
            edits.append(edit)
            updated.append(
                Item(existing.key, existing.title, f"citations {old_value or 'none'} -> {count}")
            )
    taken = set(library.keys)
    new_items: list[Item] = []
    appended: list[str] = []
    for work in kept:
        key = make_key(work, taken)
        text = to_bibtex(work, key, newline)
        if encodable is not None:
            fixed = encodable(text)
            if fixed is None:
                skipped.append(
                    Item(None, _work_title(work), "cannot be written in the file's encoding")
                )
                continue
            text = fixed
        taken.add(key.lower())
        detail = work.year_text
        if work.key and work.key != key:
            detail += f"; its key {printable(work.key, 60)} is taken"
        new_items.append(Item(key, _work_title(work), detail))
        appended.append(text)
    notes = tuple(
        f"citations are updated only in the file imported into, not in {name}"
        for name in sorted(elsewhere)
    )
    return Plan(
        tuple(new_items),
        tuple(present),
        tuple(updated),
        tuple(skipped),
        tuple(sorted(edits)),
        tuple(appended),
        notes,
    )


def _citation_edit(
    existing: Existing, count: int, newline: str
) -> tuple[tuple[int, int, str], str | None] | str | None:
    """The edit that sets `citations` in one entry; a reason (str) when it cannot be done,
    None when the value is already right."""
    entry = existing.block.entry
    base = existing.block.start
    current: FieldSpan | None = next((f for f in entry.fields if f.name == "citations"), None)
    if current is not None:
        if current.inner is None or not re.fullmatch(r"\s*\d+\s*", current.value):
            return (
                f"citations not updated: the value {printable(current.value, 40)!r} is not a number"
            )
        if int(current.value) == count:
            return None
        start, end = current.inner
        return (base + start, base + end, str(count)), current.value.strip()
    if not entry.fields:
        return "citations not added: the entry has no fields"
    last = entry.fields[-1]
    text = existing.block.text
    line_start = text.rfind("\n", 0, last.start) + 1
    lead = text[line_start : last.start]
    own_line = line_start > 0 and not lead.strip()
    after = last.value_end
    j = after
    while j < len(text) and text[j] in " \t":
        j += 1
    comma = text.startswith(",", j)
    field_text = f"citations = {{{count}}}"
    if own_line:
        if comma:
            return (base + j + 1, base + j + 1, f"{newline}{lead}{field_text},"), None
        return (base + after, base + after, f",{newline}{lead}{field_text}"), None
    if comma:
        return (base + j + 1, base + j + 1, f" {field_text},"), None
    return (base + after, base + after, f", {field_text}"), None


# --- bytes ------------------------------------------------------------------------------------

_BOM = codecs.BOM_UTF8
_COOKIE = re.compile(rb"(?:-\*-.*?\bcoding|\bcoding|\bencoding)[:=][ \t]*([-\w.]+)", re.I)


@dataclass(frozen=True)
class Layout:
    """How a .bib's text maps to its bytes: the codec, a kept BOM, the newline style."""

    codec: str
    prefix: bytes
    newline: str


def layout(raw: bytes, text: str, encoding: str | None, path: Path) -> Layout:
    """The codec that gives `text` (as generator.bibtex.decode_bib decoded it) from `raw`:
    the configured encoding, else the file's coding cookie, else UTF-8."""
    newline = "\r\n" if "\r\n" in text else "\n"
    candidates: list[str] = []
    if encoding:
        candidates.append(encoding)
    cookie = _COOKIE.search(raw[:4096])
    if cookie:
        name = re.sub(r"-(unix|dos|mac)$", "", cookie.group(1).decode("ascii").lower())
        candidates += [name, name.replace("iso-latin-1", "latin-1")]
    candidates += ["utf-8", "latin-1", "iso8859-15"]
    for name in candidates:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        prefix = b""
        body = raw
        if codec in ("utf-8", "utf-8-sig"):
            codec = "utf-8"
            if raw.startswith(_BOM):
                prefix, body = _BOM, raw[len(_BOM) :]
        try:
            if body.decode(codec) == text:
                return Layout(codec, prefix, newline)
        except UnicodeDecodeError:
            continue
    raise ScholarpageError.single(
        "cannot tell the encoding this file is written in, so it is not edited",
        file=path,
        hint="set it in site.yaml: bibliography: [{path: ..., encoding: latin-1}], or convert the "
        "file to UTF-8",
    )


def encodable_text(text: str, codec: str) -> str | None:
    """`text` in a form `codec` can write: as is, or with accented letters it lacks written as
    LaTeX accents ({\\'e}); None when some character has no such form."""
    try:
        text.encode(codec)
        return text
    except UnicodeEncodeError:
        pass
    out: list[str] = []
    for ch in text:
        try:
            ch.encode(codec)
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        latex = _latex_char(ch)
        if latex is None:
            return None
        out.append(latex)
    return "".join(out)


_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0327": "c",
    "\u0328": "k",
}
_LETTERS = {
    "ø": r"{\o}",
    "Ø": r"{\O}",
    "ß": r"{\ss}",
    "æ": r"{\ae}",
    "Æ": r"{\AE}",
    "œ": r"{\oe}",
    "Œ": r"{\OE}",
    "å": r"{\aa}",
    "Å": r"{\AA}",
    "ł": r"{\l}",
    "Ł": r"{\L}",
    "ı": r"{\i}",
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "\u00a0": "~",
}


def _latex_char(ch: str) -> str | None:
    if ch in _LETTERS:
        return _LETTERS[ch]
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) == 2 and parts[0].isascii() and parts[1] in _ACCENTS:
        macro = _ACCENTS[parts[1]]
        base = r"\i" if parts[0] == "i" and macro not in "ck" else parts[0]
        sep = " " if macro.isalpha() else ""
        return "{\\" + macro + sep + base + "}" if sep else "{\\" + macro + "{" + base + "}}"
    return None


def rebuild(
    raw: bytes, text: str, lay: Layout, edits: tuple[tuple[int, int, str], ...], appended: str
) -> bytes:
    """The new bytes: the original ones with `edits` (character offsets into `text`) applied
    and `appended` added, re-encoding only the changed parts; every untouched byte is checked
    to be the original one."""
    out = [lay.prefix]
    pos = 0
    at = len(lay.prefix)

    def keep(segment: str) -> None:
        nonlocal at
        data = segment.encode(lay.codec)
        if raw[at : at + len(data)] != data:
            raise ScholarpageError.single(
                "the file does not round-trip through its encoding, so it is not edited",
                hint="convert the file to UTF-8",
            )
        out.append(data)
        at += len(data)

    for start, end, replacement in edits:
        keep(text[pos:start])
        old = text[start:end].encode(lay.codec)
        if raw[at : at + len(old)] != old:
            raise ScholarpageError.single(
                "the file does not round-trip through its encoding, so it is not edited",
                hint="convert the file to UTF-8",
            )
        at += len(old)
        out.append(replacement.encode(lay.codec))
        pos = end
    keep(text[pos:])
    if at != len(raw):
        raise ScholarpageError.single(
            "the file does not round-trip through its encoding, so it is not edited",
            hint="convert the file to UTF-8",
        )
    out.append(appended.encode(lay.codec))
    return b"".join(out)


def appendix(text: str, entries: tuple[str, ...], newline: str) -> str:
    """What to add after `text` (already edited): a blank line, then the entries, each
    separated by a blank line; a missing final newline is added first."""
    if not entries:
        return ""
    lead = ""
    if text.strip():
        lead = ("" if text.endswith("\n") else newline) + newline
    return lead + newline.join(entries)
