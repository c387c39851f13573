"""What the build may read and publish, and reading it safely.

Two rules, one function each, so no caller can get them subtly wrong:

- `publishable()` decides whether a file may be published (photo, paper files, theme static
  files, templates rendered into pages, Markdown pages): given relative to a root folder (the
  site folder, or a theme's folder), with symlinks followed still inside that root, not hidden
  (`.git/config` holds the CI token of actions/checkout, `.env` holds secrets), a regular file,
  within the size limit of its kind. Otherwise a profile line or a symlink in `content/` could put
  `/proc/self/environ` (the runner's tokens) or any readable file on the public site.
- `read_input()` reads one input file only if it is a regular file, without ever blocking on a
  FIFO and reading at most its kind's limit, so `/dev/zero`, a named pipe or a huge file gives a
  clear error instead of a hang or a full memory.

Reading from outside the site folder stays allowed where the user named the file in site.yaml
(a shared .bib by absolute path): reading is not publishing. What is published must pass
`publishable()`.

Size limits are in MiB (written MB, as GitHub counts its 100 MB per-file limit).
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath

from generator.errors import Problem, ScholarpageError

MB = 1024 * 1024
_CHUNK = 1 * MB


@dataclass(frozen=True)
class Kind:
    """One kind of file: its name in messages, its size limit and what to suggest."""

    noun: str
    limit: int
    too_large: str  # tip for a file over the limit
    example: str = "content/files/paper.pdf"  # a good place for such a file, for tips


PHOTO = Kind(
    "photo",
    20 * MB,
    "resize or compress the image (a portrait needs a few hundred kB)",
    "content/files/me.jpg",
)
BIBTEX = Kind(
    "BibTeX file",
    200 * MB,
    "check that this is the right file, or split it into several listed under `bibliography:`",
    "content/papers.bib",
)
YAML = Kind(
    "YAML file",
    10 * MB,
    "check that this is the right file: settings and profiles are far smaller",
    "content/profile.yaml",
)
PAGE = Kind(
    "page",
    10 * MB,
    "split the page into several, or publish large text as a file",
    "content/pages/about.md",
)
TEMPLATE = Kind(
    "template",
    2 * MB,
    "check that this is the right file: templates are small text files",
    "templates/index.html",
)
PUBLISHED = Kind(
    "published file",
    100 * MB,
    "GitHub Pages refuses files over 100 MB: host it elsewhere and link to its URL",
)
"""Any other file copied into the site as is (paper PDFs, theme static files, content/files)."""

LIMITS = (PHOTO, BIBTEX, YAML, PAGE, TEMPLATE, PUBLISHED)


@dataclass(frozen=True)
class Refusal:
    """Why a file may not be published or read: `reason` reads after the file's name."""

    reason: str
    hint: str


def _size(n: int) -> str:
    if n >= 1024 * MB:
        return f"{n / (1024 * MB):.1f} GB"
    if n >= MB:
        return f"{n / MB:.1f} MB"
    return f"{n} bytes"


_FOLDER = Refusal(
    "is a folder, not a file", "give the path of a file (list the files of a folder one by one)"
)
_UNREADABLE = Refusal(
    "cannot be read (permission denied)", "make the file readable, e.g. chmod a+r FILE"
)


def _limit(n: int) -> str:
    return f"{n // MB} MB" if n % MB == 0 else _size(n)


def _not_regular(mode: int) -> Refusal | None:
    """The refusal for anything but a regular file (checked before opening: opening a device
    can have effects, reading a FIFO blocks, and both can be endless)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return _FOLDER
    if stat.S_ISFIFO(mode):
        what = "a named pipe (FIFO)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        what = "a device"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    else:
        what = "a special file"
    return Refusal(f"is {what}, not a regular file", "replace it with a regular file")


def _os_refusal(exc: OSError | ValueError, missing: Refusal) -> Refusal:
    """A refusal for an error from stat/open/realpath (ValueError: a NUL byte in the path);
    `missing` is the one for a file that does not exist."""
    if isinstance(exc, ValueError):
        return Refusal("is not a valid path (it holds a NUL character)", "fix the path")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return missing
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _UNREADABLE
    if exc.errno == errno.ELOOP:
        return Refusal("is a symlink loop", "make the symlink point at a file")
    if exc.errno == errno.ENAMETOOLONG:
        return Refusal("has a path too long for the file system", "use a shorter path")
    if exc.errno == errno.ENXIO:
        return Refusal("is a socket or device, not a regular file", "replace it with a file")
    return Refusal(f"cannot be read ({exc.strerror or exc})", "check the file")


def _too_large(size: int, kind: Kind) -> Refusal:
    return Refusal(
        f"is {_size(size)}, over the {_limit(kind.limit)} limit for a {kind.noun}", kind.too_large
    )


def _inside(parent: str, child: str) -> bool:
    return child != parent and child.startswith(parent.rstrip(os.sep) + os.sep)


def _hidden(rel: PurePosixPath) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def publishable(
    root: Path,
    path: str | PurePath,
    kind: Kind,
    *,
    inside: str = "the site folder",
    example: str | None = None,
) -> Path | Refusal:
    """The resolved file that `path` (relative to `root`) names, if it may be published.

    Refused: an empty, absolute or `..`-escaping path, a hidden part (`.git`, `.env`), a path
    that leads out of `root` once symlinks are followed, a missing file, anything but a regular
    readable file, and a file over `kind`'s limit. `inside` names `root` in the reasons.
    """
    text = str(path)
    where = f"put the file in {inside}, e.g. {example or kind.example}, and give its path "
    where += f"relative to {inside}"
    if not text.strip() or any(ord(c) < 32 for c in text):
        return Refusal("is not a valid path", where)
    if PurePosixPath(text).is_absolute():
        return Refusal(f"is an absolute path, outside {inside}", where)
    if text.split("/")[0].startswith("~"):
        return Refusal(f"names a home folder (~), outside {inside}", where)
    rel = PurePosixPath(posixpath.normpath(text))
    if rel.parts[:1] == ("..",):
        return Refusal(f"points outside {inside}", where)
    if rel == PurePosixPath("."):
        return _FOLDER
    hidden = Refusal(
        "is hidden (a part of its path starts with '.'); hidden files are never published",
        f"{where} (files such as .git/config or .env hold secrets)",
    )
    if _hidden(rel):
        return hidden
    try:
        real_root = os.path.realpath(root, strict=True)
        target = os.path.realpath(os.path.join(root, text), strict=True)
    except (OSError, ValueError) as exc:
        return _os_refusal(exc, Refusal("does not exist", where))
    if not _inside(real_root, target):
        return Refusal(f"points outside {inside} (through a symlink)", where)
    if _hidden(PurePosixPath(Path(target).relative_to(real_root).as_posix())):
        return hidden
    try:
        info = os.stat(target)
    except OSError as exc:
        return _os_refusal(exc, Refusal("does not exist", where))
    refusal = _not_regular(info.st_mode)
    if refusal is not None:
        return refusal
    if not os.access(target, os.R_OK):
        return _UNREADABLE
    if info.st_size > kind.limit:
        return _too_large(info.st_size, kind)
    return Path(target)


def publishable_tree(
    root: Path, folder: Path, kind: Kind, *, inside: str
) -> tuple[tuple[str, Path], ...]:
    """Every file under `folder` (inside `root`) to publish as is: (path relative to `folder`,
    resolved source), sorted. Hidden names and editor backups (`~x`) are skipped; folders (a
    symlinked one is not entered) hold nothing to copy; any other refusal is an error, all of
    them listed at once."""
    if not folder.is_dir():
        return ()
    found: list[tuple[str, Path]] = []
    problems: list[Problem] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if _hidden(PurePosixPath(rel.as_posix())) or path.name.startswith("~"):
            continue
        if path.is_dir():
            continue
        result = publishable(root, path.relative_to(root), kind, inside=inside)
        if isinstance(result, Refusal):
            problems.append(Problem(f"{kind.noun} {result.reason}", path, hint=result.hint))
        else:
            found.append((rel.as_posix(), result))
    if problems:
        raise ScholarpageError(tuple(problems))
    return tuple(found)


def _fail(path: Path, what: str, refusal: Refusal) -> ScholarpageError:
    return ScholarpageError.single(f"{what} {refusal.reason}", file=path, hint=refusal.hint)


def read_input(path: Path, kind: Kind, *, what: str | None = None, missing: str = "") -> bytes:
    """The bytes of one input file, which must be a regular file within `kind`'s limit.

    Checked with stat before opening (a device or FIFO is never opened), opened non-blocking and
    checked again on the open file (it may have been swapped), then read in chunks up to one
    byte past the limit (a file that grows while read, or lies about its size, cannot fill
    memory). Every failure is a ScholarpageError naming the file; `what` names it in the
    message (default: the kind), `missing` is the tip for a file that does not exist.
    """
    what = what or kind.noun
    not_found = Refusal("not found", missing or f"create {path.name} or fix its path")
    try:
        refusal = _not_regular(os.stat(path).st_mode)
    except (OSError, ValueError) as exc:
        refusal = _os_refusal(exc, not_found)
    if refusal is not None:
        raise _fail(path, what, refusal)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _fail(path, what, _os_refusal(exc, not_found)) from None
    try:
        info = os.fstat(fd)
        refusal = _not_regular(info.st_mode)
        if refusal is None and info.st_size > kind.limit:
            refusal = _too_large(info.st_size, kind)
        if refusal is not None:
            raise _fail(path, what, refusal)
        chunks = _read_bounded(fd, kind.limit + 1)
    except OSError as exc:
        raise _fail(path, what, _os_refusal(exc, not_found)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > kind.limit:
        raise _fail(path, what, _too_large(len(data), kind))
    return data


def _read_bounded(fd: int, most: int) -> list[bytes]:
    chunks: list[bytes] = []
    left = most
    while left > 0:
        chunk = os.read(fd, min(_CHUNK, left))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return chunks
