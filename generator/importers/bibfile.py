"""BibTeX with positions: the user's .bib (to find their entries and edit one field in place)
and any .bib to import (Google Scholar, Zotero, DBLP).

Entries are found by generator.bibtex's scanner (`split_entries`), which cuts a broken entry at
the next line that starts one, so one typo cannot hide the rest of the file. Within an entry,
`scan_entry` reads `name = value # value ...` fields and keeps where each value stands, so an
update can replace exactly the text of one `citations` value and nothing else.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pybtex.database.input.bibtex import month_names

from generator.bibtex import arxiv_id, decode_bib, parse_date, split_entries
from generator.errors import ScholarpageError
from generator.importers.records import (
    Harvest,
    ImportedWork,
    Origin,
    Skip,
    clean_arxiv,
    clean_doi,
    clean_text,
    printable,
    split_names,
)

_NAME = re.compile(r"[^\s=,{}()\"#%'~]+")
_KEY_BRACE = re.compile(r"[^\s,}]*")
_KEY_PAREN = re.compile(r"[^\s,)]*")
_NUMBER = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
# fields carried over from an imported .bib beyond those ImportedWork names; others are dropped
CARRIED = frozenset(
    {
        "editor",
        "edition",
        "series",
        "address",
        "school",
        "institution",
        "organization",
        "howpublished",
        "note",
        "chapter",
        "type",
        "isbn",
        "issn",
        "pdf",
        "code",
        "slides",
        "keywords",
        "selected",
    }
)
_READ = frozenset(
    {
        "title",
        "author",
        "journal",
        "journaltitle",
        "booktitle",
        "volume",
        "number",
        "issue",
        "pages",
        "publisher",
        "year",
        "month",
        "day",
        "date",
        "doi",
        "eprint",
        "archiveprefix",
        "eprinttype",
        "primaryclass",
        "eprintclass",
        "arxiv",
        "arxivid",
        "abstract",
        "url",
        "citations",
        "crossref",
    }
)
_BOOK_PARENTS = frozenset({"proceedings", "mvproceedings", "book", "mvbook", "collection"})


@dataclass(frozen=True)
class FieldSpan:
    """One field: its value as BibTeX means it (macros expanded, parts joined) and where the
    value text stands in the entry (`inner` excludes a single value's braces or quotes; None
    when the value is not one delimited or numeric part, so it is never edited)."""

    name: str
    value: str
    start: int
    value_end: int
    inner: tuple[int, int] | None
    line: int


@dataclass(frozen=True)
class ScannedEntry:
    """One entry's type, key and fields; `close` is the offset of its closing delimiter,
    `complete` False when the fields could not all be read (nothing in it is then edited)."""

    kind: str
    key: str | None
    fields: tuple[FieldSpan, ...]
    close: int
    complete: bool
    problem: str | None = None

    def get(self, name: str) -> str | None:
        for f in self.fields:
            if f.name == name:
                return f.value
        return None

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            out.setdefault(f.name, f.value)
        return out


class _Bad(Exception):
    pass


def scan_entry(text: str, macros: dict[str, str]) -> ScannedEntry:
    """Read one `@type{key, name = value, ...}` block (as split_entries yields it)."""
    m = re.match(r"@[ \t]*([A-Za-z][\w:-]*)[ \t\r\n]*([{(])", text)
    if m is None:
        return ScannedEntry("", None, (), len(text), False, "not an entry")
    kind = m.group(1).lower()
    close_ch = "}" if m.group(2) == "{" else ")"
    pos = m.end()
    fields: list[FieldSpan] = []
    key: str | None = None
    if kind not in ("string", "preamble", "comment"):
        pos = _skip(text, pos)
        km = (_KEY_BRACE if close_ch == "}" else _KEY_PAREN).match(text, pos)
        candidate = km.group(0) if km else ""
        after = _skip(text, pos + len(candidate))
        if candidate and not text.startswith("=", after) and "=" not in candidate:
            key = candidate
            pos = after
            if text.startswith(",", pos):
                pos += 1
    try:
        while True:
            pos = _skip(text, pos)
            while text.startswith(",", pos):
                pos = _skip(text, pos + 1)
            if pos >= len(text):
                raise _Bad("the entry does not close")
            if text[pos] == close_ch:
                return ScannedEntry(kind, key, tuple(fields), pos, True)
            nm = _NAME.match(text, pos)
            if nm is None:
                raise _Bad(f"unexpected {text[pos]!r}")
            name_start = pos
            pos = _skip(text, nm.end())
            if not text.startswith("=", pos):
                raise _Bad(f"'=' expected after {nm.group(0)!r}")
            pos = _skip(text, pos + 1)
            value, pos, inner = _value(text, pos, close_ch, macros)
            line = text.count("\n", 0, name_start)
            fields.append(FieldSpan(nm.group(0).lower(), value, name_start, pos, inner, line))
    except _Bad as exc:
        return ScannedEntry(kind, key, tuple(fields), len(text), False, str(exc))


def _skip(text: str, pos: int) -> int:
    """Past whitespace and `%` comments (between tokens of an entry, as biber reads them)."""
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
        elif text[pos] == "%":
            end = text.find("\n", pos)
            pos = len(text) if end == -1 else end + 1
        else:
            break
    return pos


def _value(
    text: str, pos: int, close_ch: str, macros: dict[str, str]
) -> tuple[str, int, tuple[int, int] | None]:
    """(expanded value, end offset, inner span of a single delimited/number part)."""
    parts: list[str] = []
    spans: list[tuple[int, int] | None] = []
    while True:
        if pos >= len(text):
            raise _Bad("a value does not end")
        ch = text[pos]
        if ch == "{":
            end = _balanced(text, pos)
            parts.append(text[pos + 1 : end - 1])
            spans.append((pos + 1, end - 1))
            pos = end
        elif ch == '"':
            end = _quoted(text, pos)
            parts.append(text[pos + 1 : end - 1])
            spans.append((pos + 1, end - 1))
            pos = end
        else:
            nm = _NUMBER.match(text, pos) or _NAME.match(text, pos)
            if nm is None or not nm.group(0) or nm.group(0)[0] == close_ch:
                raise _Bad(f"a value expected, got {ch!r}")
            word = nm.group(0)
            if word.isdigit():
                parts.append(word)
                spans.append((pos, nm.end()))
            else:
                parts.append(macros.get(word.lower(), word))
                spans.append(None)
            pos = nm.end()
        after = _skip(text, pos)
        if text.startswith("#", after):
            pos = _skip(text, after + 1)
            continue
        value = _SPACE.sub(" ", "".join(parts)).strip()
        return value, pos, spans[0] if len(spans) == 1 else None


def _balanced(text: str, pos: int) -> int:
    depth = 0
    for i in range(pos, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    raise _Bad("unbalanced braces")


def _quoted(text: str, pos: int) -> int:
    depth = 0
    for i in range(pos + 1, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise _Bad("unbalanced braces in a quoted value")
        elif ch == '"' and depth == 0:
            return i + 1
    raise _Bad("a quoted value does not end")


@dataclass(frozen=True)
class BibBlock:
    """One entry of a file: where it starts (offset, line), its scan, and whether its text is
    the file's own (`repaired` blocks are split_entries' repair of unbalanced braces)."""

    start: int
    line: int
    text: str
    repaired: bool
    entry: ScannedEntry


def read_blocks(text: str) -> Iterator[BibBlock]:
    """Every entry of a .bib text in order; @string definitions are applied as they come,
    @comment and @preamble are skipped."""
    macros: dict[str, str] = {k.lower(): v for k, v in month_names.items()}
    for raw in split_entries(text):
        if raw.kind in ("comment", "preamble"):
            continue
        entry = scan_entry(raw.text, macros)
        if raw.kind == "string":
            for f in entry.fields:
                macros[f.name] = f.value
            continue
        yield BibBlock(raw.start, raw.line, raw.text, raw.repaired, entry)


# --- importing a .bib -------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _inherit(blocks: list[BibBlock]) -> tuple[list[tuple[BibBlock, dict[str, str]]], set[str]]:
    """Each entry's fields with its crossref parent's filled in (a proceedings or book title
    becomes the booktitle); returns also the keys of parents that are proceedings volumes."""
    by_key = {b.entry.key.lower(): b for b in blocks if b.entry.key}
    parents: set[str] = set()
    out: list[tuple[BibBlock, dict[str, str]]] = []
    for block in blocks:
        fields = block.entry.values()
        seen = {(block.entry.key or "").lower()}
        current = fields
        for _ in range(16):
            ref = (current.get("crossref") or "").strip().lower()
            parent = by_key.get(ref)
            if parent is None or ref in seen:
                break
            seen.add(ref)
            if parent.entry.kind in ("proceedings", "mvproceedings"):
                parents.add(ref)
            parent_fields = parent.entry.values()
            for name, value in parent_fields.items():
                target = name
                if name == "title" and parent.entry.kind in _BOOK_PARENTS:
                    target = "booktitle"
                elif name == "booktitle" and parent.entry.kind in _BOOK_PARENTS:
                    continue
                if name in ("crossref", "key", "ids"):
                    continue
                fields.setdefault(target, value)
            current = parent_fields
        fields.pop("crossref", None)
        out.append((block, fields))
    return out, parents


def works_from_bib(text: str, label: str, *, keep: frozenset[str] = frozenset()) -> Harvest:
    """The entries of a .bib to import as records. `keep` names further fields to carry (the
    site's badge fields); other fields not read by scholarpage are dropped and counted."""
    blocks = list(read_blocks(text))
    works: list[ImportedWork] = []
    skipped: list[Skip] = []
    dropped: Counter[str] = Counter()
    inherited, parents = _inherit(blocks)
    for block, fields in inherited:
        entry = block.entry
        where = f"{label}:{block.line}"
        what = f"@{entry.kind}{{{entry.key or ''}}} ({where})"
        if not entry.complete or block.repaired:
            why = "its braces do not balance" if block.repaired else entry.problem
            skipped.append(Skip(what, f"could not be read: {why}"))
            continue
        if (entry.key or "").lower() in parents:
            skipped.append(Skip(what, "a proceedings volume its papers point to by crossref"))
            continue
        if entry.kind in ("set", "xdata"):
            skipped.append(Skip(what, f"@{entry.kind} only groups other entries"))
            continue
        title = clean_text(fields.get("title", ""))
        if not title:
            skipped.append(Skip(what, "no title"))
            continue
        work = work_from_fields(entry.kind, entry.key, fields, where, keep)
        works.append(work)
        for name in fields:
            if name not in _READ and name not in CARRIED and name not in keep:
                dropped[name] += 1
    return Harvest(
        tuple(works),
        tuple(skipped),
        label=label,
        dropped_fields=tuple(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def work_from_fields(
    kind: str, key: str | None, fields: dict[str, str], where: str, keep: frozenset[str]
) -> ImportedWork:
    """An ImportedWork from BibTeX fields (values as written, i.e. LaTeX)."""
    date = parse_date(fields)
    doi = clean_doi(fields.get("doi"))
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    arxiv = clean_arxiv(arxiv_id(fields))
    extra: dict[str, str] = {n: v for n, v in fields.items() if (n in CARRIED or n in keep) and v}
    eprint = fields.get("eprint")
    if eprint and arxiv is None and prefix:
        extra["eprint"] = eprint
        extra["archivePrefix"] = fields.get("archiveprefix") or fields.get("eprinttype") or ""
    author = fields.get("author") or ""
    names = split_names(author) if author else ()
    others = bool(names) and names[-1].lower() == "others"
    if others:
        names = names[:-1]
    journal = fields.get("journal") or fields.get("journaltitle")
    volume = _opt(fields.get("volume"))
    if (
        arxiv
        and (journal or "").strip("{} ").lower() == "corr"
        and (volume or "").startswith("abs/")
    ):
        # DBLP lists arXiv preprints as papers in a journal "CoRR", volume abs/ID
        journal, volume, kind = None, None, "misc"
    return ImportedWork(
        title=clean_text(fields.get("title", "")),
        entry_type=kind,
        authors=tuple(clean_text(n) for n in names),
        others=others,
        year=date.year,
        month=date.month,
        day=date.day,
        journal=clean_text(journal) if journal else None,
        booktitle=_opt(fields.get("booktitle")),
        volume=volume,
        number=_opt(fields.get("number") or fields.get("issue")),
        pages=_opt(fields.get("pages")),
        publisher=_opt(fields.get("publisher")),
        doi=doi,
        arxiv_id=arxiv,
        primary_class=_opt(fields.get("primaryclass") or fields.get("eprintclass")),
        abstract=_opt(fields.get("abstract")),
        url=_opt(fields.get("url")),
        citations=_int(fields.get("citations")),
        preprint=arxiv is not None and not (journal or fields.get("booktitle")),
        key=key,
        extra=tuple(sorted((n, clean_text(v)) for n, v in extra.items())),
        origin=where,
    )


def _opt(value: str | None) -> str | None:
    if value is None:
        return None
    value = clean_text(value)
    return value or None


def describe(entry: ScannedEntry, line: int, path: Path) -> str:
    """`@article{key}` at file:line, for the report."""
    return f"@{entry.kind}{{{printable(entry.key or '', 80)}}} ({path.name}:{line})"


def decode_response(data: bytes, origin: Origin, encoding: str | None = None) -> str:
    """BibTeX bytes as text, by generator.bibtex's rules (coding cookie, else UTF-8)."""
    try:
        return decode_bib(data, origin.file or Path("response.bib"), encoding)
    except ScholarpageError as exc:
        if origin.file is not None:
            raise
        raise origin.error(exc.problems[0].message) from None
