"""On-disk memo tables, so a rebuild with unchanged BibTeX parses and converts nothing.

Each table is one JSON file in the site's `.scholarpage-cache/` folder mapping a content key
(a hash of the input text and everything else the result depends on) to a JSON value. There is
no invalidation step and no `--no-cache` switch: a changed input has a new key, a changed
program has a new fingerprint (hash of the source code that produces the values), and a file that
cannot be read as the expected JSON is treated as empty. JSON rather than pickle, because the
folder sits in the user's site and loading it must never run code.

Only the entries used by the latest build are written back, so a table never grows beyond one
build's worth. A cache that cannot be written (read-only folder) is a lost speed-up, not an error.

`MemoTables` keeps the tables in memory between builds of one process (serve): a rebuild then
starts from the previous build's entries instead of reading and decoding the JSON again. The
values are the same either way (JSON values, keyed by content), so the output is too.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
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


@dataclass
class MemoTables:
    """The tables as the latest build left them, by name: (file, fingerprint, items); and
    each item as JSON text (`"key":value`) by table and key, so writing a table back encodes
    only new items."""

    tables: dict[str, tuple[Path | None, str, dict[str, Any]]] = field(default_factory=dict)
    encoded: dict[str, dict[str, str]] = field(default_factory=dict)


class Memo:
    """One table: `get`/`put` by key; `save` writes back what this build used.

    With `kept`, the table starts from the entries kept in memory by the previous build (when
    they were made by the same code for the same file), and `save` keeps this build's there.
    """

    def __init__(
        self,
        folder: Path | None,
        name: str,
        fingerprint: str,
        kept: MemoTables | None = None,
    ) -> None:
        self.path = folder / f"{name}.json" if folder is not None else None
        self.name = name
        self.fingerprint = fingerprint
        self.kept = kept
        previous = kept.tables.get(name) if kept is not None else None
        if previous is not None and previous[:2] == (self.path, fingerprint):
            self._old: dict[str, Any] = previous[2]
        else:
            self._old = self._load()
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

    def keep(self, key: str) -> None:
        """Mark an entry as used by this build without reading it (its result was reused
        from a later stage's memo), so it stays in the table."""
        if key not in self._used:
            value = self._old.get(key)
            if value is not None:
                self._used[key] = value

    def save(self) -> None:
        """Write the entries this build used, atomically; skip when nothing changed."""
        if self.kept is not None:
            self.kept.tables[self.name] = (self.path, self.fingerprint, self._used)
        if self.path is None or (self.misses == 0 and len(self._used) == len(self._old)):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tag = self.path.parent / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text(_TAG, encoding="utf-8")
            payload = self._payload()
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

    def _payload(self) -> str:
        """The table as JSON; the same text as json.dumps of {"fingerprint", "items"} gives,
        with items encoded in an earlier build reused from `kept`."""
        if self.kept is None:
            return json.dumps(
                {"fingerprint": self.fingerprint, "items": self._used},
                ensure_ascii=False,
                separators=(",", ":"),
            )
        old = self.kept.encoded.get(self.name, {})
        new: dict[str, str] = {}
        for key, value in self._used.items():
            text = old.get(key) if self._old.get(key) is value else None
            if text is None:
                text = (
                    json.dumps(key, ensure_ascii=False)
                    + ":"
                    + json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                )
            new[key] = text
        self.kept.encoded[self.name] = new
        items = ",".join(new.values())
        return (
            '{"fingerprint":'
            + json.dumps(self.fingerprint, ensure_ascii=False)
            + ',"items":{'
            + items
            + "}}"
        )
