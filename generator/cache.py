"""On-disk memo tables, so a rebuild with unchanged BibTeX parses and converts nothing.

Each table is one JSON file in the site's `.scholarpage-cache/` folder mapping a content key
(a hash of the input text and everything else the result depends on) to a JSON value. There is
no invalidation step and no `--no-cache` switch: a changed input has a new key, a changed
program has a new fingerprint (hash of the source code that produces the values), and a file that
cannot be read as the expected JSON is treated as empty. JSON rather than pickle, because the
folder sits in the user's site and loading it must never run code.

Only the entries used by the latest build are written back, so a table never grows beyond one
build's worth. A cache that cannot be written (read-only folder) is a lost speed-up, not an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pybtex

from generator import __version__

CACHE_DIR_NAME = ".scholarpage-cache"
FORMAT = 1
# The modules whose code decides what is cached: a change to any of them empties the tables.
_CODE_FILES = ("bibtex.py", "latex.py", "model.py", "cache.py")
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This folder is a cache written by scholarpage; it can be deleted at any time.\n"
)


def fingerprint(*parts: str) -> str:
    """Hash of the program version, the code that computes cached values, and `parts`."""
    digest = hashlib.sha256()
    digest.update(f"{FORMAT}\0{__version__}\0{pybtex.__version__}\0".encode())
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


def content_key(*parts: str) -> str:
    """Short, collision-safe key for one input (sha256 of the parts)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


class Memo:
    """One table: `get`/`put` by key; `save` writes back what this build used."""

    def __init__(self, folder: Path | None, name: str, fingerprint: str) -> None:
        self.path = folder / f"{name}.json" if folder is not None else None
        self.fingerprint = fingerprint
        self._old: dict[str, Any] = self._load()
        self._used: dict[str, Any] = {}
        self.hits = 0
        self.misses = 0

    def _load(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        if (
            not isinstance(data, dict)
            or data.get("fingerprint") != self.fingerprint
            or not isinstance(data.get("items"), dict)
        ):
            return {}
        items: dict[str, Any] = data["items"]
        return items

    def get(self, key: str) -> Any:
        """The stored value, or None when absent."""
        if key in self._used:
            return self._used[key]
        value = self._old.get(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
            self._used[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self._used[key] = value

    def save(self) -> None:
        """Write the entries this build used, atomically; skip when nothing changed."""
        if self.path is None or (self.misses == 0 and len(self._used) == len(self._old)):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tag = self.path.parent / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text(_TAG, encoding="utf-8")
            payload = json.dumps(
                {"fingerprint": self.fingerprint, "items": self._used},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(payload)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (OSError, UnicodeError):
            return
