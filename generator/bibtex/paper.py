"""One entry -> a Paper: field conversion (LaTeX to HTML), dates, arXiv ids, types, badges."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

from generator import latex
from generator.bibtex.entries import _Entry
from generator.errors import Problem, Warnings
from generator.model import BadgeSpec, Paper, PaperDate, Person, Text

_MONTHS = MappingProxyType(
    {
        name: i
        for i, names in enumerate(
            [
                ("jan", "january", "janv", "jän", "januar", "janvier", "enero"),
                ("feb", "february", "febr", "fév", "februar", "février", "febrero"),
                ("mar", "march", "mär", "märz", "mars", "marzo"),
                ("apr", "april", "avr", "avril", "abril"),
                ("may", "mai", "mayo"),
                ("jun", "june", "juni", "juin", "junio"),
                ("jul", "july", "juli", "juil", "juillet", "julio"),
                ("aug", "august", "août", "agosto"),
                ("sep", "sept", "september", "septembre", "septiembre"),
                ("oct", "october", "okt", "oktober", "octobre", "octubre"),
                ("nov", "november", "novembre", "noviembre"),
                ("dec", "december", "dez", "dezember", "déc", "décembre", "diciembre"),
            ],
            start=1,
        )
        for name in names
    }
)
_NUMBER = re.compile(r"^\s*[-+]?\d+(\.\d+)?\s*$")
_ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([\w.\-/]+?)(?:v\d+)?(?:\.pdf)?$", re.I)
# A biblatex/EDTF date: YYYY[-MM[-DD]] with optional time, qualifiers (? ~ %), or a range.
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T[\d:]+Z?)?[?~%]?$")


def valid_conversion(value: Any) -> bool:
    """Whether a memoised LaTeX conversion has the shape `convert_latex` gives."""
    if type(value) is not list or len(value) != 5:
        return False
    html, text, unknown, has_math, bare_percent = value
    return (
        type(html) is str
        and type(text) is str
        and type(unknown) is list
        and type(has_math) is bool
        and type(bare_percent) is bool
        and all(type(m) is str for m in unknown)
    )


def _field(fields: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = fields.get(name)
        if value is not None and value.strip():
            return value.strip()
    return None


def parse_month(value: str | None) -> int | None:
    """1-12 from `mar`, `{MAR}`, `Sep.`, `january`, `3`, `März`; None when not a month."""
    if not value:
        return None
    v = value.strip().strip("{}").strip().rstrip(".").lower()
    if v.isdigit():
        month = int(v)
        return month if 1 <= month <= 12 else None
    if v in _MONTHS:
        return _MONTHS[v]
    head = re.match(r"[^\W\d_]+", v)
    if head and head.group(0) in _MONTHS:
        return _MONTHS[head.group(0)]
    return _MONTHS.get(v[:3]) if len(v) >= 3 else None


def parse_date(fields: dict[str, str]) -> PaperDate:
    """biblatex `date` (a range shows its start; EDTF oddities such as `19XX` or BCE years give
    no date from it), else year/month/day."""
    raw = _field(fields, "date")
    if raw:
        start = raw.strip().strip("{}").split("/")[0].strip()
        m = _DATE.match(start)
        if m:
            month = int(m.group(2)) if m.group(2) else None
            day = int(m.group(3)) if m.group(3) else None
            if month is not None and not 1 <= month <= 12:
                month, day = None, None  # EDTF seasons (21-24) are not months
            if day is not None and not 1 <= day <= 31:
                day = None
            return PaperDate(int(m.group(1)), month, day)
    year_raw = _field(fields, "year")
    ym = re.search(r"(?<!\d)\d{4}(?!\d)", year_raw) if year_raw else None
    year = int(ym.group(0)) if ym else None
    month = parse_month(_field(fields, "month"))
    day_raw = _field(fields, "day")
    day = int(day_raw) if day_raw and day_raw.isdigit() and 1 <= int(day_raw) <= 31 else None
    if year is None:
        return PaperDate(None)
    return PaperDate(year, month, day if month else None)


def category_code(primary_class: str | None) -> str | None:
    """arXiv primary class -> short display code: cs.DC -> DC, physics.comp-ph -> COMP-PH."""
    if not primary_class:
        return None
    value = primary_class.strip().split()[0]
    return value.split(".", 1)[-1].upper() or None


def arxiv_id(fields: dict[str, str]) -> str | None:
    """The arXiv identifier from eprint/archivePrefix, an `arxiv` field or an arxiv.org URL;
    anything not shaped like an identifier (exports put notes and URLs there) is ignored."""
    prefix = (_field(fields, "archiveprefix", "eprinttype") or "").lower()
    candidates: list[str] = []
    eprint = _field(fields, "eprint")
    if eprint and (prefix == "arxiv" or _ARXIV_ID.match(eprint)):
        candidates.append(eprint)
    candidates += [v for v in (_field(fields, "arxiv", "arxivid"),) if v]
    url = _field(fields, "url")
    if url:
        m = _ARXIV_URL.search(url)
        if m:
            candidates.append(m.group(1))
    for candidate in candidates:
        value = re.sub(r"^arxiv:\s*", "", candidate.strip(), flags=re.I)
        if _ARXIV_ID.match(value):
            return value
    return None


def convert_latex(value: str) -> list[Any]:
    """One field value through the LaTeX converter, as JSON: [html, text, unknown macros,
    has math, bare percent] (the form the disk cache stores)."""
    r = latex.convert(value)
    return [r.html, r.text, list(r.unknown_macros), r.has_math, r.bare_percent]


class Converter:
    """Runs every shown field through the one LaTeX converter and reports what it could not
    do; unknown macros are reported once per build."""

    def __init__(self, warnings: Warnings) -> None:
        self.warnings = warnings
        self.seen_macros: set[str] = set()

    def emit(self, problem: Problem, macro: str | None = None) -> None:
        """Report `problem`; an unknown macro's only the first time in this build."""
        if macro is not None:
            if macro in self.seen_macros:
                return
            self.seen_macros.add(macro)
        self.warnings.add(problem)

    def warn(self, message: str, *, file: Path, line: int, hint: str | None = None) -> None:
        self.emit(Problem(message, file, line, None, hint))

    def convert(self, value: str) -> list[Any]:
        """convert_latex's result for `value` (the one place a memo may stand in)."""
        return convert_latex(value)

    def text(self, value: str, where: Path, line: int, field: str) -> tuple[Text, bool]:
        html, text, unknown, has_math, bare_percent = self.convert(value)
        for macro in unknown:
            self.emit(
                Problem(
                    f"unknown LaTeX macro {macro} in field '{field}' (shown as its argument text)",
                    where,
                    line,
                    None,
                    "replace it with plain text or Unicode in the .bib file",
                ),
                macro,
            )
        if bare_percent:
            self.warn(
                f"unescaped % in field '{field}' starts a LaTeX comment; shown literally",
                file=where,
                line=line,
                hint=r"write \% for a percent sign",
            )
        return Text(html, text), bool(has_math)

    def person(self, parts: list[str], where: Path, line: int) -> Person:
        first, von, last, jr = parts
        full = " ".join(p for p in (first, von, last) if p)
        if jr:
            full += ", " + jr
        shown, _ = self.text(full, where, line, "author")
        plain = [self.convert(p)[1] if p else "" for p in parts]
        return Person(plain[0], plain[1], plain[2], plain[3], shown.text, shown.html)


def _number(value: str | None) -> float | None:
    if value is None or not _NUMBER.match(value):
        return None
    return float(value)


def _is_others(parts: list[str]) -> bool:
    return not parts[0] and not parts[1] and not parts[3] and parts[2].lower() == "others"


def _badge_values(
    fields: dict[str, str], badges: tuple[BadgeSpec, ...], convert: Converter, path: Path, line: int
) -> tuple[tuple[str, float], ...]:
    """The declared badges' numbers this entry carries; a value that is not a number is named."""
    values: list[tuple[str, float]] = []
    for spec in badges:
        raw_value = _field(fields, spec.field)
        if raw_value is None:
            continue
        number = _number(raw_value)
        if number is None:
            convert.warn(
                f"field '{spec.field}' should be a number, got {raw_value!r}",
                file=path,
                line=line,
                hint="the badge is left out for this paper",
            )
            continue
        values.append((spec.field, number))
    return tuple(values)


def _citations(fields: dict[str, str], convert: Converter, path: Path, line: int) -> int | None:
    """The `citations` count, or None (absent, or not a whole number: then named)."""
    raw = _field(fields, "citations")
    if raw is None:
        return None
    number = _number(raw)
    if number is None or number < 0:
        convert.warn(
            f"field 'citations' should be a whole number, got {raw!r}",
            file=path,
            line=line,
        )
        return None
    return int(number)


def to_paper(
    key: str,
    entry: _Entry,
    index: int,
    badges: tuple[BadgeSpec, ...],
    convert: Converter,
) -> Paper:
    """One resolved entry as a Paper, `index` its position; warnings go through `convert`."""
    fields = entry.fields
    path = entry.path
    line = entry.line
    has_math = False

    def text_field(*names: str) -> Text | None:
        nonlocal has_math
        value = _field(fields, *names)
        if value is None:
            return None
        shown, math = convert.text(value, path, line, names[0])
        has_math = has_math or math
        return shown

    def plain_field(*names: str) -> str | None:
        """Short fields shown as text (volume `{\\sc SMC}--13`, pages `59--60`)."""
        shown = text_field(*names)
        return shown.text if shown is not None and shown.text.strip() else None

    title = text_field("title")
    if title is None:
        convert.warn(
            "entry has no title; its key is shown instead",
            file=path,
            line=line,
            hint="add a title field",
        )
        html, text = convert.convert(key)[:2]
        title = Text(html, text)
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    others = any(_is_others(p) for p in persons)
    authors = tuple(convert.person(p, path, line) for p in persons if not _is_others(p))
    primary = _field(fields, "primaryclass", "eprintclass")
    badge_values = _badge_values(fields, badges, convert, path, line)
    citations = _citations(fields, convert, path, line)
    keywords = tuple(
        k.strip() for k in re.split(r"[,;]", plain_field("keywords") or "") if k.strip()
    )
    selected = (_field(fields, "selected") or "").lower() in ("true", "yes", "1")
    return Paper(
        key=key,
        entry_type=entry.kind,
        source=path,
        line=line,
        index=index,
        title=title,
        authors=authors,
        others=others,
        date=parse_date(fields),
        venue=text_field(
            "journal", "booktitle", "journaltitle", "howpublished", "school", "institution"
        ),
        volume=plain_field("volume"),
        number=plain_field("number", "issue"),
        pages=plain_field("pages"),
        publisher=text_field("publisher"),
        abstract=text_field("abstract"),
        doi=_clean_doi(_field(fields, "doi")),
        url=_field(fields, "url"),
        pdf=_field(fields, "pdf"),
        code=_field(fields, "code"),
        slides=_field(fields, "slides"),
        arxiv_id=arxiv_id(fields),
        primary_class=primary,
        category=category_code(primary),
        keywords=keywords,
        selected=selected,
        citations=citations,
        badges=badge_values,
        bibtex=entry.text.strip(),
        has_math=has_math,
    )


def _clean_doi(value: str | None) -> str | None:
    if not value:
        return None
    value = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", value.strip(), flags=re.I)
    return value.replace("\\_", "_") or None
