"""One writer per data folder: an OS lock on the data folder itself, held open for the daemon's lifetime and
checked again before every commit.

Why the folder and not a lock file: a lock on a file can be deleted from under its holder (`rm
state/daemon.lock`), and the next daemon then locks a new file of the same name and writes the same data.
A folder full of the user's data cannot be removed by a plain `rm`, and its lock goes with the inode the
daemon holds open. On Windows, where a folder cannot be locked, the lock is a file inside it kept open,
which Windows does not let anyone delete while it is open.

What can still happen is that the folder is moved or replaced while papertray runs (a restore from a backup,
a sync tool): the path then names another folder, possibly another daemon's. `check()` compares the inode
papertray holds with the one at the path, and once they differ every write stops with one sentence (the
store lists it in `problems`), so papertray never writes into a folder it does not hold.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from papertray.errors import DataLockBusy, StoreError

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl


class DataLock:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise DataLockBusy; OSError when the folder cannot be opened at all."""
        if sys.platform == "win32":  # pragma: no cover
            fd = os.open(self.data_dir / "store.lock", os.O_RDWR | os.O_CREAT, 0o600)
        else:
            fd = os.open(self.data_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if sys.platform == "win32":  # pragma: no cover
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise DataLockBusy(str(self.data_dir)) from None
        self._fd = fd
        self._identity = _identity(os.fstat(fd))

    def check(self) -> None:
        """Raise StoreError (one sentence) unless the folder at the path is still the one this lock holds."""
        if self._fd is None or self._identity is None:
            raise StoreError(f"papertray does not hold the lock of {self.data_dir}: nothing was written.")
        held = self.data_dir / "store.lock" if sys.platform == "win32" else self.data_dir
        try:
            same = _identity(os.stat(held)) == self._identity
        except OSError:
            same = False
        if not same:
            raise StoreError(
                f"The data folder {self.data_dir} was moved, deleted or replaced while papertray was running, "
                "so papertray stopped writing to keep another papertray's data apart from this one: restart it."
            )

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


def _identity(info: os.stat_result) -> tuple[int, int]:
    return (info.st_dev, info.st_ino)
