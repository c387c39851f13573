"""The neutral record every source is turned into, and its clean BibTeX.

Sources differ in what their text is: arXiv titles and abstracts are LaTeX already (`$\\alpha$`
must stay math), ORCID and OpenAlex give plain Unicode with stray HTML, BibTeX sources give
LaTeX as written. So each source makes its values *BibTeX-ready* on the way in (`plain_to_latex`,
`latex_value`, or a value read from BibTeX, balanced by construction), and the record holds only
such values. Writing is then the same for all: one field per line (a line starting with `@`
inside a value cannot start an entry), braces balanced (an unbalanced value would swallow the
rest of the file), control characters gone.

Identity for deduplication (`doi_key`, `arxiv_key`, `title_key`, `family_key`) is computed the
same way for the user's entries and for incoming ones, from the same BibTeX-ready text.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pybtex.bibtex.utils import split_name_list
from pybtex.database import Person as PybtexPerson

from generator.errors import ScholarpageError
from generator.latex import convert as convert_latex

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACE = re.compile(r"\s+")
# the markup Crossref, OpenAlex and ORCID put in titles and abstracts (JATS and MathML included)
_TAG = re.compile(
    r"</?(?:(?:jats|mml|xhtml):[\w.-]+|i|b|u|em|strong|sub|sup|scp|sc|span|p|br|div|a|font|small"
    r"|big|tt|code|title|italic|bold)(?:\s[^<>]*)?/?>",
    re.I,
)
_PLAIN_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_PLAIN_RE = re.compile(r"[\\{}%&#$_~^]|-(?=-)")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|info:doi/)", re.I)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.I)
_ARXIV_NEW = re.compile(r"^(\d{4}\.\d{4,5})(?:v\d+)?$")
_ARXIV_OLD = re.compile(r"^([a-z][a-z-]*(?:\.[a-z]{2})?)/(\d{7})(?:v\d+)?$", re.I)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([\w.\-/]+?)(?:\.pdf)?/?$", re.I)
_KEY_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.+/-]{0,99}$")
_STOP = frozenset(
    re.findall(r"\w+", "a an the on of in for and to with from by at as is are via towards using")
)


def printable(text: str, limit: int = 300) -> str:
    """Text from a server or a file, safe to print: no control characters or terminal escape
    sequences, no lone surrogates, whitespace collapsed, long text cut."""
    text = _SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def looks_cut(error: json.JSONDecodeError, data: bytes) -> bool:
    """Whether a JSON syntax error is the end of a truncated answer (not a wrong character)."""
    return error.pos >= len(data.rstrip()) - 1 or error.msg.startswith("Unterminated string")


def clean_text(text: str) -> str:
    """One line of text: lone surrogates and control characters replaced, whitespace collapsed,
    Unicode composed (NFC), so what is written is valid UTF-8 that BibTeX reads back the same."""
    text = _SURROGATE.sub("\ufffd", text)
    text = _CONTROL.sub(" ", text)
    return unicodedata.normalize("NFC", _SPACE.sub(" ", text).strip())


def strip_html(text: str) -> str:
    """Markup that Crossref/OpenAlex/ORCID titles carry (`<i>`, `<sub>`, `&amp;`) as text."""
    return html.unescape(_TAG.sub("", text))


def plain_to_latex(text: str) -> str:
    """Plain Unicode text as a BibTeX value that shows it unchanged: every LaTeX special
    character escaped, `--` kept as two hyphens."""

    def escape(m: re.Match[str]) -> str:
        return "-{}" if m.group(0) == "-" else _PLAIN_SPECIAL[m.group(0)]

    return _PLAIN_RE.sub(escape, clean_text(text))


def balance_braces(text: str) -> str:
    """Braces that do not pair (BibTeX counts every brace, `\\{` included) become
    \\textbraceleft{}/\\textbraceright{}, so the value cannot run past its field."""
    chars = list(text)
    stack: list[int] = []
    unmatched: set[int] = set()
    for i, ch in enumerate(chars):
        if ch == "{":
            stack.append(i)
        elif ch == "}":
            if stack:
                stack.pop()
            else:
                unmatched.add(i)
    unmatched.update(stack)
    if not unmatched:
        return text
    out: list[str] = []
    for i, ch in enumerate(chars):
        if i in unmatched:
            word = r"\textbraceleft{}" if ch == "{" else r"\textbraceright{}"
            if out and out[-1] == "\\":
                out.pop()
            out.append(word)
        else:
            out.append(ch)
    return "".join(out)


def latex_value(text: str) -> str:
    """LaTeX-ish source text (arXiv titles and abstracts) as a safe BibTeX value: math and
    macros kept, a bare `%` (a LaTeX comment), `&` or `#` escaped, braces balanced, no trailing
    backslash."""
    text = clean_text(text)
    text = re.sub(r"(?<!\\)((?:\\\\)*)([%&#])", r"\1\\\2", text)
    text = balance_braces(text)
    if re.search(r"(?<!\\)(?:\\\\)*\\$", text):
        text = text[:-1] + r"\textbackslash{}"
    return text


def bib_name(name: str) -> str:
    """A person or organisation name (plain text) as one item of a BibTeX name list: braced
    when BibTeX would split it (` and `, more than two commas) or read it as `others`."""
    value = plain_to_latex(name)
    if not value:
        return ""
    if re.search(r"\band\b", value, re.I) or value.count(",") > 2 or value.lower() == "others":
        return "{" + value + "}"
    return value


# --- identity ---------------------------------------------------------------------------------


def clean_doi(value: str | None) -> str | None:
    """A DOI without its resolver prefix, or None when it is not shaped like one."""
    if not value:
        return None
    doi = _DOI_PREFIX.sub("", clean_text(value)).replace("\\_", "_").strip().rstrip(".")
    return doi if _DOI.match(doi) else None


def arxiv_from_doi(doi: str | None) -> str | None:
    """arXiv's DataCite DOIs (10.48550/arXiv.2101.00001) name an arXiv id."""
    if not doi:
        return None
    m = _ARXIV_DOI.match(doi)
    return clean_arxiv(m.group(1)) if m else None


def clean_arxiv(value: str | None) -> str | None:
    """An arXiv identifier without version or prefix (2101.00001, cond-mat/0412498), from an
    id, `arXiv:` id or arxiv.org URL; None when it is not one."""
    if not value:
        return None
    text = clean_text(value)
    m = _ARXIV_URL.search(text)
    if m:
        text = m.group(1)
    text = re.sub(r"^arxiv:\s*", "", text, flags=re.I).strip()
    new = _ARXIV_NEW.match(text)
    if new:
        return new.group(1)
    old = _ARXIV_OLD.match(text)
    if old:
        return f"{old.group(1).lower()}/{old.group(2)}"
    return None


def _words(latex: str) -> list[str]:
    """Words of BibTeX-ready text as shown (through the project's LaTeX converter, so `{\\o}`
    and `ø`, `$\\alpha$` and `α` agree), accents dropped, case folded, punctuation a space."""
    text = strip_html(latex)
    if any(ch in text for ch in "\\${}~"):
        text = convert_latex(text).text
    text = unicodedata.normalize("NFKD", text)
    out = [ch.casefold() if ch.isalnum() else " " for ch in text if not unicodedata.combining(ch)]
    return "".join(out).split()


def title_key(latex: str | None) -> str:
    """A title as words only: LaTeX commands, braces, math delimiters, accents, punctuation and
    case dropped the same way for BibTeX-ready text from any source."""
    return " ".join(_words(latex or ""))


_PARTICLES = frozenset(
    re.findall(r"\w+", "da das de dei del della der des di do dos du la le lo van von ten ter zu")
)


def family_key(name: str | None) -> str:
    """The family name of one BibTeX name, as `title_key` words joined. In `First Last` form a
    capitalised particle belongs to the family name ("Adrian Del Maestro" -> delmaestro), which
    BibTeX's rules (lowercase particles only) would miss."""
    if not name:
        return ""
    try:
        person = PybtexPerson(name)
        family = " ".join(person.prelast_names + person.last_names)
        first = person.first_names + person.middle_names
        if "," not in name and not person.prelast_names:
            while first and first[-1].lower() in _PARTICLES:
                family = f"{first.pop()} {family}"
    except Exception:  # pybtex reports odd names through global state; a key is best effort
        family = name
    return "".join(_words(family))


def split_names(value: str) -> tuple[str, ...]:
    """A BibTeX name list as its names (`and` at brace depth 0 separates)."""
    return tuple(n.strip() for n in split_name_list(value) if n.strip())


# --- the record -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where a response came from, for messages: a file (with lines) or a URL."""

    label: str
    file: Path | None = None

    def error(
        self, message: str, *, line: int | None = None, hint: str | None = None
    ) -> ScholarpageError:
        if self.file is not None:
            return ScholarpageError.single(message, file=self.file, line=line, hint=hint)
        return ScholarpageError.single(f"{printable(self.label)}: {message}", hint=hint)


@dataclass(frozen=True)
class ImportedWork:
    """One paper from a source, every text value BibTeX-ready (see the module docstring).

    `authors` are BibTeX name-list items; `key` is the source's own citation key (BibTeX
    sources), used when it is free; `related_dois` identify other versions (ORCID
    `version-of`) and are used only to find the paper among the user's entries; `extra` holds
    further fields a BibTeX source had, as written; `origin` says where it was, for the report.
    """

    title: str
    entry_type: str = "misc"
    authors: tuple[str, ...] = ()
    others: bool = False
    year: int | None = None
    month: int | None = None
    day: int | None = None
    journal: str | None = None
    booktitle: str | None = None
    volume: str | None = None
    number: str | None = None
    pages: str | None = None
    publisher: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    primary_class: str | None = None
    abstract: str | None = None
    url: str | None = None
    citations: int | None = None
    preprint: bool = False
    key: str | None = None
    related_dois: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    origin: str = ""

    @property
    def year_text(self) -> str:
        return str(self.year) if self.year else "n.d."

    def date_text(self) -> str | None:
        if not self.year:
            return None
        out = f"{self.year:04d}"
        if self.month:
            out += f"-{self.month:02d}"
            if self.day:
                out += f"-{self.day:02d}"
        return out


@dataclass(frozen=True)
class Skip:
    """Something in the response that was not imported, and why."""

    what: str
    why: str


@dataclass(frozen=True)
class Harvest:
    """What one source gave: the works in its order, what was left out, and notes (a partial
    result, a limit reached). `complete` is False when the works are not all the source has
    (a saved page, --limit), which keeps metrics computed from them out of the profile."""

    works: tuple[ImportedWork, ...]
    skipped: tuple[Skip, ...] = ()
    notes: tuple[str, ...] = ()
    complete: bool = True
    label: str = ""
    dropped_fields: tuple[tuple[str, int], ...] = field(default_factory=tuple)


def merge_versions(kept: ImportedWork, other: ImportedWork) -> ImportedWork:
    """Two records of one paper (a preprint and its published version): the published one
    leads, missing identifiers and text come from the other, the larger citation count wins."""
    if kept.preprint and not other.preprint:
        kept, other = other, kept
    fill: dict[str, object] = {}
    for name in ("doi", "arxiv_id", "primary_class", "abstract", "url", "year", "month", "day"):
        if getattr(kept, name) in (None, "") and getattr(other, name) not in (None, ""):
            fill[name] = getattr(other, name)
    if not kept.authors and other.authors:
        fill["authors"] = other.authors
        fill["others"] = other.others
    if other.citations is not None and (kept.citations or -1) < other.citations:
        fill["citations"] = other.citations
    return replace(kept, **fill) if fill else kept  # type: ignore[arg-type]


# --- writing ----------------------------------------------------------------------------------


def make_key(work: ImportedWork, taken: set[str]) -> str:
    """The source's key when it is free and plain; else `family` + year + first title word
    (ASCII, lowercase), made unique with -2, -3 ... against `taken` (lowercase keys)."""
    if work.key and _KEY_SAFE.match(work.key) and work.key.lower() not in taken:
        return work.key
    family = family_key(work.authors[0]) if work.authors else ""
    words = [w for w in _words(work.title) if w.isalpha() and w not in _STOP]
    word = next((w for w in words if len(w) >= 4), words[0] if words else "")
    base = f"{family[:30]}{work.year or ''}{word[:30]}"
    if not re.search(r"[a-z]", base):
        base = "arxiv" + re.sub(r"\W", "", work.arxiv_id) if work.arxiv_id else f"paper{base}"
    key, n = base, 1
    while key.lower() in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def bib_fields(work: ImportedWork) -> list[tuple[str, str]]:
    """(name, value) in the order written; the fields the rest of scholarpage reads."""
    out: list[tuple[str, str]] = [("title", work.title)]
    if work.authors:
        names = list(work.authors) + (["others"] if work.others else [])
        out.append(("author", " and ".join(names)))
    for name in ("journal", "booktitle", "volume", "number", "pages", "publisher"):
        value = getattr(work, name)
        if value:
            out.append((name, value))
    extra = dict(work.extra)
    for name in ("editor", "edition", "series", "address", "school", "institution"):
        if name in extra:
            out.append((name, extra.pop(name)))
    if "howpublished" in extra:
        out.append(("howpublished", extra.pop("howpublished")))
    if work.year:
        out.append(("year", str(work.year)))
        date = work.date_text()
        if date and work.month:
            out.append(("date", date))
    if work.doi and not (work.arxiv_id and arxiv_from_doi(work.doi) == work.arxiv_id):
        out.append(("doi", work.doi))  # arXiv's own DOI adds nothing to its eprint
    if work.arxiv_id:
        out.append(("eprint", work.arxiv_id))
        out.append(("archivePrefix", "arXiv"))
        if work.primary_class:
            out.append(("primaryClass", work.primary_class))
    if work.url:
        out.append(("url", work.url))
    for name in ("pdf", "code", "slides", "keywords", "selected"):
        if name in extra:
            out.append((name, extra.pop(name)))
    if work.abstract:
        out.append(("abstract", work.abstract))
    if work.citations is not None:
        out.append(("citations", str(work.citations)))
    out.extend(sorted(extra.items()))
    return [(name, balance_braces(clean_text(value))) for name, value in out if value.strip()]


def to_bibtex(work: ImportedWork, key: str, newline: str = "\n") -> str:
    """One clean entry: `@type{key,`, one `name = {value},` line per field, `}`."""
    kind = work.entry_type if re.fullmatch(r"[a-z]{2,24}", work.entry_type) else "misc"
    lines = [f"@{kind}{{{key},"]
    lines += [f"  {name} = {{{value}}}," for name, value in bib_fields(work)]
    lines.append("}")
    return newline.join(lines) + newline


def with_names(names: Iterable[str]) -> tuple[tuple[str, ...], bool]:
    """Plain display names as BibTeX name items, `others` split off as the flag."""
    out: list[str] = []
    others = False
    for name in names:
        if clean_text(name).lower() in ("others", "et al.", "et al"):
            others = True
            continue
        item = bib_name(name)
        if item:
            out.append(item)
    return tuple(out), others


Progress = Callable[[str, int, int | None], None]
"""Called as (what is happening, items done, items in all when known)."""
