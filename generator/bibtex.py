"""Stage 2b: BibTeX files -> tuple[Paper, ...].

Files are split into entries by our own scanner (so every entry has a line number and its source
text, and one broken entry cannot swallow the rest); each entry is then parsed by pybtex, sharing
@string macros across files in the order site.yaml lists them. Every entry either becomes a Paper
or is named in a warning: nothing is lost silently.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pybtex.database import BibliographyData, Entry
from pybtex.database import Person as PybtexPerson
from pybtex.database.input.bibtex import Parser, month_names
from pybtex.utils import CaseInsensitiveDict

from generator import latex
from generator.errors import Problem, ScholarpageError, Warnings
from generator.model import BadgeSpec, BibSource, Paper, PaperDate, Person, Text

_ENTRY_START = re.compile(r"@[ \t]*([A-Za-z][\w:-]*)[ \t\r\n]*([{(])")
_LINE_START_ENTRY = re.compile(r"\n[ \t]*@[ \t]*[A-Za-z][\w:-]*[ \t]*[{(]")
_CODING = re.compile(rb"coding[:=][ \t]*([-\w.]+)")
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january", "janv", "jän", "januar"),
            ("feb", "february", "febr", "fév", "februar"),
            ("mar", "march", "mär", "märz", "mars"),
            ("apr", "april", "avr", "avril"),
            ("may", "mai"),
            ("jun", "june", "juni", "juin"),
            ("jul", "july", "juli", "juil", "juillet"),
            ("aug", "august", "août"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt", "oktober", "octobre"),
            ("nov", "november", "novembre"),
            ("dec", "december", "dez", "dezember", "déc", "décembre"),
        ],
        start=1,
    )
    for name in names
}
_NUMBER = re.compile(r"^\s*[-+]?\d+(\.\d+)?\s*$")
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([\w.\-/]+?)(?:v\d+)?(?:\.pdf)?$", re.I)
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
_SPECIAL_TYPES = frozenset({"comment", "preamble", "string"})


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One `@type{...}` block as it stands in the file."""

    kind: str
    start: int
    line: int
    text: str
    repaired: bool


class _Macros(CaseInsensitiveDict):  # type: ignore[misc]
    """@string table that yields an undefined macro's own name (BibTeX would print nothing) and
    remembers it, so the entry is kept and the user is told."""

    def __init__(self, initial: dict[str, str]) -> None:
        super().__init__(initial)
        self.missing: list[str] = []

    def __getitem__(self, key: str) -> str:
        try:
            value: str = super().__getitem__(key)
        except KeyError:
            self.missing.append(key)
            return key
        return value


class _EntryParser(Parser):  # type: ignore[misc]
    """pybtex's parser with errors collected per call instead of raised through global state."""

    def __init__(self) -> None:
        super().__init__()
        self.macros = _Macros(dict(month_names))
        self.errors: list[Exception] = []

    def handle_error(self, error: Exception) -> None:
        self.errors.append(error)

    def parse_one(self, text: str) -> BibliographyData:
        self.data = BibliographyData()
        self.errors = []
        self.macros.missing = []
        result: BibliographyData = self.parse_string(text)
        return result


def decode_bib(raw: bytes, path: Path, encoding: str | None) -> str:
    """Decode by the configured encoding, else a coding cookie, else UTF-8 (BOM allowed)."""
    if encoding is None:
        cookie = _CODING.search(raw[:2048])
        if cookie:
            encoding = cookie.group(1).decode("ascii")
            if encoding.lower() in ("utf-8-unix", "utf-8-dos"):
                encoding = "utf-8"
    try:
        return raw.decode(encoding or "utf-8-sig")
    except LookupError:
        raise ScholarpageError.single(
            f"unknown encoding {encoding!r}",
            file=path,
            hint="use a Python codec name such as utf-8, latin-1 or gbk",
        ) from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScholarpageError.single(
            f"cannot decode as {encoding or 'UTF-8'} at byte offset {exc.start}",
            file=path,
            line=line,
            hint="convert the file to UTF-8, or set its encoding in site.yaml: "
            "bibliography: [{path: ..., encoding: latin-1}]",
        ) from None


def split_entries(text: str) -> Iterator[RawEntry]:
    """Yield every @-block with its 1-based line; text outside blocks is a comment in BibTeX.

    An entry whose braces never balance is cut at the next line that starts a new entry, so one
    typo costs one entry rather than the rest of the file.
    """
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    pos = 0
    n = len(text)
    while True:
        m = _ENTRY_START.search(text, pos)
        if m is None:
            return
        kind = m.group(1).lower()
        open_ch = m.group(2)
        close_ch = "}" if open_ch == "{" else ")"
        depth = 0
        in_quote = False
        i = m.end()
        end = -1
        while i < n:
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                if depth == 0 and close_ch == "}":
                    end = i + 1
                    break
                depth = max(depth - 1, 0)
            elif ch == '"' and depth == 0 and kind not in ("comment",):
                in_quote = not in_quote
            elif ch == ")" and close_ch == ")" and depth == 0 and not in_quote:
                end = i + 1
                break
            elif ch == "\n" and depth > 0 and _LINE_START_ENTRY.match(text, i):
                # a new entry begins while this one is still open: cut here
                break
            i += 1
        line = bisect.bisect_right(newlines, m.start() - 1) + 1
        if end == -1:
            body = text[m.start() : i].rstrip()
            if kind == "comment":
                pos = i
                continue
            yield RawEntry(kind, m.start(), line, body + "}" * (depth + 1), True)
            pos = max(i, m.end())
            continue
        yield RawEntry(kind, m.start(), line, text[m.start() : end], False)
        pos = end


def _plain_field(entry: Entry, *names: str) -> str | None:
    for name in names:
        value = entry.fields.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def parse_month(value: str | None) -> int | None:
    if not value:
        return None
    v = value.strip().strip("{}").strip().rstrip(".").lower()
    if v.isdigit():
        month = int(v)
        return month if 1 <= month <= 12 else None
    if v in _MONTHS:
        return _MONTHS[v]
    return _MONTHS.get(v[:3]) if len(v) >= 3 else None


def parse_date(entry: Entry) -> PaperDate:
    """biblatex `date` (ranges take their start), else year/month/day."""
    raw = _plain_field(entry, "date")
    if raw:
        m = _DATE.match(raw.strip("{}"))
        if m:
            d_month = int(m.group(2)) if m.group(2) else None
            d_day = int(m.group(3)) if m.group(3) else None
            if d_month is not None and not 1 <= d_month <= 12:
                d_month, d_day = None, None
            if d_day is not None and not 1 <= d_day <= 31:
                d_day = None
            return PaperDate(int(m.group(1)), d_month, d_day)
    year_raw = _plain_field(entry, "year")
    ym = re.search(r"\d{4}", year_raw) if year_raw else None
    year = int(ym.group(0)) if ym else None
    month = parse_month(_plain_field(entry, "month"))
    day_raw = _plain_field(entry, "day")
    day = int(day_raw) if day_raw and day_raw.isdigit() and 1 <= int(day_raw) <= 31 else None
    return PaperDate(year, month, day if month else None)


def category_code(primary_class: str | None) -> str | None:
    """arXiv primary class -> short display code: cs.DC -> DC, physics.comp-ph -> COMP-PH."""
    if not primary_class:
        return None
    value = primary_class.strip().split()[0]
    return value.split(".", 1)[-1].upper() or None


def arxiv_id(entry: Entry) -> str | None:
    prefix = (_plain_field(entry, "archiveprefix", "eprinttype") or "").lower()
    eprint = _plain_field(entry, "eprint")
    if eprint and (prefix == "arxiv" or re.match(r"^\d{4}\.\d{4,5}(v\d+)?$", eprint)):
        return re.sub(r"^arxiv:", "", eprint, flags=re.I)
    explicit = _plain_field(entry, "arxiv", "arxivid")
    if explicit:
        return re.sub(r"^arxiv:", "", explicit, flags=re.I)
    url = _plain_field(entry, "url")
    if url:
        m = _ARXIV_URL.search(url)
        if m:
            return m.group(1)
    return None


class _Converter:
    """Runs every shown field through the one LaTeX converter and reports what it could not do."""

    def __init__(self, warnings: Warnings) -> None:
        self.warnings = warnings
        self.seen_macros: set[str] = set()

    def text(self, value: str, where: Path, line: int, field: str) -> tuple[Text, bool]:
        rendered = latex.convert(value)
        for macro in rendered.unknown_macros:
            if macro not in self.seen_macros:
                self.seen_macros.add(macro)
                self.warnings.warn(
                    f"unknown LaTeX macro {macro} in field '{field}' (shown as its argument text)",
                    file=where,
                    line=line,
                    hint="replace it with plain text or Unicode in the .bib file",
                )
        if rendered.bare_percent:
            self.warnings.warn(
                f"unescaped % in field '{field}' starts a LaTeX comment; shown literally",
                file=where,
                line=line,
                hint=r"write \% for a percent sign",
            )
        return Text(rendered.html, rendered.text), rendered.has_math

    def person(self, person: PybtexPerson, where: Path, line: int) -> Person:
        parts = {
            "first": " ".join(person.first_names + person.middle_names),
            "von": " ".join(person.prelast_names),
            "last": " ".join(person.last_names),
            "jr": " ".join(person.lineage_names),
        }
        full = " ".join(p for p in (parts["first"], parts["von"], parts["last"]) if p)
        if parts["jr"]:
            full += ", " + parts["jr"]
        shown, _ = self.text(full, where, line, "author")
        plain = {k: latex.convert(v).text for k, v in parts.items()}
        return Person(
            plain["first"], plain["von"], plain["last"], plain["jr"], shown.text, shown.html
        )


def _number(value: str | None) -> float | None:
    if value is None or not _NUMBER.match(value):
        return None
    return float(value)


def _is_others(person: PybtexPerson) -> bool:
    return (
        not person.first_names
        and not person.prelast_names
        and [n.lower() for n in person.last_names] == ["others"]
    )


def _inherit(entries: dict[str, tuple[Entry, RawEntry, Path]], warnings: Warnings) -> None:
    """Copy missing fields from crossref/xref parents (booktitle, year...), reporting cycles."""
    lower = {k.lower(): k for k in entries}
    for key, (entry, raw, path) in entries.items():
        chain: list[str] = [key.lower()]
        current = entry
        while True:
            parent_key = _plain_field(current, "crossref")
            if not parent_key:
                break
            target = lower.get(parent_key.lower())
            if target is None:
                warnings.warn(
                    f"crossref to unknown entry '{parent_key}'",
                    file=path,
                    line=raw.line,
                    hint="add the referenced entry or remove the crossref field",
                )
                break
            if target.lower() in chain:
                warnings.warn(
                    f"crossref cycle: {' -> '.join([*chain, target.lower()])}",
                    file=path,
                    line=raw.line,
                    hint="remove one of the crossref fields",
                )
                break
            chain.append(target.lower())
            parent = entries[target][0]
            for name, value in parent.fields.items():
                lname = name.lower()
                if lname in ("crossref", "ids", "key"):
                    continue
                if lname == "title" and parent.type.lower() in (
                    "proceedings",
                    "book",
                    "collection",
                ):
                    target_name = "booktitle"
                else:
                    target_name = name
                if target_name not in entry.fields:
                    entry.fields[target_name] = value
            for role, persons in parent.persons.items():
                if role not in entry.persons:
                    entry.persons[role] = list(persons)
            current = parent


def read_papers(
    sources: tuple[BibSource, ...], badges: tuple[BadgeSpec, ...], warnings: Warnings
) -> tuple[Paper, ...]:
    """Parse every listed .bib file, in order, into Papers (entry order kept)."""
    parser = _EntryParser()
    collected: dict[str, tuple[Entry, RawEntry, Path]] = {}
    problems: list[Problem] = []
    for source in sources:
        try:
            raw = source.path.read_bytes()
        except FileNotFoundError:
            problems.append(
                Problem(
                    "BibTeX file not found",
                    source.path,
                    hint="fix the path under `bibliography:` in site.yaml",
                )
            )
            continue
        text = decode_bib(raw, source.path, source.encoding)
        for block in split_entries(text):
            _parse_block(parser, block, source.path, collected, warnings)
    if problems:
        raise ScholarpageError(tuple(problems))
    _inherit(collected, warnings)
    convert = _Converter(warnings)
    papers: list[Paper] = []
    for index, (key, (entry, raw_entry, path)) in enumerate(collected.items()):
        papers.append(_to_paper(key, entry, raw_entry, path, index, badges, convert))
    return tuple(papers)


def _parse_block(
    parser: _EntryParser,
    block: RawEntry,
    path: Path,
    collected: dict[str, tuple[Entry, RawEntry, Path]],
    warnings: Warnings,
) -> None:
    if block.kind == "comment":
        return
    if block.repaired:
        warnings.warn(
            "unbalanced braces: entry cut at the next entry",
            file=path,
            line=block.line,
            hint="check that every { has a matching }",
        )
    text = block.text
    if block.kind not in _SPECIAL_TYPES:
        # `@article{,` (an empty key, as Mendeley writes) would make pybtex drop every field
        text = re.sub(r"^(@[^{(]*[{(])\s*,", r"\1unnamed-line" + str(block.line) + ",", text)
    data = parser.parse_one(text)
    for error in parser.errors:
        warnings.warn(
            f"BibTeX problem: {_error_text(error)}",
            file=path,
            line=block.line,
            hint="the entry is kept where pybtex could read it",
        )
    for macro in dict.fromkeys(parser.macros.missing):
        warnings.warn(
            f"undefined @string macro '{macro}' (its name is shown instead)",
            file=path,
            line=block.line,
            hint="define it with @string, or list the .bib that defines it earlier in site.yaml",
        )
    if block.kind in _SPECIAL_TYPES:
        return
    if not data.entries:
        warnings.warn(
            f"entry @{block.kind} could not be read and is skipped",
            file=path,
            line=block.line,
            hint="fix the syntax of this entry",
        )
        return
    for key, entry in data.entries.items():
        existing = next((k for k in collected if k.lower() == key.lower()), None)
        if existing is not None:
            first = collected[existing]
            warnings.warn(
                f"duplicate key '{key}' (first at {first[2].name}:{first[1].line}); "
                "this one is skipped",
                file=path,
                line=block.line,
                hint="give each entry its own key",
            )
            continue
        collected[key] = (entry, block, path)


def _error_text(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error)
    return str(message).splitlines()[0] if message else type(error).__name__


def _to_paper(
    key: str,
    entry: Entry,
    raw: RawEntry,
    path: Path,
    index: int,
    badges: tuple[BadgeSpec, ...],
    convert: _Converter,
) -> Paper:
    line = raw.line
    has_math = False

    def text_field(*names: str) -> Text | None:
        nonlocal has_math
        value = _plain_field(entry, *names)
        if value is None:
            return None
        shown, math = convert.text(value, path, line, names[0])
        has_math = has_math or math
        return shown

    title = text_field("title")
    if title is None:
        convert.warnings.warn("entry has no title", file=path, line=line, hint="add a title field")
        title = Text(latex.convert(key).html, key)
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    others = any(_is_others(p) for p in persons)
    authors = tuple(convert.person(p, path, line) for p in persons if not _is_others(p))
    primary = _plain_field(entry, "primaryclass", "eprintclass")
    badge_values: list[tuple[str, float]] = []
    for spec in badges:
        raw_value = _plain_field(entry, spec.field)
        if raw_value is None:
            continue
        number = _number(raw_value)
        if number is None:
            convert.warnings.warn(
                f"field '{spec.field}' should be a number, got {raw_value!r}",
                file=path,
                line=line,
                hint="the badge is left out for this paper",
            )
            continue
        badge_values.append((spec.field, number))
    citations_raw = _plain_field(entry, "citations")
    citations = None
    if citations_raw is not None:
        number = _number(citations_raw)
        if number is None or number < 0:
            convert.warnings.warn(
                f"field 'citations' should be a whole number, got {citations_raw!r}",
                file=path,
                line=line,
            )
        else:
            citations = int(number)
    keywords = tuple(
        k.strip() for k in re.split(r"[,;]", _plain_field(entry, "keywords") or "") if k.strip()
    )
    selected = (_plain_field(entry, "selected") or "").lower() in ("true", "yes", "1")
    return Paper(
        key=key,
        entry_type=entry.type.lower(),
        source=path,
        line=line,
        index=index,
        title=title,
        authors=authors,
        others=others,
        date=parse_date(entry),
        venue=text_field(
            "journal", "booktitle", "journaltitle", "howpublished", "school", "institution"
        ),
        volume=_plain_field(entry, "volume"),
        number=_plain_field(entry, "number", "issue"),
        pages=_plain_field(entry, "pages"),
        publisher=text_field("publisher"),
        abstract=text_field("abstract"),
        doi=_clean_doi(_plain_field(entry, "doi")),
        url=_plain_field(entry, "url"),
        pdf=_plain_field(entry, "pdf"),
        code=_plain_field(entry, "code"),
        slides=_plain_field(entry, "slides"),
        arxiv_id=arxiv_id(entry),
        primary_class=primary,
        category=category_code(primary),
        keywords=keywords,
        selected=selected,
        citations=citations,
        badges=tuple(badge_values),
        bibtex=raw.text.strip(),
        has_math=has_math,
    )


def _clean_doi(value: str | None) -> str | None:
    if not value:
        return None
    value = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", value.strip(), flags=re.I)
    return value.replace("\\_", "_") or None
