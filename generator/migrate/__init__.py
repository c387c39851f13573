"""`scholarpage migrate alfolio|academicpages|hugoblox SRC DEST`: read another generator's site
(untrusted input, never written to) and write a scholarpage site into a new DEST, reporting what
could not be carried over with its file and line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from generator.errors import ScholarpageError
from generator.migrate import academicpages, alfolio, hugoblox
from generator.migrate.read import Source
from generator.migrate.write import Draft, Lost, MigrateReport, check_dest, write_site

GENERATORS: dict[str, Callable[[Source, Draft], None]] = {
    "alfolio": alfolio.migrate,
    "academicpages": academicpages.migrate,
    "hugoblox": hugoblox.migrate,
}

__all__ = ["GENERATORS", "Lost", "MigrateReport", "migrate_site"]


def migrate_site(generator: str, src: Path, dest: Path) -> MigrateReport:
    """Gather the whole new site from SRC, then write it into DEST in one step."""
    if generator not in GENERATORS:
        raise ScholarpageError.single(
            f"unknown generator {generator!r}", hint=f"use one of {', '.join(GENERATORS)}"
        )
    check_dest(src, dest)  # before reading anything: a refused DEST costs nothing
    draft = Draft()
    GENERATORS[generator](Source(src, draft), draft)
    frozen = draft.freeze()
    files = write_site(src, dest, frozen)
    return MigrateReport(generator, src, dest, files, frozen.carried, frozen.lost)
