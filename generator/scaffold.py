"""`scholarpage init DIR`: copy the skeleton site. Never overwrites a file that exists."""

from __future__ import annotations

from pathlib import Path

from generator import __version__
from generator.errors import ScholarpageError

SKELETON = Path(__file__).resolve().parent / "skeleton"
# skeleton file -> path in the new site (dotfiles are stored without their dot)
RENAMES = {
    "gitignore": ".gitignore",
    "github/workflows/pages.yml": ".github/workflows/pages.yml",
}
VERSION_PLACEHOLDER = b"__SCHOLARPAGE_VERSION__"
"""Replaced by the running version in every file init writes: the Pages workflow installs the
release that wrote it (`scholarpage==X.Y.Z`), so a site keeps building the same way until its
owner changes the pin."""


def skeleton_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(SKELETON.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = path.relative_to(SKELETON).as_posix()
            files[RENAMES.get(rel, rel)] = path
    return files


def skeleton_text(source: Path) -> bytes:
    """The bytes init writes for one skeleton file: the file with the version filled in."""
    return source.read_bytes().replace(VERSION_PLACEHOLDER, __version__.encode("ascii"))


def init_site(directory: Path) -> list[Path]:
    """Create a working example site in `directory` (new or empty)."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ScholarpageError.single(
            "the folder exists and is not empty",
            file=directory,
            hint="choose a new folder name; init never overwrites files",
        )
    created: list[Path] = []
    try:
        for rel, source in skeleton_files().items():
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(skeleton_text(source))
            created.append(target)
    except OSError as exc:
        raise ScholarpageError.single(
            f"cannot create the site: {exc.strerror or exc}", file=directory
        ) from None
    return created
