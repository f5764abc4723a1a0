"""Durable, atomic file replacement: write a temp file in the same folder, flush, fsync, keep a hard-linked
backup of the previous version when asked, `os.replace`, then fsync the folder. A crash at any instant leaves
the old or the new file, never a torn one.

ENOSPC / EDQUOT become `StoreFullError`, other OS errors `StoreError`; either way the old file is untouched
and the temp file is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from papertray.errors import StoreError, StoreFullError

FULL_DISK = {errno.ENOSPC, errno.EDQUOT}


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def describe_os_error(exc: OSError, path: Path) -> StoreError:
    if exc.errno in FULL_DISK:
        return StoreFullError(f"The disk holding {path.parent} is full: nothing was written; free some space.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(f"{path.parent} is not writable ({exc.strerror}): nothing was written.")
    return StoreError(f"Could not write {path} ({exc.strerror or exc}): nothing was written.")


def write_atomic(path: Path, data: bytes, *, backup: Path | None = None, mode: int = 0o600) -> None:
    """Replace `path` with `data` durably. With `backup`, the previous version is kept there first."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if backup is not None and path.exists():
            # A hard link costs no data write; it is swapped in atomically like the file itself.
            link_tmp = backup.with_name(f".{backup.name}.{os.getpid()}.tmp")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(link_tmp)
            os.link(path, link_tmp)
            os.replace(link_tmp, backup)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise describe_os_error(exc, path) from exc
