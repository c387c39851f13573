"""The site's own files that papers link to by path: found on the reading side, before assemble.

This is a disk read (is the file there, may it be published), so it runs with the other readers
and hands `assemble_site` the (published path, source) pairs; rendering only reads them.
"""

from __future__ import annotations

from pathlib import Path

from generator.errors import Warnings
from generator.model import Paper
from generator.sources import PUBLISHED, publishable
from generator.urls import link_target

LINK_FIELDS = (("PDF", "pdf"), ("Code", "code"), ("Slides", "slides"), ("Web", "url"))
"""The BibTeX fields that link somewhere, with the label a paper's link gets."""


def paper_files(
    site_dir: Path,
    papers: tuple[Paper, ...],
    warnings: Warnings,
    published: frozenset[str] = frozenset(),
) -> tuple[tuple[str, Path], ...]:
    """The site's own files that papers link to by path (`pdf = {files/a.pdf}`), to publish at
    the same path. One that may not be published (missing, outside the site folder once symlinks
    are followed, hidden, not a regular file, too large: see sources.publishable) is a warning
    at its entry and gets no link (a broken link helps nobody)."""
    found: dict[str, Path] = {}
    for paper in papers:
        for _, field in LINK_FIELDS:
            value = getattr(paper, field)
            target = link_target(value) if value else None
            if target is None or target[0] != "file":
                continue
            path = target[1]
            if path in published:  # content/files/ publishes it (generator/files.py)
                continue
            source = publishable(site_dir, path, PUBLISHED)
            if isinstance(source, Path):
                found[path] = source
                continue
            warnings.warn(
                f"{field} {source.reason}: {value} (no link is shown)",
                file=paper.source,
                line=paper.line,
                key=field,
                hint=source.hint,
            )
    return tuple(sorted(found.items()))
