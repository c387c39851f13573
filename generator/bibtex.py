"""Stage 2b: BibTeX files -> tuple[Paper, ...], losing nothing silently.

Real exports break pybtex's whole-file parser in ways that drop entries without a word (an
undefined @string, an empty key, one unbalanced brace, `(`-delimited entries). So files are split
into @-blocks by our own scanner (every block has its line, and a broken block cannot swallow the
next), and each block is parsed by pybtex's low-level parser with errors collected per block.

The contract: every entry either becomes a Paper or is named in a warning containing "skipped"
with its file:line and the reason. @comment, @preamble and @string blocks are not papers.
biblatex `@set` entries only group other entries (which are papers themselves), so a set is
skipped with a warning. BibTeX reads entries anywhere, including after a `%` (which only
comments inside an entry), so `%@book{...}` is an entry, as BibTeX and biber treat it.

Reading is a short composition of public steps, each a function of its inputs: read a file's
text, split it into blocks, parse a block under the macros defined so far, turn a parsed block
into an entry, resolve duplicates and crossrefs, convert an entry to a Paper. `read_papers`
composes them plainly; generator.incremental composes the same steps with its memo tables
around them (parsed blocks and converted LaTeX, on disk and in memory), so the warnings come out
the same because they are re-derived from the memoised results.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pybtex.bibtex.utils import split_name_list
from pybtex.database import Person as PybtexPerson
from pybtex.database.input.bibtex import LowLevelParser, month_names
from pybtex.scanner import PrematureEOF, PybtexSyntaxError

from generator import latex
from generator.errors import Problem, ScholarpageError, Warnings
from generator.model import BadgeSpec, BibSource, Paper, PaperDate, Person, Text
from generator.sources import BIBTEX, read_input

__all__ = [
    "SPECIAL_KINDS",
    "Converter",
    "RawEntry",
    "arxiv_id",
    "block_entry",
    "category_code",
    "convert_latex",
    "decode_bib",
    "entry_blocks",
    "expanded",
    "expansion_budget",
    "initial_macros",
    "memoisable",
    "parse_block",
    "parse_month",
    "read_papers",
    "read_text",
    "resolve_entries",
    "split_entries",
    "to_paper",
    "valid_block",
    "valid_conversion",
]

SPECIAL_KINDS = frozenset({"comment", "preamble", "string"})
"""Block types that are not entries: not papers and not lost."""

_ENTRY_START = re.compile(r"@[ \t]*([A-Za-z][\w:-]*)[ \t\r\n]*([{(])")
_SCAN = re.compile(r'[{}")]|\n(?=[ \t]*@[ \t]*[A-Za-z][\w:-]*[ \t]*[{(])')
_CODING = re.compile(rb"(?:-\*-.*?\bcoding|\bcoding|\bencoding)[:=][ \t]*([-\w.]+)", re.I)
_EMACS_CODINGS = {
    "iso-latin-1": "latin-1",
    "iso-latin-9": "iso8859-15",
    "latin-9": "iso8859-15",
    "utf-8-with-signature": "utf-8-sig",
    "prefer-utf-8": "utf-8",
    "undecided": "utf-8",
}
# Where parsing resumes after a syntax error: the next `name =` after a comma or line start
# (`%` too: a "commented-out" entry's fields still start with it).
_RESUME = re.compile(r"[,\n][ \t%]*(?=[A-Za-z][\w.:+/-]*[ \t]*=)")
_FIELD_LINE = re.compile(r"[ \t]*,?[ \t]*[A-Za-z][\w.:+/-]*[ \t]*=")
_MONTHS = {
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
_NUMBER = re.compile(r"^\s*[-+]?\d+(\.\d+)?\s*$")
_ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([\w.\-/]+?)(?:v\d+)?(?:\.pdf)?$", re.I)
# A biblatex/EDTF date: YYYY[-MM[-DD]] with optional time, qualifiers (? ~ %), or a range.
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T[\d:]+Z?)?[?~%]?$")
# biblatex's extended name format: `family=Adler, given=Alfred, id=x` (every part is `label=`)
_EXTENDED_ITEM = re.compile(r"^\s*[a-z][a-z-]*\s*=", re.I)
_PERSON_FIELDS = ("author", "editor")
# Fields a child never takes from its crossref/xref parent (identity and linking fields).
_NOT_INHERITED = frozenset(
    {"crossref", "xref", "ids", "key", "entryset", "label", "shorthand", "sortkey", "related"}
)
# Parent types whose title is the child's booktitle (biblatex's inheritance table, simplified).
_BOOK_PARENTS = frozenset(
    {
        "proceedings",
        "mvproceedings",
        "book",
        "mvbook",
        "collection",
        "mvcollection",
        "reference",
        "mvreference",
    }
)
# BibTeX's fixed pools, as bounds on what @string expansion may build (see _BlockParser): the
# longest value, what expansion may add to one block, and to one file (the larger of a floor
# and a multiple of the file's own size). Real files stay far below: the corpus's longest value
# is under 10,000 characters and its heaviest user of @string (TUGboat) expands to 0.94 times
# its size.
_VALUE_LIMIT = 100_000
_BLOCK_EXPANSION = 1_000_000
_FILE_EXPANSION = 10_000_000
_FILE_EXPANSION_RATIO = 10
_QUOTED_PART = re.compile(r'["{}]')
_BRACED_PART = re.compile(r"[{}]")


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One `@type{...}` block as it stands in the file; `repaired` when its braces never close."""

    kind: str
    start: int
    line: int
    text: str
    repaired: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    """One parsed entry (fields flat, first occurrence wins), ready to become a Paper."""

    kind: str
    key: str | None
    fields: dict[str, str]
    persons: dict[str, list[list[str]]]
    line: int
    text: str
    path: Path


def decode_bib(raw: bytes, path: Path, encoding: str | None) -> str:
    """Decode by the configured encoding, else an Emacs/JabRef coding cookie, else UTF-8 (BOM
    allowed). Guessing (e.g. a Latin-1 fallback) would turn a wrong file into silent mojibake,
    so an undecodable file is an error naming the byte offset."""
    origin = "site.yaml"
    if encoding is None:
        cookie = _CODING.search(raw[:4096])
        if cookie:
            origin = "the file's coding cookie"
            encoding = cookie.group(1).decode("ascii").lower()
            encoding = re.sub(r"-(unix|dos|mac)$", "", encoding)
            encoding = _EMACS_CODINGS.get(encoding, encoding)
    if encoding is not None and encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding or "utf-8-sig")
    except LookupError:
        raise ScholarpageError.single(
            f"unknown encoding {encoding!r} (from {origin})",
            file=path,
            hint="use a Python codec name such as utf-8, latin-1 or gbk",
        ) from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScholarpageError.single(
            f"cannot decode as {encoding or 'UTF-8'} at byte offset {exc.start} "
            f"(byte {raw[exc.start : exc.start + 1]!r})",
            file=path,
            line=line,
            hint="convert the file to UTF-8, or set its encoding in site.yaml: "
            "bibliography: [{path: ..., encoding: latin-1}]",
        ) from None


def split_entries(text: str) -> Iterator[RawEntry]:
    """Yield every @-block with its 1-based line; text outside blocks is a comment in BibTeX.

    An entry whose braces never balance is cut at the next line that starts a new entry, and
    its unclosed fields are closed at the end of their line (see _close_fields), so one typo
    costs at most one field rather than the rest of the file.
    """
    newlines = [m.start() for m in re.finditer("\n", text)]
    pos = 0
    n = len(text)
    while True:
        m = _ENTRY_START.search(text, pos)
        if m is None:
            return
        kind = m.group(1).lower()
        close_ch = "}" if m.group(2) == "{" else ")"
        depth = 0
        in_quote = False
        i = m.end()
        end = -1
        cut = n
        while True:
            s = _SCAN.search(text, i)
            if s is None:
                break
            ch = text[s.start()]
            i = s.end()
            if ch == "{":
                depth += 1
            elif ch == "}":
                if depth == 0 and close_ch == "}":
                    end = i
                    break
                depth = max(depth - 1, 0)
            elif ch == '"':
                if depth == 0 and kind != "comment":
                    in_quote = not in_quote
            elif ch == ")":
                if close_ch == ")" and depth == 0 and not in_quote:
                    end = i
                    break
            else:
                # a line starting a new entry while this one is open: this one is broken
                cut = s.start()
                break
        line = bisect.bisect_right(newlines, m.start() - 1) + 1
        if end == -1:
            if kind != "comment":
                body = text[m.start() : cut].rstrip()
                yield RawEntry(kind, m.start(), line, _close_fields(body, close_ch), True)
            pos = max(cut, m.end())
            continue
        yield RawEntry(kind, m.start(), line, text[m.start() : end], False)
        pos = end


def _close_fields(body: str, close_ch: str) -> str:
    """Close, at the end of its line, each field whose braces are still open when the next
    field starts (`publisher = {Taylor {{\\&} Francis},` in a real Papers3 export)."""
    lines = body.split("\n")
    depth = 0
    out: list[str] = []
    for index, line in enumerate(lines):
        if index > 0 and depth > 0 and _FIELD_LINE.match(line):
            k = len(out) - 1
            while k > 0 and not out[k].strip():
                k -= 1
            prev = out[k].rstrip()
            comma = prev.endswith(",")
            out[k] = (prev[:-1] if comma else prev) + "}" * depth + ("," if comma else "")
            depth = 0
        start = line.index("{") + 1 if index == 0 and "{" in line else 0
        if index == 0 and close_ch == ")":
            start = line.index("(") + 1 if "(" in line else 0
        segment = line[start:]
        depth = max(depth + segment.count("{") - segment.count("}"), 0)
        out.append(line)
    return "\n".join(out) + "}" * depth + "\n" + close_ch


# --- parsing one block ------------------------------------------------------------------------


class _BlockParser(LowLevelParser):  # type: ignore[misc]
    """pybtex's tokenizer for one block: undefined macros become their name, errors are
    collected (not raised through pybtex's global strict flag), each field remembers its line,
    and parsing resumes at the next `name =` after a syntax error.

    Values are bounded as BibTeX's fixed pools bound them: a value longer than _VALUE_LIMIT
    characters is skipped, and @string expansion may add at most `budget` characters to the
    block. Both are checked part by part while a value is concatenated, so `s = t # t` lines
    (each doubles) or a long macro used many times cost at most the bound, never the blow-up.
    """

    text: str
    pos: int
    lineno: int
    current_value: list[str]
    current_fields: list[tuple[str, list[str], int]]

    def __init__(self, text: str, macros: dict[str, str], budget: int) -> None:
        super().__init__(text, macros=macros)
        self.lineno = 1
        self.table = macros
        self.missing: list[tuple[str, int]] = []
        self.errors: list[tuple[int, str]] = []
        self.budget = budget
        self.expanded = 0  # characters @string expansion added to the values kept
        self.budget_cut = False
        # values skipped: (line, what, what became of it, the macro to blame or None, whether
        # over the budget rather than the length limit)
        self.skipped: list[tuple[int, str, str, str | None, bool]] = []
        self.string_name: str | None = None
        self.value_skipped = False

    def substitute_macro(self, name: str) -> str:
        value = self.table.get(name.lower())
        if value is None:
            self.missing.append((name, self.lineno))
            return name
        return value

    def parse_value(self) -> None:
        """`part # part # ...` into current_value (empty when the value is skipped)."""
        line = self.lineno
        parts: list[str] = []
        length = 0
        largest: tuple[int, str] | None = None  # the longest macro used so far
        blame: tuple[str | None, bool] | None = None  # set once the value is skipped
        first = True
        while first or self.optional([self.HASH]):
            first = False
            token = self.required(
                [self.QUOTE, self.LBRACE, self.NUMBER, self.NAME], description="field value"
            )
            macro: str | None = None
            if token.pattern is self.QUOTE:
                part = self._string_part(quoted=True)
            elif token.pattern is self.LBRACE:
                part = self._string_part(quoted=False)
            elif token.pattern is self.NUMBER:
                part = token.value
            else:
                part = self.substitute_macro(token.value)
                if token.value.lower() in self.table:
                    macro = token.value
            if blame is not None:
                continue  # parsed to its end, kept no longer
            if length + len(part) > _VALUE_LIMIT:
                blame = (macro or (largest[1] if largest else None), False)
                continue
            if macro is not None:
                if self.expanded + len(part) > self.budget:
                    self.budget_cut = True
                    blame = (macro, True)
                    continue
                self.expanded += len(part)
                if largest is None or len(part) > largest[0]:
                    largest = (len(part), macro)
            parts.append(part)
            length += len(part)
        self.value_skipped = blame is not None
        if blame is not None:
            outcome = "skipped"
            if self.string_name is not None:
                what = f"@string '{self.string_name}'"
                known = self.string_name.lower() in self.table
                outcome = "the earlier definition stays" if known else "not defined"
            elif self.current_field_name:
                what = f"field '{self.current_field_name.lower()}'"
            else:
                what = "@preamble"
            self.skipped.append((line, what, outcome, *blame))
            parts = []
        self.current_value = parts

    def _string_part(self, quoted: bool) -> str:
        """The text up to the delimiter matching the one just read, as pybtex's parse_string
        reads it (same value, errors and line count), in one pass: pybtex searches for each
        delimiter separately, which rescans to the closing quote at every brace."""
        pattern = _QUOTED_PART if quoted else _BRACED_PART
        start = pos = self.pos
        depth = 0
        while True:
            m = pattern.search(self.text, pos)
            if m is None:
                self._advance(pos)
                raise PrematureEOF(self)
            pos = m.end()
            ch = m.group()
            if ch == "{":
                depth += 1
                if depth > 100:
                    self._advance(pos)
                    raise PybtexSyntaxError("too many nested braces", self)
            elif ch == "}":
                if depth == 0:
                    self._advance(pos)
                    if quoted:
                        raise PybtexSyntaxError("unbalanced braces", self)
                    return self.text[start : pos - 1]
                depth -= 1
            elif depth == 0:  # the closing quote
                self._advance(pos)
                return self.text[start : pos - 1]

    def _advance(self, pos: int) -> None:
        self.update_lineno(self.text[self.pos : pos])
        self.pos = pos

    def parse_string_body(self, body_end: Any) -> None:
        name = self.required([self.NAME]).value
        self.required([self.EQUALS])
        self.string_name = name
        self.parse_value()
        self.current_field_name = name
        if not self.value_skipped:
            self.table[name.lower()] = "".join(self.current_value)

    def parse_entry_fields(self) -> None:
        while True:
            self.current_field_name = None
            self.current_value = []
            self.eat_whitespace()
            line = self.lineno
            self.parse_field()
            if self.current_field_name and self.current_value:
                self.current_fields.append((self.current_field_name, self.current_value, line))
            if not self.optional([self.COMMA]):
                return

    def _error(self, error: PybtexSyntaxError) -> None:
        kind = getattr(error, "error_type", "syntax error")
        detail = str(error.args[0] if error.args else "").splitlines()
        message = f"{kind}: {detail[0]}" if detail else str(kind)
        self.errors.append((error.lineno or self.lineno, message))

    def parse_block(self) -> tuple[str, str | None, list[tuple[str, list[str], int]]]:
        """(type, key, [(field, value parts, line)]); the key is None when the entry has none."""
        self.skip_to([self.AT])
        command = self.required([self.NAME]).value
        start = self.required([self.LPAREN, self.LBRACE])
        body_end = self.RBRACE if start.pattern is self.LBRACE else self.RPAREN
        lower = command.lower()
        self.current_fields = []
        if lower == "comment":
            return command, None, []
        try:
            if lower == "string":
                self.parse_string_body(body_end)
                return command, None, []
            if lower == "preamble":
                self.parse_preamble_body(body_end)
                return command, None, []
        except PybtexSyntaxError as error:
            self._error(error)
            return command, None, []
        key_pattern = self.KEY_PAREN if body_end is self.RPAREN else self.KEY_BRACE
        saved = (self.pos, self.lineno)
        key_token = self.optional([key_pattern])
        key = key_token.value if key_token else None
        if key is not None and key.endswith(")") and body_end is self.RPAREN:
            key = key[:-1]
            self.pos -= 1
        self.eat_whitespace()
        if key is not None and self.text.startswith("=", self.pos):
            # `@article{title = ...`: no key at all, the first field follows at once
            self.pos, self.lineno = saved
            key = None
        else:
            self.optional([self.COMMA])
        resumed_at = -1
        while True:
            try:
                self.parse_entry_fields()
                self.required([body_end])
                break
            except PybtexSyntaxError as error:
                self._error(error)
                nxt = _RESUME.search(self.text, max(self.pos - 1, 0))
                if nxt is None or nxt.end() <= resumed_at:
                    break
                resumed_at = nxt.end()
                self.update_lineno(self.text[self.pos : nxt.end()])
                self.pos = nxt.end()
        fields: list[tuple[str, list[str], int]] = self.current_fields
        return command, key, fields


def _top_level_commas(name: str) -> int:
    depth = 0
    count = 0
    for ch in name:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            count += 1
    return count


def _split_top(value: str, sep: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in value:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unbrace(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == "{" and value[-1] == "}":
        return value[1:-1].strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1].strip()
    return value


def _parse_name(name: str, problems: list[list[Any]], line: int) -> list[str]:
    """[first, von, last, jr] of one name: BibTeX rules via pybtex, plus biblatex's extended
    `family=..., given=...` form, which pybtex does not know."""
    items = _split_top(name, ",")
    if all(_EXTENDED_ITEM.match(item) for item in items):
        parts = {"given": "", "prefix": "", "family": "", "suffix": ""}
        for item in items:
            label, _, value = item.partition("=")
            label = label.strip().lower()
            if label in parts:
                parts[label] = _unbrace(value)
        if parts["family"] or parts["given"]:
            return [parts["given"], parts["prefix"], parts["family"], parts["suffix"]]
    if _top_level_commas(name) > 2:
        problems.append(
            [
                line,
                f"name '{name}' has more than two commas; shown as written",
                "separate names with ' and ', and write each as 'Last, First'",
            ]
        )
        return ["", "", name.strip(), ""]
    try:
        person = PybtexPerson(name)
    except Exception:  # pybtex reports through global state; never let it stop a build
        return ["", "", name.strip(), ""]
    return [
        " ".join(person.first_names + person.middle_names),
        " ".join(person.prelast_names),
        " ".join(person.last_names),
        " ".join(person.lineage_names),
    ]


def parse_block(
    text: str, macros: dict[str, str], budget: int = _BLOCK_EXPANSION
) -> dict[str, Any]:
    """Parse one block under the macros defined so far into a JSON-able dict (lines in it are
    relative to the block, 1-based); an @string block adds its macro to `macros`.

    `budget`: what @string expansion may still add in the block's file (expansion_budget() at
    its start, less what earlier blocks added; one block adds at most _BLOCK_EXPANSION).
    "expanded" says what it added. The result depends on the text, the macros and, when the
    budget cut a value, the budget (see memoisable()).
    """
    parser = _BlockParser(text, macros, min(budget, _BLOCK_EXPANSION))
    problems: list[list[Any]] = []
    try:
        command, key, raw_fields = parser.parse_block()
    except PybtexSyntaxError as error:
        parser._error(error)
        command, key, raw_fields = "", None, []
    if parser.errors:
        err_line, message = parser.errors[0]
        more = len(parser.errors) - 1
        problems.append(
            [
                err_line,
                f"BibTeX {message}" + (f" (and {more} more in this entry)" if more else ""),
                "the fields around it are read where possible; check this line",
            ]
        )
    for macro, macro_line in dict.fromkeys(parser.missing):
        problems.append(
            [
                macro_line,
                f"undefined @string macro '{macro}' (its name is shown instead)",
                "define it with @string, or list the .bib that defines it earlier in site.yaml",
            ]
        )
    for skipped in parser.skipped:
        problems.append(_skipped_value(*skipped))
    fields: dict[str, str] = {}
    first_line: dict[str, int] = {}
    persons: dict[str, list[list[str]]] = {}
    for name, parts, field_line in raw_fields:
        lname = name.lower()
        if lname in fields:
            problems.append(
                [
                    field_line,
                    f"duplicate field '{lname}' (first on line +{first_line[lname]}); "
                    "the first is kept",
                    "remove one of the two",
                ]
            )
            continue
        value = re.sub(r"\s+", " ", "".join(parts)).strip()
        fields[lname] = value
        first_line[lname] = field_line
        if lname in _PERSON_FIELDS and value:
            persons[lname] = [_parse_name(n, problems, field_line) for n in split_name_list(value)]
    result: dict[str, Any] = {
        "type": command,
        "key": key,
        "fields": fields,
        "persons": persons,
        "problems": problems,
    }
    if command.lower() == "string" and parser.current_field_name and not parser.value_skipped:
        name = parser.current_field_name.lower()
        result["macro"] = [name, macros.get(name, "")]
    if parser.expanded:
        result["expanded"] = parser.expanded
    if parser.budget_cut:
        result["budget_cut"] = True
    return result


_BLOCK_KEYS_ORDER = ("type", "key", "fields", "persons", "problems")
_BLOCK_KEYS = frozenset(_BLOCK_KEYS_ORDER)


def _strings(value: Any, length: int) -> bool:
    return type(value) is list and len(value) == length and all(type(v) is str for v in value)


def valid_block(value: Any) -> bool:
    """Whether a memoised block has the shape `parse_block` gives (after a JSON round trip):
    the memo file sits in the user's folder, and anything else is parsed again."""
    optional = {"macro", "expanded"}  # a result the file's budget cut is never memoised
    if type(value) is not dict or not _BLOCK_KEYS <= value.keys() <= _BLOCK_KEYS | optional:
        return False
    if "expanded" in value and not (type(value["expanded"]) is int and value["expanded"] > 0):
        return False
    kind, key, fields, persons, problems = (value[k] for k in _BLOCK_KEYS_ORDER)
    return (
        type(kind) is str
        and (key is None or type(key) is str)
        and type(fields) is dict
        and all(type(v) is str for v in fields.values())
        and type(persons) is dict
        and all(
            name in _PERSON_FIELDS and type(names) is list and all(_strings(n, 4) for n in names)
            for name, names in persons.items()
        )
        and type(problems) is list
        and all(
            type(p) is list
            and len(p) == 3
            and type(p[0]) is int
            and type(p[1]) is str
            and type(p[2]) is str
            for p in problems
        )
        and ("macro" not in value or (kind.lower() == "string" and _strings(value["macro"], 2)))
    )


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


def _skipped_value(
    line: int, what: str, outcome: str, macro: str | None, over_budget: bool
) -> list[Any]:
    """The problem for a value _BlockParser did not keep: [line, message, hint]."""
    if over_budget:
        return [
            line,
            f"{what}: expanding @string macro '{macro}' exceeds the budget for @string "
            f"expansion; {outcome}",
            f"BibTeX's pools are fixed; here @string expansion may add {_BLOCK_EXPANSION:,} "
            f"characters to an entry and {_FILE_EXPANSION:,} (or {_FILE_EXPANSION_RATIO} times "
            "its own size) to a file: use long macros less often",
        ]
    source = f" after expanding @string macro '{macro}'" if macro else ""
    return [
        line,
        f"{what} is longer than {_VALUE_LIMIT:,} characters{source}; {outcome}",
        "BibTeX limits the length of a value: shorten it (a chain of @string definitions "
        "such as `b = a # a` doubles the length with every line)",
    ]


def expansion_budget(text: str) -> int:
    """What @string expansion may add in one file, whose text is `text` (BibTeX's pools)."""
    return max(_FILE_EXPANSION, _FILE_EXPANSION_RATIO * len(text))


def expanded(result: dict[str, Any]) -> int | None:
    """What @string expansion added to a parsed block; None when `result` holds junk (a
    memoised value)."""
    spent = result.get("expanded", 0)
    return spent if type(spent) is int and spent >= 0 else None


def memoisable(result: dict[str, Any], budget: int) -> bool:
    """Whether parse_block's `result` under `budget` depends on the text and macros only: it
    does unless a file's budget smaller than one block's bound cut a value."""
    return budget >= _BLOCK_EXPANSION or "budget_cut" not in result


# --- reading files ----------------------------------------------------------------------------


def initial_macros() -> dict[str, str]:
    """The @string macros every bibliography starts with: the month names."""
    return dict(month_names)


def read_text(source: BibSource) -> str:
    """A .bib file's text, read within the size limit and decoded (see decode_bib); a missing
    or unreadable file is a located error."""
    data = read_input(
        source.path, BIBTEX, missing="fix the path under `bibliography:` in site.yaml"
    )
    return decode_bib(data, source.path, source.encoding)


def entry_blocks(text: str) -> Iterator[RawEntry]:
    """The blocks to parse: split_entries without @comment, whose body BibTeX never reads."""
    return (block for block in split_entries(text) if block.kind != "comment")


def _relative_problem(text: str, block_line: int) -> str:
    """Rewrite 'line +N' (relative to the block) as an absolute line number."""
    return re.sub(r"line \+(\d+)", lambda m: f"line {block_line + int(m.group(1)) - 1}", text)


def block_entry(
    block: RawEntry, result: dict[str, Any], path: Path, warnings: Warnings
) -> _Entry | None:
    """What one parsed block (parse_block's `result`) gives: its warnings at their file lines,
    and the entry, or None for @string/@preamble and for a block that could not be read."""
    if block.repaired:
        warnings.warn(
            f"unbalanced braces in @{block.kind}: closed at the end of the open field's line",
            file=path,
            line=block.line,
            hint="check that every { has a matching }",
        )
    for rel_line, message, hint in result["problems"]:
        warnings.warn(
            _relative_problem(message, block.line),
            file=path,
            line=block.line + rel_line - 1,
            hint=hint,
        )
    kind = str(result["type"]).lower()
    if kind in SPECIAL_KINDS:
        return None
    if not kind:
        warnings.warn(
            f"@{block.kind} could not be read: entry skipped",
            file=path,
            line=block.line,
            hint="fix the syntax of this entry",
        )
        return None
    return _Entry(
        kind,
        result["key"],
        dict(result["fields"]),
        {k: list(v) for k, v in result["persons"].items()},
        block.line,
        block.text,
        path,
    )


def _generated_key(entry: _Entry, taken: set[str], tried: dict[str, int]) -> str:
    """A stable key from the content (author, year, title word), so its page URL survives edits
    above it in the file. `tried`: per base, the suffix last given (every lower one is taken,
    and `taken` only grows), so many keyless entries alike cost linear time, not quadratic."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    last = persons[0][2] if persons else ""
    year = re.search(r"\d{4}", entry.fields.get("year", "") or entry.fields.get("date", ""))
    words = re.findall(r"[A-Za-z]{4,}", entry.fields.get("title", ""))
    raw = f"{last}{year.group(0) if year else ''}{words[0] if words else ''}"
    ascii_raw = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "", ascii_raw.lower()) or f"entry-line{entry.line}"
    n = tried.get(base, 1)
    key = base if n == 1 else f"{base}-{n}"
    while key.lower() in taken:
        n += 1
        key = f"{base}-{n}"
    tried[base] = n
    return key


def _merge(entries: list[_Entry], warnings: Warnings) -> dict[str, _Entry]:
    """Keys are case-insensitive in BibTeX: the first entry with a key wins, later ones are
    skipped with a warning naming both places; keyless entries get a generated key."""
    taken = {e.key.lower() for e in entries if e.key is not None}
    tried: dict[str, int] = {}
    by_key: dict[str, _Entry] = {}
    lower: dict[str, str] = {}
    for entry in entries:
        if entry.kind == "set":
            members = entry.fields.get("entryset", "")
            warnings.warn(
                f"@set '{entry.key}' groups {members or 'no entries'}: entry skipped "
                "(its members are shown as papers of their own)",
                file=entry.path,
                line=entry.line,
                hint="remove the @set entry, or ignore this warning",
            )
            continue
        if entry.key is None:
            key = _generated_key(entry, taken, tried)
            taken.add(key.lower())
            warnings.warn(
                f"entry has no citation key; using '{key}'",
                file=entry.path,
                line=entry.line,
                hint="add a key after the opening brace: @article{key, ...",
            )
            entry = _Entry(
                entry.kind, key, entry.fields, entry.persons, entry.line, entry.text, entry.path
            )
        key = entry.key or ""
        first = lower.get(key.lower())
        if first is not None:
            kept = by_key[first]
            warnings.warn(
                f"duplicate key '{key}': entry skipped, the one at "
                f"{kept.path.name}:{kept.line} is kept",
                file=entry.path,
                line=entry.line,
                hint="give each entry its own key",
            )
            continue
        lower[key.lower()] = key
        by_key[key] = entry
    return by_key


@dataclass(frozen=True, slots=True)
class _Inherited:
    """What an entry and its ancestors give an entry that crossrefs it: each field and person
    role from the nearest of them that has it; the title from the nearest that is not a book-like
    parent; the booktitle from the nearest book-like parent's title or other parent's booktitle.
    Title and booktitle carry the key they come from, so no entry inherits from itself.
    At most _MAX_INHERITED fields, the nearest; `dropped` when farther ones were left out."""

    fields: dict[str, str]
    persons: dict[str, list[list[str]]]
    title: tuple[str, str] | None
    booktitle: tuple[str, str] | None
    dropped: bool


def _pass_down(key: str, entry: _Entry, above: _Inherited | None) -> _Inherited:
    """One crossref step: what `entry` gives a child, `above` being what its own parent gives.
    Reads only the entry's own fields, so each entry is resolved once, whatever the order."""
    book = entry.kind in _BOOK_PARENTS
    fields: dict[str, str] = {}
    dropped = False
    for name, value in entry.fields.items():
        if name not in _NOT_INHERITED and name not in ("title", "booktitle"):
            if len(fields) == _MAX_INHERITED:
                dropped = True
                break
            fields[name] = value
    persons = dict(entry.persons)
    title = booktitle = None
    if "title" in entry.fields:
        if book:
            booktitle = (entry.fields["title"], key)
        else:
            title = (entry.fields["title"], key)
    if "booktitle" in entry.fields and not book:
        booktitle = (entry.fields["booktitle"], key)
    if above is not None:
        dropped = dropped or above.dropped
        for name, value in above.fields.items():
            if name not in fields:
                if len(fields) == _MAX_INHERITED:
                    dropped = True
                    break
                fields[name] = value
        for role, names in above.persons.items():
            persons.setdefault(role, names)
        title = title if title is not None else above.title
        booktitle = booktitle if booktitle is not None else above.booktitle
    return _Inherited(fields, persons, title, booktitle, dropped)


# A cycle warning shows at most this many keys at each end of the chain.
_CHAIN_SHOWN = 5
# The most fields an entry passes down its crossref chain (its own and inherited, the nearest
# first). Real entries have a few dozen; without a bound, a chain of n entries each with a
# field of its own would hand on n * n / 2 fields in all.
_MAX_INHERITED = 200


def _inherit(entries: dict[str, _Entry], warnings: Warnings) -> None:
    """Fill missing fields from crossref (or xref) parents, transitively; report cycles and
    unknown parents. A proceedings/book parent's title becomes the child's booktitle.

    Linear in the entries: each parent is resolved once (_pass_down), parents before their
    children, walking up iteratively (no recursion limit on a chain's length); the members of
    a cycle are resolved by going round it twice. An entry takes, for each field, the value of
    the nearest entry up its chain that has it (as written, mapped by that entry's type), as
    walking the chain entry by entry would.
    """
    lower = {k.lower(): k for k in entries}
    parent: dict[str, str] = {}
    link: dict[str, str] = {}
    unknown: dict[str, str] = {}  # entry -> the key its crossref names, which no entry has
    for key, entry in entries.items():
        name = "crossref" if entry.fields.get("crossref") else "xref"
        parent_key = entry.fields.get(name, "").strip()
        if not parent_key or "," in parent_key:
            continue
        target = lower.get(parent_key.lower())
        if target is not None:
            parent[key] = target
            link[key] = name
        elif name == "crossref":
            unknown[key] = parent_key
    given: dict[str, _Inherited] = {}  # what each parent passes down
    cycles: dict[str, tuple[list[str], int]] = {}  # member -> (its cycle, its place in it)
    # where a parent's chain ends: in a cycle (entered at which member, after how many steps),
    # at an unknown crossref (which key), or at an entry with no parent (None)
    ends: dict[str, tuple[str, int] | str | None] = {}
    for key in entries:
        node = parent.get(key)
        path: list[str] = []
        place: dict[str, int] = {}
        while node is not None and node not in given and node not in place:
            place[node] = len(path)
            path.append(node)
            node = parent.get(node)
        if node is not None and node in place:
            cycle = path[place[node] :]
            del path[place[node] :]
            above = None
            for round_ in range(2):
                for member in reversed(cycle):
                    above = _pass_down(member, entries[member], above)
                    if round_:
                        given[member] = above
            for index, member in enumerate(cycle):
                cycles[member] = (cycle, index)
                ends[member] = (member, 0)
        for node in reversed(path):
            up = parent.get(node)
            given[node] = _pass_down(node, entries[node], given[up] if up is not None else None)
            ends[node] = _chain_end(up, ends, unknown.get(node))
    for key, entry in entries.items():
        up = parent.get(key)
        if up is not None:
            _take(key, entry, given[up])
            if given[up].dropped:
                warnings.warn(
                    f"its crossref chain carries more than {_MAX_INHERITED} fields: only the "
                    f"nearest {_MAX_INHERITED} are inherited, the others skipped",
                    file=entry.path,
                    line=entry.line,
                    hint="give the parent entries fewer fields, or shorten the chain",
                )
        end = (key, 0) if key in cycles else _chain_end(up, ends, unknown.get(key))
        if isinstance(end, str):
            warnings.warn(
                f"crossref to unknown entry '{end}'",
                file=entry.path,
                line=entry.line,
                hint="add the referenced entry or remove the crossref field",
            )
        elif end is not None:
            joined, back = _cycle_chain(key, parent, link, cycles, *end)
            warnings.warn(
                f"{back} cycle: {joined}",
                file=entry.path,
                line=entry.line,
                hint=f"remove one of the {back} fields",
            )


def _chain_end(
    up: str | None, ends: dict[str, tuple[str, int] | str | None], unknown: str | None
) -> tuple[str, int] | str | None:
    """Where the chain of an entry whose parent is `up` ends (see _inherit)."""
    if up is None:
        return unknown
    end = ends[up]
    return (end[0], end[1] + 1) if isinstance(end, tuple) else end


def _take(key: str, entry: _Entry, above: _Inherited) -> None:
    """Add to `entry` what its parent passes down and it does not have itself."""
    for name, value in above.fields.items():
        if name not in entry.fields:
            entry.fields[name] = value
    for role, names in above.persons.items():
        if role not in entry.persons:
            entry.persons[role] = names
    for name, got in (("title", above.title), ("booktitle", above.booktitle)):
        if got is not None and got[1] != key and name not in entry.fields:
            entry.fields[name] = got[0]


def _cycle_chain(
    key: str,
    parent: dict[str, str],
    link: dict[str, str],
    cycles: dict[str, tuple[list[str], int]],
    entered: str,
    depth: int,
) -> tuple[str, str]:
    """The chain from `key` round the cycle it runs into at `entered` after `depth` steps,
    as "a -> b -> a" (long chains cut in the middle), and the link field that closes it."""
    cycle, at = cycles[entered]
    size = len(cycle)
    total = depth + size + 1
    closing = cycle[(at - 1) % size]
    tail = [cycle[(at + j) % size] for j in range(max(size + 1 - _CHAIN_SHOWN, 0), size + 1)]
    head_size = total - len(tail) if total <= 2 * _CHAIN_SHOWN else _CHAIN_SHOWN
    head: list[str] = []
    node = key
    for _ in range(head_size):
        head.append(node)
        node = parent[node]
    names = [name.lower() for name in head]
    skipped = total - len(head) - len(tail)
    if skipped:
        names.append(f"... ({skipped:,} more)")
    return " -> ".join(names + [name.lower() for name in tail]), link[closing]


def resolve_entries(entries: list[_Entry], warnings: Warnings) -> dict[str, _Entry]:
    """The entries that become papers, by key: duplicates and @set skipped, keyless ones keyed,
    crossref/xref fields inherited."""
    merged = _merge(entries, warnings)
    _inherit(merged, warnings)
    return merged


def read_papers(
    sources: tuple[BibSource, ...], badges: tuple[BadgeSpec, ...], warnings: Warnings
) -> tuple[Paper, ...]:
    """Parse every listed .bib file, in order (@string macros carry over), into Papers.

    Every file is read before stopping, so one error lists each missing or undecodable file.
    """
    macros = initial_macros()
    entries: list[_Entry] = []
    problems: list[Problem] = []
    for source in sources:
        try:
            text = read_text(source)
        except ScholarpageError as error:
            problems.extend(error.problems)
            continue
        budget = expansion_budget(text)
        for block in entry_blocks(text):
            result = parse_block(block.text, macros, budget)
            budget -= expanded(result) or 0
            entry = block_entry(block, result, source.path, warnings)
            if entry is not None:
                entries.append(entry)
    if problems:
        raise ScholarpageError(tuple(problems))
    convert = Converter(warnings)
    return tuple(
        to_paper(key, entry, index, badges, convert)
        for index, (key, entry) in enumerate(resolve_entries(entries, warnings).items())
    )


# --- fields to Paper --------------------------------------------------------------------------


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
    badge_values: list[tuple[str, float]] = []
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
        badge_values.append((spec.field, number))
    citations_raw = _field(fields, "citations")
    citations = None
    if citations_raw is not None:
        number = _number(citations_raw)
        if number is None or number < 0:
            convert.warn(
                f"field 'citations' should be a whole number, got {citations_raw!r}",
                file=path,
                line=line,
            )
        else:
            citations = int(number)
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
        badges=tuple(badge_values),
        bibtex=entry.text.strip(),
        has_math=has_math,
    )


def _clean_doi(value: str | None) -> str | None:
    if not value:
        return None
    value = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", value.strip(), flags=re.I)
    return value.replace("\\_", "_") or None
