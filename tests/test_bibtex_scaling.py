"""BibTeX inputs whose cost grew faster than their size: @string doubling and other macro
amplification, long values, crossref chains and cycles, many keyless entries.

Every test asserts on work done (lengths produced, calls counted, characters scanned), never on
wall time; the files are real files read through read_papers. The crossref resolution is also
checked against the walk it replaced (kept below as the oracle) on generated graphs.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import bibtex
from generator.bibtex import block as bib_block
from generator.bibtex import entries as bib_entries
from generator.bibtex import read_papers
from generator.cache import CACHE_DIR_NAME
from generator.errors import Warnings
from generator.incremental import PaperReader
from generator.model import BibSource, Paper

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "bib"
LIMIT = bib_block._VALUE_LIMIT


def _read(
    path: Path, *, cache: Path | None = None, memo: PaperReader | None = None
) -> tuple[tuple[Paper, ...], list[str]]:
    """Papers and warnings ('line: message') of one real file: read plainly, through the disk
    cache `cache` (as a new process would), or by `memo` (serve's reader, kept between reads)."""
    warnings = Warnings()
    sources = (BibSource(path),)
    if memo is not None:
        papers = memo.read(sources, (), warnings)
    elif cache is not None:
        papers = PaperReader(cache).read(sources, (), warnings)
    else:
        papers = read_papers(sources, (), warnings)
    return papers, [f"{p.line}: {p.message}" for p in warnings.items]


def _write(tmp_path: Path, text: str, name: str = "papers.bib") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class _Results:
    """Every block result parse_block returns while installed (monkeypatch-wrapped)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.items: list[dict[str, Any]] = []
        real = bibtex.parse_block

        def recording(
            text: str, macros: dict[str, str], budget: int = bib_block._BLOCK_EXPANSION
        ) -> dict[str, Any]:
            result = real(text, macros, budget)
            self.items.append(result)
            return result

        monkeypatch.setattr(bibtex, "parse_block", recording)

    def longest_value(self) -> int:
        lengths = [len(v) for r in self.items for v in r["fields"].values()]
        lengths += [len(r["macro"][1]) for r in self.items if "macro" in r]
        return max(lengths, default=0)


# --- @string macros -----------------------------------------------------------------------------


def _doubling(lines: int) -> str:
    """The attack: each @string is the previous one twice, so line i holds 2**(i+1) characters."""
    out = ['@string{s0 = "xx"}']
    out += [f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, lines)]
    out.append("@string{S15 = s15 # s15}")  # a redefinition that does not fit
    out.append("@article{big, title = {Kept}, journal = s15, note = s16, year = 2020}")
    out.append(f"@article{{last, title = s{lines - 1} # {{!}}, year = 2021}}")
    return "\n".join(out) + "\n"


def test_string_doubling_is_cut_at_the_limit_with_a_warning_naming_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = 64  # 2**64 characters if nothing stopped it; 27 lines exhausted the machine
    path = _write(tmp_path, _doubling(lines))
    results = _Results(monkeypatch)
    papers, warnings = _read(path)
    # s15 (65,536 characters) is the last that fits: s16 is not defined, where it is defined
    assert warnings[0] == (
        "17: @string 's16' is longer than 100,000 characters after expanding @string macro "
        "'s15'; not defined"
    )
    assert warnings[1] == "18: undefined @string macro 's16' (its name is shown instead)"
    assert all("longer than 100,000" in w or "undefined @string" in w for w in warnings)
    assert (
        f"{lines + 1}: @string 'S15' is longer than 100,000 characters after expanding "
        "@string macro 's15'; the earlier definition stays" in warnings
    )
    # the work stayed bounded: no value built, kept or memoised was longer than the limit
    assert results.longest_value() <= LIMIT
    assert max(r.get("expanded", 0) for r in results.items) <= LIMIT
    big, last = papers
    assert big.venue is not None and len(big.venue.text) == 2**16  # s15, intact
    assert big.title.text == "Kept" and big.date.year == 2020
    assert last.date.year == 2021 and len(last.title.text) <= LIMIT


def test_a_skipped_field_leaves_the_entry_and_its_other_fields(tmp_path: Path) -> None:
    half = "y" * (LIMIT // 2)
    text = (
        f'@string{{half = "{half}"}}\n'
        "@article{one,\n"
        "  title = {Survives},\n"
        "  abstract = half # half # {z},\n"
        "  note = half # half,\n"
        "  year = 2020,\n"
        "}\n"
    )
    (paper,), warnings = _read(_write(tmp_path, text))
    assert paper.title.text == "Survives" and paper.date.year == 2020
    assert paper.abstract is None  # 100,001 characters: skipped
    assert warnings == [
        "4: field 'abstract' is longer than 100,000 characters after expanding @string macro "
        "'half'; skipped"
    ]
    assert "note" in paper.bibtex  # exactly the limit: kept (the text shown is the entry's own)


def test_many_concatenations_and_long_values_cost_their_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200,000 `#`, a 300,000-character literal and a quoted value with 100,000 brace groups:
    each is skipped, and reading them scans each character a bounded number of times."""
    hashes = " # ".join(["m"] * 200_000)
    braces = "{x}" * 100_000
    text = (
        '@string{m = "a"}\n'
        f"@misc{{hashes, title = {{H}}, note = {hashes}}}\n"
        f"@misc{{literal, title = {{L}}, note = {{{'b' * 300_000}}}}}\n"
        f'@misc{{quoted, title = {{Q}}, note = "{braces}"}}\n'
        f'@misc{{fits, title = {{F}}, note = "{braces[: LIMIT - 1]}"}}\n'
    )
    path = _write(tmp_path, text)
    scanned = {"chars": 0, "searches": 0}

    class Counting:
        """Stands in for a compiled pattern and counts what its searches scan."""

        def __init__(self, pattern: re.Pattern[str]) -> None:
            self.pattern = pattern

        def search(self, string: str, pos: int) -> re.Match[str] | None:
            found = self.pattern.search(string, pos)
            scanned["searches"] += 1
            scanned["chars"] += (found.end() if found else len(string)) - pos
            return found

    monkeypatch.setattr(bib_block, "_QUOTED_PART", Counting(bib_block._QUOTED_PART))
    monkeypatch.setattr(bib_block, "_BRACED_PART", Counting(bib_block._BRACED_PART))
    results = _Results(monkeypatch)
    papers, warnings = _read(path)
    assert [p.key for p in papers] == ["hashes", "literal", "quoted", "fits"]
    assert warnings == [
        "2: field 'note' is longer than 100,000 characters after expanding @string macro 'm'; "
        "skipped",
        "3: field 'note' is longer than 100,000 characters; skipped",
        "4: field 'note' is longer than 100,000 characters; skipped",
    ]
    assert results.longest_value() == LIMIT - 1  # the one that fits, whole
    # one pass: every character of the string values is scanned once (pybtex rescanned to the
    # closing quote at every brace: 100,000 x 300,000 characters)
    assert scanned["chars"] <= len(text)


def _uses(count: int, size: int = 99_000) -> str:
    """One macro just under the limit, used by `count` tiny entries: amplification, not doubling."""
    body = "".join(f"@misc{{u{i}, title = big, year = 2000}}\n" for i in range(count))
    return f'@string{{big = "{"t" * size}"}}\n' + body


def test_a_long_macro_used_many_times_is_bounded_by_the_file_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, _uses(300))  # 29.7 million characters if all were expanded
    results = _Results(monkeypatch)
    papers, warnings = _read(path)
    assert len(papers) == 300  # every entry survives
    fitting = bib_block._FILE_EXPANSION // 99_000
    titled = [p for p in papers if p.title.text.startswith("t")]
    assert len(titled) == fitting
    assert sum(r.get("expanded", 0) for r in results.items) <= bib_block._FILE_EXPANSION
    over = [w for w in warnings if "exceeds the budget" in w]
    assert len(over) == 300 - fitting
    assert over[0] == (
        f"{fitting + 2}: field 'title': expanding @string macro 'big' exceeds the budget for "
        "@string expansion; skipped"
    )


def test_one_entry_cannot_expand_beyond_its_block_budget(tmp_path: Path) -> None:
    fields = "".join(f"  f{i} = big,\n" for i in range(20))
    text = f'@string{{big = "{"t" * 99_000}"}}\n@misc{{one,\n  title = big,\n{fields}}}\n'
    (paper,), warnings = _read(_write(tmp_path, text))
    assert len(paper.title.text) == 99_000
    kept = bib_block._BLOCK_EXPANSION // 99_000  # title and f0..f8
    assert len(warnings) == 21 - kept
    assert warnings[0].startswith(f"{3 + kept}: field 'f{kept - 1}': expanding @string macro")


def test_budget_results_are_the_same_cold_warm_and_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block the file's budget cut depends on what came before it, not only on its text and
    macros (the memo key): it is never memoised, and a memoised block is reused only when it
    fits what is left. So the cache gives what a cold read gives, before and after edits."""
    path = tmp_path / "papers.bib"
    cache = tmp_path / CACHE_DIR_NAME
    memo = PaperReader(cache)
    for step, count in enumerate((300, 40, 300, 150)):
        path.write_text(_uses(count), encoding="utf-8")
        cold = _read(path, cache=tmp_path / f"cold-{step}")
        assert _read(path, cache=cache) == cold
        assert _read(path, memo=memo) == cold
        with monkeypatch.context() as patch:
            results = _Results(patch)
            warm = _read(path, cache=cache)
        assert warm == cold
        cut = sum("exceeds the budget" in w for w in cold[1])
        assert len(results.items) == cut  # exactly the cut blocks are parsed again
        assert cut == max(count - bib_block._FILE_EXPANSION // 99_000, 0)


def test_real_large_files_stay_far_below_every_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    files = [CORPUS / "beebe_tugboat.bib", CORPUS / "bbt_zotero_large_7k.bib"]
    if not all(f.is_file() for f in files):
        pytest.skip(f"shared corpus not present at {CORPUS}")
    for path in files:
        with monkeypatch.context() as patch:
            results = _Results(patch)
            papers, warnings = _read(path)
        assert len(papers) > 4000
        assert not [w for w in warnings if "100,000" in w or "budget" in w]
        assert not any("budget_cut" in r for r in results.items)
        expanded = sum(r.get("expanded", 0) for r in results.items)
        assert expanded < path.stat().st_size < bib_block._FILE_EXPANSION
        assert results.longest_value() < LIMIT // 10


class _PybtexStrings(bib_block._BlockParser):
    """The parser with pybtex's own string reading, as the reference for _string_part."""

    def _string_part(self, quoted: bool) -> str:
        end = self.QUOTE if quoted else self.RBRACE
        return cast(str, self.flatten_string(self.parse_string(string_end=end)))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(['"', "{", "}", "{{", "}}", "a", " ", "\n", "\r\n", "\r", ",", "#", "="]),
        max_size=30,
    ),
    st.sampled_from(['"', "{"]),
)
def test_string_values_read_as_pybtex_reads_them(pieces: list[str], opening: str) -> None:
    text = "@misc{key,\n  title = " + opening + "".join(pieces) + ",\n  year = 2000}"
    ours = bibtex.parse_block(text, {})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bib_block, "_BlockParser", _PybtexStrings)
        theirs = bibtex.parse_block(text, {})
    assert ours == theirs


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    deep = "{" * 5000 + "x" + "}" * 5000
    text = f"@misc{{deep, title = {deep}, year = 2001}}\n@misc{{next, title = {{N}}}}\n"
    papers, warnings = _read(_write(tmp_path, text))
    assert [p.key for p in papers] == ["deep", "next"]
    assert papers[0].date.year == 2001
    assert warnings[0].startswith("1: BibTeX syntax error: too many nested braces")


# --- crossref chains --------------------------------------------------------------------------


def _chain(count: int, *, parents_first: bool = False, close: bool = False) -> str:
    """e0 -> e1 -> ... -> e{count}: a proceedings at the top (or a link back to e0: a cycle)."""
    entries = [
        f"@inproceedings{{e{i}, title = {{Paper {i}}}, crossref = {{e{i + 1}}}, pages = {{{i}}}}}"
        for i in range(count)
    ]
    top = "crossref = {e0}" if close else "publisher = {Top Press}"
    entries.append(f"@proceedings{{e{count}, title = {{Top}}, year = 1999, {top}}}")
    return "\n".join(reversed(entries) if parents_first else entries) + "\n"


class _Steps:
    """Counts the crossref steps (_pass_down calls) while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = bib_entries._pass_down

        def counting(
            key: str, entry: bib_entries._Entry, above: bib_entries._Inherited | None
        ) -> bib_entries._Inherited:
            self.calls += 1
            return real(key, entry, above)

        monkeypatch.setattr(bib_entries, "_pass_down", counting)


@pytest.mark.parametrize("parents_first", [False, True])
def test_crossref_steps_grow_linearly_with_the_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parents_first: bool
) -> None:
    steps: list[int] = []
    for count in (1000, 2000):
        path = _write(tmp_path, _chain(count, parents_first=parents_first), f"chain{count}.bib")
        cache = tmp_path / f"cache{count}"
        cold = _read(path, cache=cache)
        with monkeypatch.context() as patch:
            counter = _Steps(patch)
            papers, warnings = _read(path, cache=cache)
        assert (papers, warnings) == cold  # warm: blocks from the cache, inheritance redone
        steps.append(counter.calls)
        assert warnings == [] and len(papers) == count  # the top @proceedings is a container
        first = next(p for p in papers if p.key == "e0")
        assert first.venue is not None and first.venue.text == "Top"  # booktitle from the top
        assert first.date.year == 1999 and first.pages == "0"
        assert first.publisher is not None and first.publisher.text == "Top Press"
    assert steps == [1000, 2000]  # each parent resolved once: ratio 2, not 4


def test_a_cycle_is_resolved_going_round_it_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, _chain(999, close=True))
    counter = _Steps(monkeypatch)
    papers, warnings = _read(path)
    assert counter.calls == 2 * 1000
    assert len(warnings) == 1000 and len(papers) == 1000
    assert warnings[0] == (
        "1: crossref cycle: e0 -> e1 -> e2 -> e3 -> e4 -> ... (991 more) -> e996 -> e997 -> "
        "e998 -> e999 -> e0"
    )
    assert all(len(w) < 200 for w in warnings)  # not a 1,000-key chain in each of 1,000 lines
    by_key = {p.key: p for p in papers}
    assert by_key["e0"].publisher is None and by_key["e5"].date.year == 1999


def test_a_20000_long_chain_finishes_without_recursion(tmp_path: Path) -> None:
    count = 20_000
    papers, warnings = _read(_write(tmp_path, _chain(count)))
    assert warnings == [] and len(papers) == count  # the top @proceedings is a container
    assert all(p.venue is not None and p.venue.text == "Top" for p in papers[:count])
    assert all(p.date.year == 1999 for p in papers)


def test_cycles_and_unknown_parents_are_still_warnings(tmp_path: Path) -> None:
    text = """\
@inproceedings{self, title = {Self}, crossref = {SELF}}
@inproceedings{a, title = {A}, crossref = {b}}
@inproceedings{b, title = {B}, xref = {a}}
@inproceedings{into, title = {Into}, crossref = {a}}
@inproceedings{lost, title = {Lost}, crossref = {c1}}
@inproceedings{c1, title = {C1}, crossref = {nowhere}}
@inproceedings{x, title = {X}, xref = {nowhere}}
@inproceedings{list, title = {List}, crossref = {a, b}}
"""
    papers, warnings = _read(_write(tmp_path, text))
    assert len(papers) == 8
    assert warnings == [
        "1: crossref cycle: self -> self",
        "2: xref cycle: a -> b -> a",
        "3: crossref cycle: b -> a -> b",
        "4: xref cycle: into -> a -> b -> a",
        "5: crossref to unknown entry 'nowhere'",
        "6: crossref to unknown entry 'nowhere'",
    ]


def test_long_chain_into_a_cycle_names_its_ends(tmp_path: Path) -> None:
    """A chain of 30 running into a cycle of 3: 33 warnings, each cut to its two ends."""
    lines = [f"@misc{{t{i}, title = {{T{i}}}, crossref = {{t{i + 1}}}}}" for i in range(29)]
    lines.append("@misc{t29, title = {T29}, crossref = {c0}}")
    lines += [f"@misc{{c{i}, title = {{C{i}}}, crossref = {{c{(i + 1) % 3}}}}}" for i in range(3)]
    papers, warnings = _read(_write(tmp_path, "\n".join(lines) + "\n"))
    assert len(papers) == 33 and len(warnings) == 33
    assert warnings[0] == (
        "1: crossref cycle: t0 -> t1 -> t2 -> t3 -> t4 -> ... (25 more) -> c0 -> c1 -> c2 -> c0"
    )
    assert warnings[27] == "28: crossref cycle: t27 -> t28 -> t29 -> c0 -> c1 -> c2 -> c0"
    assert warnings[30] == "31: crossref cycle: c0 -> c1 -> c2 -> c0"


def test_inherited_fields_are_bounded_nearest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chain of 2,000 entries, each with a field of its own: unbounded, the entries would
    inherit 2,000,000 fields in all; each passes down at most the nearest 200."""
    count, cap = 2000, bib_entries._MAX_INHERITED
    lines = [
        f"@misc{{e{i}, title = {{E{i}}}, f{i} = {{{i}}}, crossref = {{e{i + 1}}}}}"
        for i in range(count)
    ]
    lines.append(f"@misc{{e{count}, title = {{Top}}, f{count} = {{top}}}}")
    passed: list[int] = []
    real = bib_entries._pass_down

    def measuring(
        key: str, entry: bib_entries._Entry, above: bib_entries._Inherited | None
    ) -> bib_entries._Inherited:
        result = real(key, entry, above)
        passed.append(len(result.fields))
        return result

    monkeypatch.setattr(bib_entries, "_pass_down", measuring)
    papers, warnings = _read(_write(tmp_path, "\n".join(lines) + "\n"))
    assert len(papers) == count + 1 and len(passed) == count
    assert max(passed) == cap and sum(passed) <= count * cap
    dropped = [w for w in warnings if "more than 200 fields" in w]
    assert len(dropped) == count - cap  # e0 .. e1799: their chains carry over 200
    assert dropped[0] == (
        "1: its crossref chain carries more than 200 fields: only the nearest 200 are "
        "inherited, the others skipped"
    )


def test_many_keyless_entries_alike_get_keys_in_linear_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[int] = []
    real = bib_entries._generated_key

    class Taken:
        """The set of taken keys, counting the lookups made in it."""

        def __init__(self, keys: set[str]) -> None:
            self.keys = keys

        def __contains__(self, key: object) -> bool:
            checks[-1] += 1
            return key in self.keys

    def counting(entry: bib_entries._Entry, taken: set[str], tried: dict[str, int]) -> str:
        return real(entry, cast(set[str], Taken(taken)), tried)

    monkeypatch.setattr(bib_entries, "_generated_key", counting)
    entry = "@article{,\n  author = {Doe, Jane},\n  year = 2020,\n  title = {Same Title},\n}\n"
    for count in (500, 1000):
        checks.append(0)
        papers, _ = _read(_write(tmp_path, entry * count, f"keyless{count}.bib"))
        assert [p.key for p in papers[:3]] == ["doe2020same", "doe2020same-2", "doe2020same-3"]
        assert len({p.key for p in papers}) == count
    assert checks == [2 * 500 - 1, 2 * 1000 - 1]


# --- the resolution against the walk it replaced ----------------------------------------------


def _walk_each_chain(
    entries: dict[str, bib_entries._Entry], warnings: Warnings, *, as_written: bool
) -> None:
    """The previous _inherit, quadratic (each entry walked its whole chain). It read each
    parent's fields as the walk had already filled them, so its result could depend on the
    order of the entries; `as_written` reads parents' own fields, the order-free reading."""
    written = copy.deepcopy(entries)
    lower = {k.lower(): k for k in entries}
    for key, entry in entries.items():
        chain = [key.lower()]
        current = entry
        while True:
            link = "crossref" if current.fields.get("crossref") else "xref"
            parent_key = current.fields.get(link, "").strip()
            if not parent_key or "," in parent_key:
                break
            target = lower.get(parent_key.lower())
            if target is None:
                if link == "crossref":
                    warnings.warn(
                        f"crossref to unknown entry '{parent_key}'",
                        file=entry.path,
                        line=entry.line,
                    )
                break
            if target.lower() in chain:
                warnings.warn(
                    f"{link} cycle: {' -> '.join([*chain, target.lower()])}",
                    file=entry.path,
                    line=entry.line,
                )
                break
            chain.append(target.lower())
            parent = written[target] if as_written else entries[target]
            for name, value in parent.fields.items():
                if name in bib_entries._NOT_INHERITED:
                    continue
                target_name = name
                if name == "title" and parent.kind in bib_entries._BOOK_PARENTS:
                    target_name = "booktitle"
                elif name == "booktitle" and parent.kind in bib_entries._BOOK_PARENTS:
                    continue
                if target_name not in entry.fields:
                    entry.fields[target_name] = value
            for role, persons in parent.persons.items():
                if role not in entry.persons:
                    entry.persons[role] = persons
            current = parent


KINDS = ["article", "inproceedings", "proceedings", "book", "mvbook", "collection", "misc"]
FIELDS = ["title", "booktitle", "year", "publisher", "label", "note", "key"]


@st.composite
def _graphs(draw: st.DrawFn) -> list[bib_entries._Entry]:
    """Up to 7 entries, each of any type, with some fields and names, linked by crossref or
    xref to another entry, itself, an unknown key, a list, or nothing."""
    count = draw(st.integers(1, 7))
    keys = [f"k{i}" for i in range(count)]
    out: list[bib_entries._Entry] = []
    for index, key in enumerate(keys):
        fields = {name: f"{name} of {key}" for name in draw(st.sets(st.sampled_from(FIELDS)))}
        target = draw(st.sampled_from([*keys, *(k.upper() for k in keys), "gone", "k0, k1", " "]))
        for link in draw(st.sets(st.sampled_from(["crossref", "xref"]))):
            fields[link] = target if link == "crossref" or "crossref" not in fields else "k0"
        roles = draw(st.sets(st.sampled_from(["author", "editor"])))
        persons = {role: [["", "", f"{role} of {key}", ""]] for role in roles}
        kind = draw(st.sampled_from(KINDS))
        out.append(bib_entries._Entry(kind, key, fields, persons, index + 1, "", Path("g.bib")))
    return out


def _resolve(
    entries: list[bib_entries._Entry], how: str
) -> tuple[dict[str, tuple[dict[str, str], Any]], list[tuple[int | None, str]]]:
    table = {e.key or "": copy.deepcopy(e) for e in entries}
    warnings = Warnings()
    if how == "new":
        bib_entries._inherit(table, warnings)
    else:
        _walk_each_chain(table, warnings, as_written=how == "as-written")
    resolved = {k: (e.fields, e.persons) for k, e in table.items()}
    return resolved, [(p.line, p.message) for p in warnings.items]


def _order_matters(entries: list[bib_entries._Entry]) -> bool:
    """Whether the previous walk's fields could depend on the entries' order. It read parents
    as it had already filled them, which showed in two cases: a book-like entry without a title
    of its own but with a parent (it passed on, as booktitle, a title it had inherited, when it
    came first), and a chain into a cycle (an entry's own title could come back round)."""
    lower = {e.key.lower(): e for e in entries if e.key}
    for entry in entries:
        linked = entry.fields.get("crossref") or entry.fields.get("xref")
        if entry.kind in bib_entries._BOOK_PARENTS and "title" not in entry.fields and linked:
            return True
        seen: set[str] = set()
        node: bib_entries._Entry | None = entry
        while node is not None and node.key not in seen:
            seen.add(node.key or "")
            link = "crossref" if node.fields.get("crossref") else "xref"
            node = lower.get(node.fields.get(link, "").strip().lower())
        if node is not None:  # the chain runs into a cycle
            return True
    return False


@settings(max_examples=600, deadline=None)
@given(_graphs())
def test_resolution_matches_the_walk_it_replaced(entries: list[bib_entries._Entry]) -> None:
    new = _resolve(entries, "new")
    assert new == _resolve(entries, "as-written")
    previous = _resolve(entries, "previous")
    assert new[1] == previous[1]  # the warnings never depended on the order
    if not _order_matters(entries):
        assert new[0] == previous[0]
    # and, unlike the previous walk, the order of the entries never matters
    fields, warnings = _resolve(entries[::-1], "new")
    assert fields == new[0] and sorted(warnings) == sorted(new[1])


def test_an_entry_in_a_cycle_does_not_inherit_its_own_title() -> None:
    def entry(kind: str, key: str, **fields: str) -> bib_entries._Entry:
        return bib_entries._Entry(kind, key, fields, {}, 1, "", Path("c.bib"))

    child = entry("article", "child", crossref="proc")
    proc = entry("proceedings", "proc", title="Proc", crossref="child")
    resolved, warnings = _resolve([child, proc], "new")
    assert resolved["child"][0]["booktitle"] == "Proc"
    assert "booktitle" not in resolved["proc"][0]
    assert [m for _, m in warnings] == [
        "crossref cycle: child -> proc -> child",
        "crossref cycle: proc -> child -> proc",
    ]
    # the walk, which read the child as it had filled it, gave proc its own title back
    assert _resolve([child, proc], "previous")[0]["proc"][0]["booktitle"] == "Proc"


def test_the_previous_walk_depended_on_the_order_and_this_does_not() -> None:
    """The one case where the walk's filling-in showed: a @proceedings without a title whose
    own parent has one. Read as written (BibTeX's order, parents after children), the child
    inherits that title as its title; the walk gave it as booktitle only when the proceedings
    came first in the file."""

    def entry(kind: str, key: str, **fields: str) -> bib_entries._Entry:
        return bib_entries._Entry(kind, key, fields, {}, 1, "", Path("o.bib"))

    child = entry("inproceedings", "child", crossref="proc")
    proc = entry("proceedings", "proc", crossref="series", year="2001")
    series = entry("misc", "series", title="Series Title")
    for order in ([child, proc, series], [series, proc, child]):
        (resolved, _) = _resolve(order, "new")
        assert resolved["child"][0].get("title") == "Series Title"
        assert "booktitle" not in resolved["child"][0]
    previous = _resolve([series, proc, child], "previous")[0]
    assert previous["child"][0].get("booktitle") == "Series Title"


def _corpus_chains() -> Iterator[Path]:
    for name in ("fixtures/biber_crossrefs.bib", "dblp_homepage_crossref.bib", "bibtex_xampl.bib"):
        yield CORPUS / name


@pytest.mark.parametrize("path", list(_corpus_chains()), ids=lambda p: p.name)
def test_real_crossref_files_resolve_as_the_walk_did(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not path.is_file():
        pytest.skip(f"shared corpus not present at {CORPUS}")
    papers, warnings = _read(path)

    def previous(entries: dict[str, bib_entries._Entry], warned: Warnings) -> None:
        _walk_each_chain(entries, warned, as_written=False)

    monkeypatch.setattr(bib_entries, "_inherit", previous)
    old_papers, old_warnings = _read(path)
    assert papers == old_papers
    strip = re.compile(r"\n  tip: .*")
    assert [strip.sub("", w) for w in warnings] == old_warnings
