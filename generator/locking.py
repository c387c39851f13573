"""Liveness by lock: a process holds an exclusive `flock` on a file for as long as the file is in
use, and the kernel drops the lock when the process dies, however it dies. So a file whose lock
can be taken has no live owner, which a PID (reused after a restart or in a container) cannot
tell. Used for staging folders (generator.output) and cache temp files (generator.cache)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
DIRECTORY = getattr(os, "O_DIRECTORY", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def lock(fd: int, *, wait: bool) -> bool:
    """Take an exclusive flock on `fd`; False when another open file holds it (`wait=False`).
    Without flock (Windows) nothing can prove an owner gone, so a lock is never "free"."""
    if sys.platform == "win32":
        return wait
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def same_file(fd: int, path: str | Path, dir_fd: int | None = None) -> bool:
    """Whether the open `fd` is still the file at `path`: a lock on a file that was unlinked or
    replaced meanwhile proves nothing about what the path holds now."""
    try:
        here = os.stat(path, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)
