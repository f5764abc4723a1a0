"""Durable file writes: atomic replacement and durable appends.

`write_atomic`: write a temp file in the same folder, flush, fsync, keep a hard-linked backup of the previous
version when asked, `os.replace`, then fsync the folder. A crash at any instant leaves the old or the new file,
never a torn one.

`append_durable`: append bytes to a journal and fsync before returning. A failed append is cut back off, so
the file is never left with a torn record in front of the next one.

`make_dir_durable`: create a folder and fsync its parent, so files written into it cannot vanish with it.

`move_aside`: rename an unreadable file to `<name>.corrupt-<UTC stamp>` (never overwriting an earlier one), so
it is kept for the user while a fresh one takes its place; `copy_aside` keeps a copy where the file itself must
stay until it is repaired.

`remove_stale_temp_files`: at start, delete the `.<name>.<pid>.tmp` files of writes whose process died.

ENOSPC / EDQUOT become `StoreFullError`, other OS errors `StoreError`; either way the old content is untouched
and temp files are removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from papertray.errors import JournalTornError, StoreError, StoreFullError
from papertray.timestamps import file_stamp

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


def append_durable(path: Path, data: bytes, *, header: bytes = b"", mode: int = 0o600) -> int:
    """Append `data` to `path` and fsync; returns the file size after the append.

    A new file starts with `header` and its folder is fsynced, so the file itself survives a crash. On any
    failure the file is truncated back to its old length (best effort) and the error is raised as a
    `StoreError`; the caller must treat the journal as suspect if even that truncate failed.
    """
    created = not path.exists()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, mode)
    except OSError as exc:
        raise describe_os_error(exc, path) from exc
    try:
        start = os.fstat(fd).st_size
        payload = (header + data) if start == 0 else data
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            if created:
                fsync_dir(path.parent)
        except OSError as exc:
            try:
                os.ftruncate(fd, start)
                os.fsync(fd)
            except OSError:
                raise JournalTornError(str(describe_os_error(exc, path))) from exc
            raise describe_os_error(exc, path) from exc
        return start + len(payload)
    finally:
        os.close(fd)


def make_dir_durable(folder: Path) -> None:
    """Create `folder` (mode 0700) if missing and fsync its parent so the new entry is on disk."""
    if folder.is_dir():
        return
    try:
        folder.mkdir(mode=0o700)
        fsync_dir(folder.parent)
    except FileExistsError:
        return
    except OSError as exc:
        raise describe_os_error(exc, folder / ".") from exc


def move_aside(path: Path) -> Path:
    """Rename `path` beside itself as `<name>.corrupt-<UTC stamp>[-N]` and return the new path; OSError as
    `os.replace` raises it."""
    target = _aside_name(path)
    os.replace(path, target)
    return target


def _aside_name(path: Path) -> Path:
    stamp = file_stamp()
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    return target


def copy_aside(path: Path, data: bytes) -> Path:
    """Keep `data` (what `path` held) beside it as `<name>.corrupt-<UTC stamp>[-N]`, durably, leaving `path`
    itself in place for the caller to repair; StoreError as `write_atomic` raises it."""
    target = _aside_name(path)
    write_atomic(target, data)
    return target


TEMP_FILE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d{1,10})\.tmp$")


def remove_stale_temp_files(root: Path, *, alive: Callable[[int], bool]) -> tuple[int, int]:
    """Delete the temp files `write_atomic` left under `root` when a process died mid-write
    (`.<name>.<pid>.tmp` whose pid is no live process); returns (files, bytes) removed. A temp file of a live
    process (this one included) may be a write in progress, so it is left alone (a pid reused by another
    program only delays the clean-up to a later start). Symlinks are never followed or removed."""
    removed = size = 0
    for folder, dirs, names in os.walk(root, onerror=lambda exc: None):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in names:
            match = TEMP_FILE.match(name)
            if match is None or int(match["pid"]) == os.getpid() or alive(int(match["pid"])):
                continue
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode):
                    continue
                os.unlink(path)
            except OSError:
                continue
            removed += 1
            size += info.st_size
    return removed, size
