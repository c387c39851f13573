"""Parsed blocks -> entries by key: duplicates merged, keyless entries keyed, crossref and
xref fields inherited."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.bibtex.scan import SPECIAL_KINDS, RawEntry
from generator.errors import Warnings

# Fields a child never takes from its crossref/xref parent (identity and linking fields).
_NOT_INHERITED = frozenset(
    {"crossref", "xref", "ids", "key", "entryset", "label", "shorthand", "sortkey", "related"}
)
_TRUE = frozenset({"true", "yes", "1"})
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
# What a crossref container may be: a volume that holds papers, never a paper type.
_CONTAINER_TYPES = _BOOK_PARENTS | {"periodical"}


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
    walking the chain entry by entry would. One function, over 80 lines: the walk, the cycle
    rounds and the warnings share the same parent/link/order tables, and splitting would pass
    all of them around.
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


def containers(entries: dict[str, _Entry]) -> frozenset[str]:
    """The keys of crossref containers: volumes (@proceedings, @book, @collection, ... as in
    _CONTAINER_TYPES) that another entry crossrefs (DBLP's "with crossref" export holds one
    @proceedings per venue) and whose fields flow into those papers. Such a volume is a paper of
    its own only when it says so: it has authors of its own (a book whose chapters crossref it),
    or it is marked `selected`. The members of a crossref cycle stay papers (no
    entry of a cycle is only a venue of the others). Linear: each crossref is followed once."""
    lower = {k.lower(): k for k in entries}
    parent: dict[str, str] = {}
    for key, entry in entries.items():
        target = lower.get(entry.fields.get("crossref", "").strip().lower())
        if target is not None and target != key:
            parent[key] = target
    in_cycle: set[str] = set()
    done: set[str] = set()
    for start in parent:
        path: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in path:
            path[node] = len(path)
            node = parent.get(node)
        if node is not None and node in path:  # the walk closed a loop at `node`
            in_cycle.update(k for k, i in path.items() if i >= path[node])
        done.update(path)
    return frozenset(
        key
        for key in set(parent.values())
        if key not in in_cycle
        and entries[key].kind in _CONTAINER_TYPES
        and not entries[key].persons.get("author")
        and entries[key].fields.get("selected", "").strip().lower() not in _TRUE
    )


def resolve_entries(entries: list[_Entry], warnings: Warnings) -> dict[str, _Entry]:
    """The entries that become papers, by key: duplicates and @set skipped, keyless ones keyed,
    crossref/xref fields inherited, crossref containers (see `containers`) left out."""
    merged = _merge(entries, warnings)
    held = containers(merged)
    _inherit(merged, warnings)
    return {key: entry for key, entry in merged.items() if key not in held}
