"""Replace a user's file so that it is, at every instant, either the old or the new version.

The new bytes go to a temporary file in the same folder, are flushed to disk, get the old
file's permissions and are renamed over it (rename is atomic on one file system). An interrupt
or error at any point removes the temporary file and leaves the original as it was. The file
is first checked to still hold what the import read (an editor may have saved it meanwhile:
that edit must not be lost). A symlink is written through, so it stays a symlink.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from generator.errors import ScholarpageError
from generator.sources import Kind, read_input


def backup_path(path: Path) -> Path:
    return Path(os.path.realpath(path)).with_name(Path(os.path.realpath(path)).name + ".bak")


def replace_file(
    path: Path, data: bytes, *, expected: bytes | None, kind: Kind, backup: bool
) -> Path | None:
    """Write `data` to `path` atomically; `expected` is what the file held when read (None: it
    did not exist). With `backup`, the previous bytes are kept as `path.bak` (also written
    atomically, before the file itself). Returns the backup's path, if one was written."""
    target = Path(os.path.realpath(path))
    exists = target.exists()
    if expected is None and exists:
        raise ScholarpageError.single(
            "the file was created while importing; nothing was written",
            file=path,
            hint="run the import again",
        )
    mode = 0o644
    if exists:
        current = read_input(target, kind)
        if current != expected:
            raise ScholarpageError.single(
                "the file changed while importing (saved by an editor?); nothing was written",
                file=path,
                hint="run the import again",
            )
        mode = stat.S_IMODE(os.stat(target).st_mode)
    written: Path | None = None
    if backup and expected is not None:
        written = target.with_name(target.name + ".bak")
        _write(written, expected, mode, path)
    _write(target, data, mode, path)
    return written


def _write(target: Path, data: bytes, mode: int, shown: Path) -> None:
    directory = target.parent
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise ScholarpageError.single(
            f"cannot write in {directory} ({exc.strerror or exc})",
            file=shown,
            hint="check the folder's permissions",
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise ScholarpageError.single(
                f"cannot write {target.name} ({exc.strerror or exc}); the file is unchanged",
                file=shown,
                hint="check the disk space and the folder's permissions",
            ) from None
        raise
    _sync_dir(directory)


def _sync_dir(directory: Path) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
