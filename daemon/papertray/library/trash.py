"""The reading list's trash: a folder removed from the reading list waits in `<library>/.trash/<key>/` for
TRASH_DAYS days from its removal, so an undo brings every file back.

The removal is recorded beside the folder, in `.trash/<key>.removed` (its text is the UTC time of removal): a
folder's own mtime survives the move and says when its files last changed, not when it was removed. The record
outlives the folder by RECORD_DAYS, so an undo that comes too late, or after the folder was deleted by hand,
is told that the files are gone instead of answering as if they had come back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from papertray.atomic import fsync_dir, write_atomic
from papertray.errors import RestoreFailed
from papertray.timestamps import iso_z, parse_iso

log = logging.getLogger(__name__)

TRASH_DAYS = 7
RECORD_DAYS = 30
DAY = 86400.0


class Trash:
    def __init__(self, library_root: Path) -> None:
        self.dir = library_root / ".trash"

    def _record(self, key: str) -> Path:
        return self.dir / f"{key}.removed"

    def put(self, folder: Path) -> None:
        """Move `folder` into the trash (replacing an older copy) and record the time of removal."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        record = self._record(folder.name)
        write_atomic(record, _stamp(time.time()).encode(), mode=0o600)
        move_replacing(folder, self.dir / folder.name)

    def take_back(self, key: str, target: Path, paper_id: str) -> bool:
        """Move the trashed folder back to `target`: True if files came back, False if none were trashed.
        Raises RestoreFailed when files were trashed but are gone."""
        trashed = self.dir / key
        record = self._record(key)
        if trashed.is_dir():
            if not target.exists():
                move_replacing(trashed, target)
            with contextlib.suppress(FileNotFoundError):
                record.unlink()
            return True
        if record.exists() and not target.exists():
            raise RestoreFailed(
                f"The files of {paper_id} are no longer in the trash (removed papers are kept {TRASH_DAYS} days): "
                "nothing was restored; save it again to download it anew."
            )
        return False

    def purge(self, now: float | None = None) -> None:
        """Delete folders removed more than TRASH_DAYS ago, and records older than RECORD_DAYS."""
        if not self.dir.is_dir():
            return
        now = time.time() if now is None else now
        for entry in self.dir.iterdir():
            with contextlib.suppress(OSError):
                if entry.is_dir() and not entry.is_symlink():
                    record = self._record(entry.name)
                    removed = _read_stamp(record)
                    if removed is None:
                        # Trashed by an older papertray, or the record was lost: the week starts now.
                        write_atomic(record, _stamp(now).encode(), mode=0o600)
                    elif now - removed > TRASH_DAYS * DAY:
                        shutil.rmtree(entry)
                        log.info("removed a trashed folder older than %d days key=%s", TRASH_DAYS, entry.name)
                elif entry.name.endswith(".removed"):
                    removed = _read_stamp(entry)
                    if removed is None or now - removed > RECORD_DAYS * DAY:
                        entry.unlink()


def move_replacing(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if target.exists():
        shutil.rmtree(target)
    os.replace(source, target)
    fsync_dir(target.parent)


def _stamp(moment: float) -> str:
    return iso_z(datetime.fromtimestamp(moment, UTC)) + "\n"


def _read_stamp(path: Path) -> float | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
        return parse_iso(text).timestamp()
    except (OSError, ValueError):
        return None
