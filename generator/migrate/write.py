"""The migrated site as data (`Draft` -> `SiteDraft`), and writing it into DEST all at once.

Every generator module gathers everything first (texts to write, files to copy, what was lost)
and only then `write_site` writes: into a fresh hidden folder beside DEST, renamed to DEST at the
end, so an error or Ctrl-C at any point leaves no half-written site. DEST must be new or empty
and may not lie inside SRC (nor SRC inside DEST): a migration never writes into its source.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from generator.errors import ScholarpageError
from generator.sources import PUBLISHED, read_input

MAX_FILES = 20_000
"""Files one migration may write; a homepage has a few hundred at most."""
MAX_BYTES = 2 * 1024 * 1024 * 1024
"""Bytes one migration may copy (GitHub Pages sites are limited to 1 GB)."""


@dataclass(frozen=True)
class Lost:
    """Something in SRC that the new site does not carry, and where it is."""

    file: Path
    line: int | None
    what: str

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        return f"{where}: {self.what}"


@dataclass(frozen=True)
class SiteDraft:
    """The whole new site: texts by relative path, files to copy (path -> checked source), what
    was carried over (for the report) and what was lost."""

    texts: tuple[tuple[str, bytes], ...]
    copies: tuple[tuple[str, Path], ...]
    carried: tuple[str, ...]
    lost: tuple[Lost, ...]


@dataclass(frozen=True)
class MigrateReport:
    generator: str
    src: Path
    dest: Path
    files: int
    carried: tuple[str, ...]
    lost: tuple[Lost, ...]


@dataclass
class Draft:
    """Collects one migration's output (local to one call; frozen into a SiteDraft)."""

    texts: dict[str, bytes] = field(default_factory=dict)
    copies: dict[str, Path] = field(default_factory=dict)
    carried: list[str] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)

    def lose(self, file: Path, line: int | None, what: str) -> None:
        self.lost.append(Lost(file, line, what))

    def text(self, rel: str, data: str | bytes) -> None:
        rel = _clean(rel)
        self.texts[rel] = data.encode("utf-8") if isinstance(data, str) else data

    def yaml(self, rel: str, data: object, header: str = "") -> None:
        body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
        self.text(rel, (f"# {header}\n" if header else "") + body)

    def copy(self, rel: str, source: Path) -> str:
        """Copy `source` (already checked) to `rel`; returns the path used (a taken path, e.g.
        two sources mapped to one name, gets a numbered name instead of overwriting)."""
        rel = _clean(rel)
        if self.copies.get(rel) == source:
            return rel
        stem, ext = posixpath.splitext(rel)
        n = 1
        while rel in self.copies or rel in self.texts:
            n += 1
            rel = f"{stem}-{n}{ext}"
        self.copies[rel] = source
        return rel

    def freeze(self) -> SiteDraft:
        return SiteDraft(
            tuple(sorted(self.texts.items())),
            tuple(sorted(self.copies.items())),
            tuple(self.carried),
            tuple(self.lost),
        )


class _Dumper(yaml.SafeDumper):
    """Safe YAML whose multi-line text (a bio, a news item) is written as a `|` block."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not value.startswith((" ", "\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _clean(rel: str) -> str:
    """A relative path inside DEST (the generators build them from SRC names: never trusted)."""
    norm = posixpath.normpath(rel)
    parts = PurePosixPath(norm).parts
    if (
        not parts
        or norm.startswith("/")
        or ".." in parts
        or any(p.startswith(".") for p in parts)
        or any(ord(c) < 32 for c in norm)
    ):
        raise ScholarpageError.single(f"cannot write {rel!r}: not a plain relative path")
    return norm


def check_dest(src: Path, dest: Path) -> None:
    """Refuse a DEST that exists and is not an empty folder, or that overlaps SRC."""
    src_real = os.path.realpath(src)
    dest_real = os.path.realpath(dest)
    if (
        dest_real == src_real
        or dest_real.startswith(src_real.rstrip(os.sep) + os.sep)
        or src_real.startswith(dest_real.rstrip(os.sep) + os.sep)
    ):
        raise ScholarpageError.single(
            "DEST is inside SRC (or SRC inside DEST); migrate never writes into the source",
            file=dest,
            hint="give a new folder outside the site you migrate from",
        )
    if os.path.islink(dest):
        raise ScholarpageError.single(
            "DEST is a symlink", file=dest, hint="give a new folder (not a symlink) as DEST"
        )
    if dest.exists():
        if not dest.is_dir():
            raise ScholarpageError.single(
                "DEST exists and is not a folder", file=dest, hint="give a new folder name"
            )
        if any(dest.iterdir()):
            raise ScholarpageError.single(
                "DEST exists and is not empty; nothing was written",
                file=dest,
                hint="give a new or empty folder: migrate never overwrites files",
            )


def write_site(src: Path, dest: Path, draft: SiteDraft) -> int:
    """Write `draft` as DEST (checked again just before); returns the number of files."""
    check_dest(src, dest)
    count = len(draft.texts) + len(draft.copies)
    if count > MAX_FILES:
        raise ScholarpageError.single(
            f"the migrated site would have {count} files, over the limit of {MAX_FILES}",
            file=src,
            hint="check that SRC is the site's folder",
        )
    parent = dest.parent if str(dest.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{dest.name}.migrate-"))
    except OSError as exc:
        raise ScholarpageError.single(
            f"cannot create DEST ({exc.strerror or exc})", file=dest, hint="check the folder"
        ) from None
    try:
        total = 0
        for rel, data in draft.texts:
            _put(staging, rel, data)
        for rel, source in draft.copies:
            data = read_input(source, PUBLISHED)  # read again: bounded, never a FIFO
            total += len(data)
            if total > MAX_BYTES:
                raise ScholarpageError.single(
                    "the files to copy exceed 2 GB", file=src, hint="remove large files first"
                )
            _put(staging, rel, data)
        os.chmod(staging, 0o755)
        check_dest(src, dest)
        if dest.exists():
            dest.rmdir()  # empty (checked): replaced by the finished site
        os.rename(staging, dest)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ScholarpageError.single(
            f"cannot write the site ({exc.strerror or exc}); nothing was written",
            file=dest,
            hint="check the disk space and the folder's permissions",
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def _put(root: Path, rel: str, data: bytes) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as handle:  # "x": a name written twice is a bug, never an overwrite
        handle.write(data)
