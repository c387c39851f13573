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

The folder sits in the user's site, where anyone may have written it: committed to git, shared,
copied from another machine, or damaged. Cached LaTeX is emitted as markup, so an entry we did
not write could inject script into every page, and a well-formed wrong entry would silently
change the output. So a table is used only when authenticated: it carries an HMAC-SHA256 of its
items (bound to the table name and fingerprint) under a key kept outside the site folder
(`$XDG_CACHE_HOME/scholarpage/cache.key`, else `~/.cache/scholarpage/cache.key`, made once,
atomically, mode 0600). A table that fails the check is empty; without a usable key the disk
cache is not used at all. Authenticating beats re-sanitizing on read because it covers every
value (parsed fields change the output as surely as HTML does) with one check per file. Each
entry is then checked against the shape its reader declares (`valid`), so an entry an older or
buggy writer left is a miss, never an exception.

Saves write a locked temp file then rename it; a save killed midway leaves a temp file whose
lock no one holds, which a later save removes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pybtex

from generator import __version__
from generator.locking import CLOEXEC, NOFOLLOW, NONBLOCK, lock, same_file

CACHE_DIR_NAME = ".scholarpage-cache"
FORMAT = 2
KEY_NAME = "cache.key"
_KEY_HEX = 64
# A table file: {"fingerprint":"<hex>","mac":"<hex>","items":{...}}, read by position so the
# MAC covers the very bytes of the items; still one JSON document for a curious reader.
_HEAD = re.compile(rb'\{"fingerprint":"([0-9a-f]{64})","mac":"([0-9a-f]{64})","items":')
_TEMP = re.compile(r"\.tmp-[a-z0-9_]+\.json")
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This folder is a cache written by scholarpage; it can be deleted at any time.\n"
)


def fingerprint(*parts: str) -> str:
    """Hash of the program version, the code that computes cached values, and `parts`."""
    digest = hashlib.sha256()
    digest.update(f"{FORMAT}\0{__version__}\0{pybtex.__version__}\0".encode())
    digest.update(_code_digest().encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


@functools.cache
def _code_digest() -> str:
    """Hash of every module of the package: the code that computes cached values is spread over
    several (and moves between them), so any change to the program empties the tables; a listed
    few would silently miss a module that was split or renamed. Code does not change while a
    process runs, hence computed once."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def key_path() -> Path | None:
    """Where this user's cache key lives (XDG cache folder); None without a home folder."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative path is to be ignored
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "scholarpage" / KEY_NAME


def _private(st: os.stat_result, *, directory: bool) -> bool:
    """Ours and out of other users' reach: a key others could read or swap authenticates
    nothing."""
    if not (stat.S_ISDIR(st.st_mode) if directory else stat.S_ISREG(st.st_mode)):
        return False
    if sys.platform == "win32":
        return True
    exposed = 0o022 if directory else 0o077
    return st.st_uid == os.getuid() and not st.st_mode & exposed


def _read_regular(path: Path, limit: int = -1) -> bytes | None:
    """The bytes of a regular file, not following a link; None for anything else. A FIFO or a
    device planted under the name would block or never end: opened without waiting, not read."""
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW | CLOEXEC | NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return file.read(limit)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    try:
        if not _private(os.lstat(path), directory=False):
            return None
    except OSError:
        return None
    data = _read_regular(path, _KEY_HEX + 2)
    if data is None:
        return None
    text = data.strip()
    if len(text) != _KEY_HEX or text.strip(b"0123456789abcdef"):
        return None
    return bytes.fromhex(text.decode("ascii"))


def load_key() -> bytes | None:
    """This user's secret that authenticates cache tables, made on first use; None when it can
    be neither read nor made safely (then the disk cache is not used)."""
    path = key_path()
    if path is None:
        return None
    key = _read_key(path)
    if key is not None:
        return key
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.lstat(path.parent), directory=True):
            return None
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_hex(_KEY_HEX // 2).encode("ascii") + b"\n")
            try:
                os.link(tmp, path)  # atomic, and never replaces a key a parallel build made
            except FileExistsError:
                if _read_key(path) is None and stat.S_ISREG(os.lstat(path).st_mode):
                    os.replace(tmp, path)  # a damaged or exposed key of ours: a new one
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError:
        return None
    return _read_key(path)


def _remove_dead_temps(folder: Path) -> None:
    """Remove the temp files of saves that were killed: ours by name, and no one holds their
    lock (a save in progress does)."""
    for name in os.listdir(folder):
        if not _TEMP.fullmatch(name):
            continue
        path = folder / name
        try:
            fd = os.open(path, os.O_RDONLY | NOFOLLOW | CLOEXEC)
        except OSError:
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode) and lock(fd, wait=False) and same_file(fd, path):
                os.unlink(path)
        except OSError:
            pass
        finally:
            os.close(fd)


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
    `valid` tells an entry of the shape the reader needs; any other is a miss. Entries kept in
    memory were checked or computed by this process and are not checked again.
    """

    def __init__(
        self,
        folder: Path | None,
        name: str,
        fingerprint: str,
        kept: MemoTables | None = None,
        *,
        valid: Callable[[Any], bool],
    ) -> None:
        self.key = load_key() if folder is not None else None
        self.path = folder / f"{name}.json" if folder is not None and self.key else None
        self.name = name
        self.fingerprint = fingerprint
        self.kept = kept
        self.valid = valid
        previous = kept.tables.get(name) if kept is not None else None
        self._checked = previous is not None and previous[:2] == (self.path, fingerprint)
        if previous is not None and self._checked:
            self._old: dict[str, Any] = previous[2]
        else:
            self._old = self._load()
        self._used: dict[str, Any] = {}
        self.hits = 0
        self.misses = 0

    def _mac(self, items: bytes) -> str:
        """HMAC of a table's items, bound to the table and the code that made them."""
        assert self.key is not None
        mac = hmac.new(self.key, digestmod=hashlib.sha256)
        mac.update(f"scholarpage-cache\0{FORMAT}\0{self.name}\0{self.fingerprint}\0".encode())
        mac.update(items)
        return mac.hexdigest()

    def _load(self) -> dict[str, Any]:
        """The file's items when it is exactly what `save` writes under our key, else none."""
        if self.path is None:
            return {}
        data = _read_regular(self.path)
        if data is None:
            return {}
        head = _HEAD.match(data)
        if head is None or not data.endswith(b"}") or head.group(1) != self.fingerprint.encode():
            return {}
        items = data[head.end() : -1]
        if not hmac.compare_digest(self._mac(items).encode(), head.group(2)):
            return {}
        try:
            decoded = json.loads(items)
        except (ValueError, RecursionError):
            return {}
        return decoded if isinstance(decoded, dict) else {}

    def _stored(self, key: str) -> Any:
        """The stored value when it has the shape the reader needs, else None."""
        value = self._old.get(key)
        if value is None or self._checked or self.valid(value):
            return value
        return None

    def get(self, key: str) -> Any:
        """The stored value, or None when absent."""
        if key in self._used:
            return self._used[key]
        value = self._stored(key)
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
            value = self._stored(key)
            if value is not None:
                self._used[key] = value

    def save(self) -> None:
        """Write the entries this build used, atomically; skip when nothing changed."""
        if self.kept is not None:
            self.kept.tables[self.name] = (self.path, self.fingerprint, self._used)
        if self.path is None:
            return
        try:
            folder = self.path.parent
            if folder.is_dir():
                _remove_dead_temps(folder)
            if self.misses == 0 and len(self._used) == len(self._old):
                return
            folder.mkdir(parents=True, exist_ok=True)
            tag = folder / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text(_TAG, encoding="utf-8")
            items = self._items().encode("utf-8")
            payload = b"".join(
                (
                    b'{"fingerprint":"',
                    self.fingerprint.encode(),
                    b'","mac":"',
                    self._mac(items).encode(),
                    b'","items":',
                    items,
                    b"}",
                )
            )
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as out:
                    lock(fd, wait=True)  # fresh: only a save-cleaner can hold it, briefly
                    out.write(payload)
                    out.flush()
                    os.replace(tmp, self.path)  # still locked: not taken for a dead save's
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (OSError, UnicodeError):
            return

    def _items(self) -> str:
        """The items as a JSON object; the same text as json.dumps gives, with items encoded
        in an earlier build reused from `kept`."""
        if self.kept is None:
            return json.dumps(self._used, ensure_ascii=False, separators=(",", ":"))
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
        return "{" + ",".join(new.values()) + "}"
