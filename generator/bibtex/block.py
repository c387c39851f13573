"""One @-block -> its type, key, fields and persons, with problems collected, not raised.

pybtex's low-level parser does the tokenizing; this module bounds @string expansion as
BibTeX's pools do and splits names."""

from __future__ import annotations

import re
from typing import Any

from pybtex.bibtex.utils import split_name_list
from pybtex.database import Person as PybtexPerson
from pybtex.database.input.bibtex import LowLevelParser, month_names
from pybtex.scanner import PrematureEOF, PybtexSyntaxError

# Where parsing resumes after a syntax error: the next `name =` after a comma or line start
# (`%` too: a "commented-out" entry's fields still start with it).
_RESUME = re.compile(r"[,\n][ \t%]*(?=[A-Za-z][\w.:+/-]*[ \t]*=)")
# biblatex's extended name format: `family=Adler, given=Alfred, id=x` (every part is `label=`)
_EXTENDED_ITEM = re.compile(r"^\s*[a-z][a-z-]*\s*=", re.I)
_PERSON_FIELDS = ("author", "editor")
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


def initial_macros() -> dict[str, str]:
    """The @string macros every bibliography starts with: the month names."""
    return dict(month_names)
