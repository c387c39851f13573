"""Every real .bib in ../shared/corpus/bib/ (and its fixtures/) builds in lenient mode: no entry is
lost silently, no raw `\\command` reaches a page, math becomes MathML.

The corpus is data written by others; it is read in place and skipped when absent. Each file is
built once per session (a session-scoped fixture) and checked by several tests. Files with more
than BIG entries run the whole `build_site` with its last stage (writing files) replaced by keeping
the pages in memory, so thousands of pages are not written to disk; the others write for real.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import build
from generator.assemble import unique_slugs
from generator.bibtex import SPECIAL_KINDS, decode_bib, read_papers, split_entries
from generator.build import build_site
from generator.errors import Warnings
from generator.model import BibSource, Output, Paper, Site
from generator.render import render_site
from generator.theme import Theme
from tests.conftest import SHARED

CORPUS = SHARED / "corpus" / "bib"
INDEX = CORPUS.parent / "INDEX.md"
BIG = 1500
# Files not in UTF-8 without a coding cookie: the encoding a user would set in site.yaml.
ENCODINGS = {
    "ieeetran_abrv_strings.bib": "latin-1",
    "fixtures/biber_encoding_latin9_key.bib": "iso8859-15",
    "fixtures/bibtexparser_gbk_test.bib": "gbk",
}
# Files whose @string macros live in another file, listed first in site.yaml.
STRINGS_FIRST = {
    "ieeetran_example.bib": "ieeetran_abrv_strings.bib",
    "biber_papers_constraints.bib": "biber_papers_definitions_strings.bib",
}
_RAW_COMMAND = re.compile(r"\\[A-Za-z]+")
_NOT_TEXT = re.compile(
    r'<pre class="bibtex".*?</pre>|<script\b.*?</script>|<style\b.*?</style>', re.S | re.I
)
_ATTRIBUTES = re.compile(r'\b(?:content|title|alt|aria-label)="([^"]*)"')


def _corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    files = sorted(CORPUS.glob("*.bib")) + sorted(CORPUS.glob("fixtures/*.bib"))
    return [str(f.relative_to(CORPUS)) for f in files]


pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not present at {CORPUS}"),
]


@dataclass(frozen=True)
class Built:
    """One corpus file built as a site: its papers, warnings and rendered pages."""

    rel: str
    entries: int
    papers: tuple[Paper, ...]
    slugs: tuple[str, ...]
    warnings: tuple[str, ...]
    skipped_lines: frozenset[int]
    containers: frozenset[str]
    pages: dict[str, str]


_KEY = re.compile(r"@[ \t]*[\w:-]+[ \t\r\n]*[{(][ \t\r\n]*([^,\s]+)[ \t\r\n]*,")
_CROSSREF = re.compile(r"(?:^|[,\s])crossref[ \t]*=[ \t]*[{\"][ \t]*([^}\"\s]+)", re.I | re.M)
_AUTHOR = re.compile(r"(?:^|[,\s])author[ \t]*=", re.I | re.M)
_SELECTED = re.compile(r"(?:^|[,\s])selected[ \t]*=[ \t]*[{\"]?[ \t]*(?:true|yes|1)\b", re.I | re.M)


def _containers(rel: str) -> frozenset[str]:
    """Crossref containers by plain regexes over each block (not the build's parser): entries
    another entry crossrefs, of a volume type, with no author and no `selected`, that no crossref
    loop returns to."""
    path = CORPUS / rel
    text = decode_bib(path.read_bytes(), path, ENCODINGS.get(rel))
    blocks: dict[str, str] = {}
    volumes: set[str] = set()
    for block in split_entries(text):
        found = _KEY.match(block.text)
        name = found.group(1).lower() if found is not None else None
        if block.kind in SPECIAL_KINDS or name is None or name in blocks:
            continue  # the first of duplicate keys is the entry, as in the build
        blocks[name] = block.text
        if re.fullmatch(
            r"(?:mv)?(?:proceedings|book|collection|reference)|periodical", block.kind, re.I
        ):
            volumes.add(name)
    up: dict[str, str] = {}
    for name, body in blocks.items():
        target = _CROSSREF.search(body)
        if target is not None and target.group(1).lower() in blocks:
            up[name] = target.group(1).lower()

    def looped(key: str) -> bool:
        seen, node = {key}, up.get(key)
        while node is not None and node not in seen:
            seen.add(node)
            node = up.get(node)
        return node == key

    return frozenset(
        key
        for child, key in up.items()
        if key != child
        and key in volumes
        and not looped(key)
        and not _AUTHOR.search(blocks[key])
        and not _SELECTED.search(blocks[key])
    )


def _entry_count(rel: str) -> int:
    """Entries in the file by our scanner, cross-checked by a plain line regex."""
    path = CORPUS / rel
    text = decode_bib(path.read_bytes(), path, ENCODINGS.get(rel))
    scanned = sum(1 for block in split_entries(text) if block.kind not in SPECIAL_KINDS)
    at_line_start = [
        m.group(1).lower()
        for m in re.finditer(r"^[ \t%]*@[ \t]*([\w:-]+)[ \t]*[{(]", text, re.M)
        if m.group(1).lower() not in SPECIAL_KINDS
    ]
    assert scanned == len(at_line_start), rel
    return scanned


def _index_raw_counts() -> dict[str, int]:
    """The 'raw @entries' column of INDEX.md's pybtex table (counted without `%@` lines)."""
    if not INDEX.is_file():
        return {}
    text = INDEX.read_text(encoding="utf-8")
    table = text[text.find("## 2.") :]
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^\| ([\w/.-]+\.bib) \| [^|]+\| (\d+) \|", table, re.M)
    }


def _write_site(root: Path, rel: str) -> None:
    (root / "content").mkdir(parents=True)
    (root / "content" / "profile.yaml").write_text("name: Corpus Test\n", encoding="utf-8")
    items = [rel] if rel not in STRINGS_FIRST else [STRINGS_FIRST[rel], rel]
    lines = ["today: 2026-11-28", "sort: file", "bibliography:"]
    for item in items:
        enc = ENCODINGS.get(item)
        path = (CORPUS / item).as_posix()
        lines.append(f"  - {{path: '{path}'" + (f", encoding: {enc}}}" if enc else "}"))
    (root / "site.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _build(root: Path, rel: str) -> Built:
    _write_site(root, rel)
    entries = _entry_count(rel)
    target = (CORPUS / rel).resolve()
    captured: dict[str, str] = {}

    def keep_in_memory(outputs: tuple[Output, ...], *args: object) -> None:
        for output in outputs:
            if output.path.endswith(".html"):
                captured[output.path] = output.content.decode("utf-8")

    sites: list[Site] = []

    def keep_site(site: Site, theme: Theme) -> tuple[Output, ...]:
        sites.append(site)
        return render_site(site, theme)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "render_site", keep_site)
        if entries <= BIG:
            result = build_site(root)
            out = result.out_dir
            for page in out.rglob("*.html"):
                captured[page.relative_to(out).as_posix()] = page.read_text(encoding="utf-8")
        else:
            patch.setattr(build, "write_site", keep_in_memory)
            result = build_site(root)
    # the papers exactly as the build read them (site.yaml sorts them in file order)
    papers = tuple(p for p in sites[0].papers if p.source.resolve() == target)
    mine = [p for p in result.warnings if p.file is not None and p.file.resolve() == target]
    return Built(
        rel=rel,
        entries=entries,
        papers=papers,
        slugs=unique_slugs(papers),
        warnings=tuple(p.format() for p in mine),
        skipped_lines=frozenset(p.line or 0 for p in mine if "skipped" in p.message),
        containers=_containers(rel),
        pages=captured,
    )


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Built]]:
    """Builds a corpus file once per session, on first use; removes the sites afterwards."""
    built: dict[str, Built] = {}
    roots: list[Path] = []

    def get(rel: str) -> Built:
        if rel not in built:
            root = tmp_path_factory.mktemp(re.sub(r"\W+", "-", rel))
            roots.append(root)
            built[rel] = _build(root / "site", rel)
        return built[rel]

    yield get
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("rel", _corpus_files())
def test_no_entry_lost_silently(rel: str, corpus_build: Callable[[str], Built]) -> None:
    built = corpus_build(rel)
    paper_pages = [p for p in built.pages if re.fullmatch(r"papers/[^/]+/index\.html", p)]
    assert len(paper_pages) == len(built.papers)
    # a crossref container is not lost: its fields are in the papers that crossref it
    counted = len(built.papers) + len(built.skipped_lines) + len(built.containers)
    assert counted == built.entries, built.warnings
    raw = _index_raw_counts().get(rel)
    if raw is not None and "%@" not in (CORPUS / rel).read_bytes().decode("latin-1"):
        assert raw == built.entries


@pytest.mark.parametrize("rel", _corpus_files())
def test_no_crossref_container_is_listed(rel: str, corpus_build: Callable[[str], Built]) -> None:
    """DBLP's "with crossref" @proceedings are venues, not papers of the owner (issue 14)."""
    built = corpus_build(rel)
    assert not {p.key.lower() for p in built.papers} & built.containers


def test_dblp_homepage_lists_no_proceedings() -> None:
    """The real DBLP homepage export: 39 of its 157 entries are @proceedings that papers
    crossref; none is a paper, and every paper that crossrefs one takes its venue."""
    rel = "dblp_homepage_crossref.bib"
    if not (CORPUS / rel).is_file():
        pytest.skip(f"{rel} not in the corpus")
    assert len(_containers(rel)) == 39
    papers = read_papers((BibSource(CORPUS / rel, None),), (), Warnings())
    assert len(papers) == 157 - 39
    assert not [p.key for p in papers if p.entry_type == "proceedings"]
    text = (CORPUS / rel).read_text(encoding="utf-8")
    citing = {
        m.group(1)
        for m in re.finditer(r"@\w+\{([^,]+),(?:(?!\n@).)*?crossref\s*=\s*\{", text, re.S)
    }
    assert citing
    assert all(p.venue is not None for p in papers if p.key in citing)


@pytest.mark.parametrize("rel", _corpus_files())
def test_every_paper_has_its_page(rel: str, corpus_build: Callable[[str], Built]) -> None:
    built = corpus_build(rel)
    for slug in built.slugs:
        assert f"papers/{slug}/index.html" in built.pages, slug


@pytest.mark.parametrize("rel", _corpus_files())
def test_no_raw_latex_on_any_page(rel: str, corpus_build: Callable[[str], Built]) -> None:
    built = corpus_build(rel)
    found: list[str] = []
    for path, page in built.pages.items():
        shown = _NOT_TEXT.sub(" ", page)
        texts = [html.unescape(re.sub(r"<[^>]*>", " ", shown))]
        texts += [html.unescape(v) for v in _ATTRIBUTES.findall(shown)]
        for text in texts:
            for m in _RAW_COMMAND.finditer(text):
                found.append(f"{path}: {text[max(m.start() - 40, 0) : m.end() + 20]!r}")
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize("rel", _corpus_files())
def test_math_fields_become_mathml(rel: str, corpus_build: Callable[[str], Built]) -> None:
    built = corpus_build(rel)
    for paper, slug in zip(built.papers, built.slugs, strict=True):
        if paper.has_math:
            assert "<math" in built.pages[f"papers/{slug}/index.html"], paper.key
