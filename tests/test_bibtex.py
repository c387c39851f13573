"""Reading BibTeX: every entry becomes a paper or a warning naming file:line (fixtures in
tests/fixtures/bib/, one per failure mode, modelled on real exports in ../shared/corpus/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import bibtex, latex
from generator.bibtex import block as bib_block
from generator.bibtex import read_papers, split_entries
from generator.cache import CACHE_DIR_NAME
from generator.errors import ScholarpageError, Warnings
from generator.incremental import PaperReader
from generator.model import BibSource, Paper

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bib"


def _read(*names: str | tuple[str, str]) -> tuple[tuple[Paper, ...], list[str]]:
    """Papers and the warnings as 'file:line: message' lines."""
    sources = tuple(
        BibSource(FIXTURES / n) if isinstance(n, str) else BibSource(FIXTURES / n[0], n[1])
        for n in names
    )
    warnings = Warnings()
    papers = read_papers(sources, (), warnings)
    lines = [f"{p.file.name if p.file else ''}:{p.line}: {p.message}" for p in warnings.items]
    return papers, lines


def _by_key(papers: tuple[Paper, ...]) -> dict[str, Paper]:
    return {p.key: p for p in papers}


def test_entries_pybtex_drops_are_recovered() -> None:
    papers, warnings = _read("recovery.bib")
    assert [p.key for p in papers] == ["Paren:91", "doe2020keyless", "after"]
    paren, keyless, after = papers
    assert paren.title.text == "Systematic Nonlinear Planning"
    assert [a.text for a in paren.authors] == ["David McAllester", "David Rosenblitt"]
    assert paren.venue is not None and paren.venue.text == "AAAI-91"  # the macro's name
    assert keyless.title.text == "Keyless but kept" and keyless.line == 9
    assert after.venue is not None and after.venue.text == "UNDEFINED Letters"
    assert warnings == [
        "recovery.bib:5: undefined @string macro 'AAAI-91' (its name is shown instead)",
        "recovery.bib:17: undefined @string macro 'UNDEFINED' (its name is shown instead)",
        "recovery.bib:9: entry has no citation key; using 'doe2020keyless'",
    ]


def test_duplicate_keys_and_fields_keep_the_first() -> None:
    papers, warnings = _read("duplicates.bib")
    assert [(p.key, p.title.text) for p in papers] == [("Same", "First of two")]
    assert "bibsource = {one}" in papers[0].bibtex
    assert warnings == [
        "duplicates.bib:4: duplicate field 'bibsource' (first on line 3); the first is kept",
        "duplicates.bib:8: duplicate key 'same': entry skipped, the one at duplicates.bib:1 "
        "is kept",
    ]


def test_strings_from_an_earlier_file() -> None:
    papers, warnings = _read("strings_defs.bib", "strings_use.bib")
    (paper,) = papers
    assert paper.venue is not None and paper.venue.text == "IEEE Electron Device Lett."
    assert paper.publisher is not None and paper.publisher.text == "Example Press, Inc."
    assert warnings == []
    _, alone = _read("strings_use.bib")
    assert alone == [
        "strings_use.bib:3: undefined @string macro 'IEEE_J_EDL' (its name is shown instead)",
        "strings_use.bib:4: undefined @string macro 'pub' (its name is shown instead)",
    ]


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("bom.bib", "Björk with a BOM"),
        ("latin1_cookie.bib", "Größe"),
        (("latin1_plain.bib", "latin-1"), "Café Straße"),
        (("gbk.bib", "gbk"), "中文标题"),
    ],
)
def test_encodings(source: str | tuple[str, str], title: str) -> None:
    (paper,), warnings = _read(source)
    assert paper.title.text == title and warnings == []


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("latin1_plain.bib", r"latin1_plain\.bib:2: cannot decode as UTF-8 at byte offset 30"),
        ("gbk.bib", r"gbk\.bib:2: cannot decode as UTF-8 at byte offset 25"),
    ],
)
def test_undecodable_file_is_a_clear_error(name: str, where: str) -> None:
    with pytest.raises(ScholarpageError, match=where) as info:
        _read(name)
    assert "encoding: latin-1" in str(info.value)


def test_unknown_encoding_is_named() -> None:
    with pytest.raises(ScholarpageError, match="unknown encoding 'klingon'"):
        _read(("bom.bib", "klingon"))


def test_crossref_inheritance_and_cycles() -> None:
    papers, warnings = _read("crossref.bib")
    child = _by_key(papers)["child"]
    assert child.venue is not None and child.venue.text == "Proceedings of the Example Conference"
    assert child.date.year == 2019 and child.pages == "1–10"
    assert child.publisher is not None and child.publisher.text == "Example Press"
    # `proc` is a crossref container (issue 14): its fields are in `child`, it is no paper
    assert sorted(p.key for p in papers) == ["child", "loop1", "loop2", "orphan"]
    assert warnings == [
        "crossref.bib:8: crossref cycle: loop1 -> loop2 -> loop1",
        "crossref.bib:13: crossref cycle: loop2 -> loop1 -> loop2",
        "crossref.bib:18: crossref to unknown entry 'nowhere'",
    ]


def test_names() -> None:
    (paper,), warnings = _read("names.bib")
    parts = [(a.first, a.von, a.last, a.jr) for a in paper.authors]
    assert parts == [
        ("Jan", "van der", "Berg", "Jr."),
        ("", "", "World Health Organization", ""),
        ("Alfred", "von", "Adler", ""),  # biblatex family=/given=/prefix=
        ("Ludwig", "van", "Beethoven", ""),
        ("", "", "Miller, D., Firby, J.", ""),
    ]
    assert paper.authors[0].text == "Jan van der Berg, Jr."
    assert paper.others is True
    assert warnings == [
        "names.bib:3: name 'Miller, D., Firby, J.' has more than two commas; shown as written"
    ]


def test_front_matter_specials_and_commented_out_entries() -> None:
    papers, warnings = _read("front_matter.bib")
    assert [(p.key, p.line) for p in papers] == [("real", 10), ("commented", 16)]
    assert papers[0].venue is not None and papers[0].venue.text == "Example"
    assert papers[1].title.text == "Commented-out, but BibTeX reads it"
    assert papers[1].date.year == 1990
    # BibTeX itself stops at the `%` lines; we say so and keep what is readable
    assert warnings == [
        "front_matter.bib:17: BibTeX syntax error: '}' expected (and 2 more in this entry)"
    ]
    text = (FIXTURES / "front_matter.bib").read_text(encoding="utf-8")
    kinds = [b.kind for b in split_entries(text)]
    assert kinds == ["preamble", "string", "comment", "article", "book"]


def test_unbalanced_brace_costs_one_field_at_most() -> None:
    papers, warnings = _read("unbalanced.bib")
    broken, following = papers
    assert broken.publisher is not None and broken.publisher.text == "Taylor & Francis"
    assert broken.doi == "10.1080/0899" and broken.date.year == 2009
    assert following.title.text == "The next entry survives"
    assert warnings == [
        "unbalanced.bib:1: unbalanced braces in @article: closed at the end of the open "
        "field's line"
    ]


def test_set_is_skipped_with_a_warning() -> None:
    papers, warnings = _read("set.bib")
    assert [p.key for p in papers] == ["a1", "a2"]
    assert warnings == [
        "set.bib:1: @set 'bundle' groups a1,a2: entry skipped (its members are shown as "
        "papers of their own)"
    ]


def test_months_and_dates() -> None:
    papers, warnings = _read("months.bib")
    dates = {p.key: (p.date.year, p.date.month, p.date.day) for p in papers}
    assert dates == {
        "m1": (2019, 3, None),
        "m2": (2019, 3, None),
        "m3": (2019, 9, None),
        "m4": (2013, 1, None),
        "m5": (2004, 4, 25),  # a range shows its start
        "m6": (None, None, None),  # open start: unknown
        "m7": (None, None, None),  # EDTF unspecified digits: unknown
        "m8": (2004, None, None),  # EDTF season: the year only
        "m9": (1997, None, None),  # circa
        "m10": (2000, 8, None),
        "m11": (None, None, None),  # BCE: not shown as a date
    }
    assert warnings == []


def test_parse_month_forms() -> None:
    for value, month in [
        ("mar", 3),
        ("{MAR}", 3),
        ("Sep.", 9),
        ("january", 1),
        ("12", 12),
        ("13", None),
        ("März", 3),
        ("", None),
    ]:
        assert bibtex.parse_month(value) == month, value


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"eprint": "2605.00001", "archiveprefix": "arXiv"}, "2605.00001"),
        ({"eprint": "hep-th/9901001", "archiveprefix": "arXiv"}, "hep-th/9901001"),
        ({"arxiv": "arXiv:1234.56789v2"}, "1234.56789v2"),
        ({"url": "https://arxiv.org/abs/2101.00001v3"}, "2101.00001"),
        # bbt_zotero_large_7k.bib: a Zotero export put a note and a URL in `arxiv`
        ({"arxiv": r"/www.pubmedcentral.nih.gov/articlerender.fcgi?artid=3006164\{"}, None),
        ({"eprint": "10.1000/xyz"}, None),
    ],
)
def test_arxiv_ids_are_validated(fields: dict[str, str], expected: str | None) -> None:
    assert bibtex.arxiv_id(fields) == expected


def test_short_fields_are_converted_to_text(tmp_path: Path) -> None:
    bib = tmp_path / "short.bib"
    # bbt_paren_delimited_ai_library.bib: `volume = {{\sc SMC}--13}`
    bib.write_text(
        "@article{k, title={T}, volume={{\\sc SMC}--13}, pages={59--60}, number={4\\,a}}\n",
        encoding="utf-8",
    )
    (paper,) = read_papers((BibSource(bib),), (), Warnings())
    assert (paper.volume, paper.pages, paper.number) == ("SMC–13", "59–60", "4\u2009a")


def test_split_entries_lines_and_paren_bodies() -> None:
    text = 'x\n@article(a, title = "(b)")\n\n @misc{c, note={)}}\n'
    blocks = list(split_entries(text))
    assert [(b.kind, b.line, b.repaired) for b in blocks] == [
        ("article", 2, False),
        ("misc", 4, False),
    ]
    assert blocks[0].text == '@article(a, title = "(b)")'


# --- the on-disk cache ----------------------------------------------------------------------


def _copy(tmp_path: Path, *names: str) -> tuple[BibSource, ...]:
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tuple(BibSource(tmp_path / name) for name in names)


def _run(sources: tuple[BibSource, ...], cache: Path) -> tuple[tuple[Paper, ...], list[str]]:
    """A build's reading (a new process: nothing in memory) through the disk cache `cache`."""
    warnings = Warnings()
    papers = PaperReader(cache).read(sources, (), warnings)
    return papers, [p.format() for p in warnings.items]


def test_cached_build_parses_and_converts_nothing_and_replays_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = _copy(tmp_path, "recovery.bib", "duplicates.bib", "names.bib")
    cache = tmp_path / CACHE_DIR_NAME
    cold = _run(sources, cache)
    assert (cache / "bibtex-blocks.json").is_file() and (cache / "latex.json").is_file()

    def forbidden(*args: object) -> None:
        raise AssertionError("cache miss")

    with monkeypatch.context() as patch:
        patch.setattr(bibtex, "parse_block", forbidden)
        patch.setattr(latex, "convert", forbidden)  # the module bibtex calls
        warm = _run(sources, cache)
    assert warm == cold
    plain = Warnings()
    assert (read_papers(sources, (), plain), [p.format() for p in plain.items]) == cold
    assert len(cold[1]) == 6


def test_cache_follows_edits_and_macros_of_earlier_files(tmp_path: Path) -> None:
    sources = _copy(tmp_path, "strings_defs.bib", "strings_use.bib")
    cache = tmp_path / CACHE_DIR_NAME
    (paper,), _ = _run(sources, cache)
    assert paper.venue is not None and paper.venue.text == "IEEE Electron Device Lett."
    defs = tmp_path / "strings_defs.bib"
    defs.write_text(defs.read_text().replace("Electron Device Lett.", "EDL"), encoding="utf-8")
    (paper,), _ = _run(sources, cache)
    assert paper.venue is not None and paper.venue.text == "IEEE EDL"


def test_corrupted_cache_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    sources = _copy(tmp_path, "recovery.bib")
    cache = tmp_path / CACHE_DIR_NAME
    expected = _run(sources, cache)
    for name, junk in (("bibtex-blocks.json", b"\x00{not json"), ("latex.json", b'{"items": 3}')):
        (cache / name).write_bytes(junk)
    assert _run(sources, cache) == expected
    assert (cache / "bibtex-blocks.json").read_bytes().startswith(b'{"fingerprint"')
    assert _run(sources, cache) == expected


def test_unwritable_cache_is_only_a_lost_speed_up(tmp_path: Path) -> None:
    sources = _copy(tmp_path, "recovery.bib")
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x", encoding="utf-8")
    papers, _ = _run(sources, blocker / "cache")
    assert len(papers) == 3


# --- the in-memory memo (serve) ---------------------------------------------------------------

MEMO_BIB = """\
@article{one,
  title = {One \\foo{A} Title},
  author = {Alice Example and Bob \\foo{B}},
  year = {2024},
  citations = {many},
}

@article{two,
  title = {Two \\foo{C} and 50% off},
  author = {Carol Li},
  year = {2023},
}

@article{three,
  author = {Dan Ray},
  year = {2022},
  crossref = {proc},
}

@proceedings{proc,
  title = {Proceedings of Things},
  year = {2022},
}
"""


def _memo_run(
    path: Path, cache: Path, reader: PaperReader | None
) -> tuple[tuple[Paper, ...], list[str]]:
    """Read through `reader` (serve's, kept between builds), or a new one (None)."""
    warnings = Warnings()
    papers = (reader or PaperReader(cache)).read((BibSource(path),), (), warnings)
    return papers, [p.format() for p in warnings.items]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("One \\foo{A} Title", "One Renamed Title"),  # the macro is now first reported by `two`
        ("Carol Li", "Carol \\bar{Li}"),
        ("Proceedings of Things", "Proceedings of Other Things"),  # a crossref parent
        ("@article{two,", "@article{two2,"),
        ("  year = {2024},\n", "  year = {2024},\n\n"),  # moves every later entry a line down
    ],
)
def test_memo_edit_reads_like_a_cold_run_and_converts_only_the_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    path = tmp_path / "papers.bib"
    path.write_text(MEMO_BIB, encoding="utf-8")
    served = tmp_path / "served-cache"
    memo = PaperReader(served)
    first = _memo_run(path, served, memo)
    assert first == _memo_run(path, tmp_path / "cold-0", None)
    assert any("\\foo" in line for line in first[1])

    path.write_text(MEMO_BIB.replace(old, new), encoding="utf-8")
    parsed: list[str] = []
    real_parse = bibtex.parse_block

    def counting(
        text: str, macros: dict[str, str], budget: int = bib_block._BLOCK_EXPANSION
    ) -> dict[str, object]:
        parsed.append(text)
        return real_parse(text, macros, budget)

    with monkeypatch.context() as patch:
        patch.setattr(bibtex, "parse_block", counting)
        warm = _memo_run(path, served, memo)
    cold_cache = tmp_path / "cold-1"
    assert warm == _memo_run(path, cold_cache, None)
    assert len(parsed) <= 1, "only the edited block is parsed again"
    for name in ("bibtex-blocks.json", "latex.json"):
        assert (served / name).read_bytes() == (cold_cache / name).read_bytes(), name
    # nothing changed: the same Paper objects, the same warnings, no table rewritten
    stamp = (served / "latex.json").stat().st_mtime_ns
    again = _memo_run(path, served, memo)
    assert again == warm and all(a is b for a, b in zip(again[0], warm[0], strict=True))
    assert (served / "latex.json").stat().st_mtime_ns == stamp


# Crossref containers (issue 14), on snippets shaped as in ../shared/corpus/bib: DBLP's
# dblp_homepage_crossref.bib (@proceedings with editors that papers crossref), biblatex's
# biblatex_examples.bib (@inbook -> @book with an author, @mvbook chains), bibtex_xampl.bib.
_DBLP_CHILD = """@inproceedings{DBLP:conf/stoc/FournierL0T24,
  author = {Herv{\\'{e}} Fournier and Nutan Limaye},
  title = {Lower Bounds},
  booktitle = {{STOC}},
  crossref = {%s},
  year = {2024}
}
"""
_DBLP_PROC = """@proceedings{DBLP:conf/stoc/2024,
  editor = {Bojan Mohar and Igor Shinkar},
  title = {Proceedings of the 56th Annual {ACM} Symposium on Theory of Computing, {STOC} 2024},
  publisher = {{ACM}},
  year = {2024}%s
}
"""


@pytest.mark.parametrize(
    ("bib", "listed"),
    [
        # DBLP: an editors-only @proceedings that a paper crossrefs is a venue, not a paper
        (_DBLP_CHILD % "DBLP:conf/stoc/2024" + _DBLP_PROC % "", ["DBLP:conf/stoc/FournierL0T24"]),
        # crossref keys match case-insensitively, as BibTeX matches them
        (_DBLP_CHILD % "dblp:CONF/stoc/2024" + _DBLP_PROC % "", ["DBLP:conf/stoc/FournierL0T24"]),
        # the owner marks the proceedings as theirs: it stays a paper
        (
            _DBLP_CHILD % "DBLP:conf/stoc/2024" + _DBLP_PROC % ",\n  selected = {true}",
            ["DBLP:conf/stoc/2024", "DBLP:conf/stoc/FournierL0T24"],
        ),
        # nothing crossrefs it: an edited volume of the owner's is a paper
        (_DBLP_PROC % "", ["DBLP:conf/stoc/2024"]),
        # a book with an author of its own, whose chapter crossrefs it, is a paper too
        (
            "@inbook{chap, author = {A. Writer}, title = {Ch}, crossref = {book}}\n"
            "@book{book, author = {A. Writer}, title = {The Book}, year = 2001}\n",
            ["book", "chap"],
        ),
        # a chain: only what is crossreffed and authorless is a container, at every level
        (
            "@inproceedings{p, author = {A. B}, title = {P}, crossref = {vol}}\n"
            "@proceedings{vol, editor = {E. D}, title = {Vol}, crossref = {mv}}\n"
            "@mvproceedings{mv, editor = {E. D}, title = {All}, year = 1999}\n",
            ["p"],
        ),
        # a crossref loop: no member is only the venue of another, all stay
        (
            "@inproceedings{l1, title = {One}, crossref = {l2}}\n"
            "@proceedings{l2, title = {Two}, crossref = {l1}}\n",
            ["l1", "l2"],
        ),
        # an entry crossreffing itself is not its own container
        ("@proceedings{self, editor = {E. D}, title = {S}, crossref = {self}}\n", ["self"]),
    ],
)
def test_crossref_containers_are_not_papers(tmp_path: Path, bib: str, listed: list[str]) -> None:
    path = tmp_path / "refs.bib"
    path.write_text(bib, encoding="utf-8")
    warnings = Warnings()
    papers = read_papers((BibSource(path),), (), warnings)
    assert sorted(p.key for p in papers) == sorted(listed)
    assert not [w for w in warnings.items if "skipped" in w.message]
    cached = PaperReader(tmp_path / CACHE_DIR_NAME)  # the incremental reader agrees
    again = cached.read((BibSource(path),), (), Warnings())
    assert [p.key for p in again] == [p.key for p in papers]
