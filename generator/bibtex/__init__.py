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

The steps live in four modules: `scan` (file -> blocks), `block` (block -> parsed fields),
`entries` (duplicates and crossref) and `paper` (entry -> Paper). This package re-exports them
and composes them in `read_papers`, which looks each step up here, so a caller (or a test) that
replaces `generator.bibtex.parse_block` replaces it for both compositions.
"""

from __future__ import annotations

from generator.bibtex.block import (
    expanded,
    expansion_budget,
    initial_macros,
    memoisable,
    parse_block,
    valid_block,
)
from generator.bibtex.entries import _Entry, block_entry, resolve_entries
from generator.bibtex.paper import (
    Converter,
    arxiv_id,
    category_code,
    convert_latex,
    parse_date,
    parse_month,
    to_paper,
    valid_conversion,
)
from generator.bibtex.scan import (
    SPECIAL_KINDS,
    RawEntry,
    decode_bib,
    entry_blocks,
    read_text,
    split_entries,
)
from generator.errors import Problem, ScholarpageError, Warnings
from generator.model import BadgeSpec, BibSource, Paper

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
    "parse_date",
    "parse_month",
    "read_papers",
    "read_text",
    "resolve_entries",
    "split_entries",
    "to_paper",
    "valid_block",
    "valid_conversion",
]


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
