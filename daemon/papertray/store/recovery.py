"""Loading user data at open: `user.json`, its backup `user.json.bak` and the journals that follow them, and
saying in one sentence what was recovered and what could not be brought back.

The write protocol this relies on (user.py): every fold of the journal into user data has a number. A fold
writes `user.json.bak` and then `user.json` (two whole copies, each durable before the next step), and only
then starts a new journal whose header names the fold it follows (`"base": n`); a rotated journal
(`user.journal.old`) is deleted only after both copies hold it. So the copy that holds fold `k` plus every
journal with `base >= k` is all the user data, and a journal with `base < k` is already inside the copy.
When no readable copy reaches back to the oldest journal, the gap is named by its fold times.

Reading is separate from repairing: `read_user_data` only reads, so a file from a newer papertray
(`NewerDataError`) stops the open before anything was moved or rewritten; `settle` then moves damaged files
aside (or keeps a copy of a damaged journal) and returns the sentences for `problems`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from papertray.atomic import copy_aside, move_aside
from papertray.errors import NewerDataError, StoreError, UnreadableFile
from papertray.models import PaperState
from papertray.store.files import check_schema, file_meta, read_store_file

log = logging.getLogger(__name__)


@dataclass
class Copy:
    """One copy of the folded user data (user.json or user.json.bak) as read."""

    path: Path
    data: dict[str, Any] | None = None
    error: UnreadableFile | None = None
    fold: int = 0  # 0: written before folds were numbered, or the empty store
    folded_at: str | None = None


@dataclass
class Journal:
    path: Path
    raw: bytes = b""
    exists: bool = False
    base: int | None = None  # None: no usable header (or written before folds were numbered)
    base_at: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    bad: int = 0
    torn: bool = False  # ends in a record whose fsync never returned (never acknowledged)
    error: UnreadableFile | None = None  # unreadable, or a header that is not a journal's: moved aside


@dataclass
class UserRead:
    main: Copy
    backup: Copy
    journals: list[Journal]
    source: Copy | None
    states: dict[str, PaperState]
    replayed: int
    fold: int  # the highest fold number any file names: the next fold gets a higher one
    fold_at: str | None
    gap: str | None  # what could not be brought back, when something could not


def _read_copy(path: Path) -> Copy:
    copy = Copy(path)
    try:
        copy.data = read_store_file(path)
    except NewerDataError:
        raise
    except UnreadableFile as exc:
        copy.error = exc
        return copy
    meta = file_meta(copy.data or {})
    fold = meta.get("fold")
    copy.fold = fold if isinstance(fold, int) and not isinstance(fold, bool) and fold >= 0 else 0
    copy.folded_at = meta.get("folded_at") if isinstance(meta.get("folded_at"), str) else None
    return copy


def read_journal(path: Path) -> Journal:
    journal = Journal(path)
    try:
        journal.raw = path.read_bytes()
    except FileNotFoundError:
        return journal
    except OSError as exc:  # kept aside like any unreadable file, never replaced by the next fold
        journal.exists = True
        journal.error = UnreadableFile(path, f"cannot be read ({exc.strerror or exc})")
        return journal
    journal.exists = True
    lines = journal.raw.split(b"\n")
    try:
        header = orjson.loads(lines[0])
        if not isinstance(header, dict):
            raise UnreadableFile(path, "has no journal header")
        check_schema(header, path)
    except NewerDataError:
        raise
    except (orjson.JSONDecodeError, UnreadableFile) as exc:
        if len(lines) == 1:  # only a torn header: the first save never completed
            journal.torn = True
        else:
            journal.error = exc if isinstance(exc, UnreadableFile) else UnreadableFile(path, "is not a journal")
        return journal
    base = header.get("base")
    journal.base = base if isinstance(base, int) and not isinstance(base, bool) and base >= 0 else None
    journal.base_at = header.get("base_at") if isinstance(header.get("base_at"), str) else None
    # The last element is what follows the final newline: empty, or a torn record that was never
    # acknowledged (its fsync did not return), so it is dropped without a word.
    for line in lines[1:-1]:
        try:
            record = orjson.loads(line)
            states = record["states"]
            if not isinstance(states, dict):
                raise TypeError("states is not an object")
            journal.records.append(states)
        except (orjson.JSONDecodeError, KeyError, TypeError):
            journal.bad += 1
    journal.torn = bool(lines[-1])
    return journal


def read_user_data(main: Path, backup: Path, journals: list[Path]) -> UserRead:
    """Read (never write) every user-data file and choose what to load; NewerDataError for newer data."""
    copies = [_read_copy(main), _read_copy(backup)]
    read = [read_journal(path) for path in journals]
    live = [j for j in read if j.exists and j.error is None and not (j.torn and j.base is None and not j.records)]
    legacy = any(j.base is None for j in live)
    oldest = min((j.base for j in live if j.base is not None), default=None)
    oldest_at = next((j.base_at for j in live if j.base == oldest), None)

    def covers(copy: Copy) -> bool:
        return copy.data is not None and (oldest is None or copy.fold >= oldest)

    source = next((c for c in copies if covers(c)), None)
    gap: str | None = None
    until = oldest_at or "the start of the journal"
    if source is None:
        readable = [c for c in copies if c.data is not None]
        source = max(readable, key=lambda c: c.fold) if readable else None
        if source is not None:
            gap = f"the changes saved between {source.folded_at or 'its writing'} and {until} could not be brought back"
        elif oldest:  # fold 0 is the empty store: a journal that follows it holds everything
            gap = f"the changes saved before {until} could not be brought back"
    elif source is copies[1] and (legacy or source.fold == 0) and copies[0].error is not None:
        # Written by a papertray from before folds were numbered: that backup was the previous version.
        gap = "changes folded into user.json after that backup was taken may be missing"

    states: dict[str, PaperState] = {}
    for doc in (source.data or {}).get("states", {}).values() if source else ():
        state = _state(doc)
        if state is not None:
            states[state.id] = state
    start = source.fold if source is not None else -1
    replayed = 0
    for journal in live:
        if journal.base is not None and journal.base < start:
            journal.bad = 0  # already inside the copy loaded: its damage loses nothing
            continue
        for record in journal.records:
            for doc in record.values():
                state = _state(doc)
                if state is not None:
                    states[state.id] = state
            replayed += 1
        replayed += journal.torn
    folds = [c.fold for c in copies] + [j.base or 0 for j in live]
    fold = max(folds)
    fold_at = next((c.folded_at for c in copies if c.fold == fold and c.folded_at), None)
    fold_at = fold_at or next((j.base_at for j in live if j.base == fold), None)
    return UserRead(copies[0], copies[1], read, source, states, replayed, fold, fold_at, gap)


def _state(doc: Any) -> PaperState | None:
    try:
        return PaperState.from_dict(doc)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def settle(read: UserRead) -> list[str]:
    """Move damaged files aside (a damaged journal: keep a copy) and say what happened, one sentence each."""
    problems: list[str] = []
    main, backup = read.main, read.backup
    if read.source is not main and (main.data is not None or main.error is not None or read.gap):
        if main.error is not None:
            what = f"{main.path} {main.error.reason}; it was {_move(main.path)}"
        elif main.data is not None:
            what = f"{main.path} is older than the journal that follows it; it was {_move(main.path)}"
        else:
            what = f"{main.path} is missing"
        if read.source is backup:
            outcome = f"user data was recovered from {backup.path.name} and the journal"
            outcome += f", but {read.gap}" if read.gap else ", with no save lost"
        else:
            journals = any(j.records for j in read.journals)
            outcome = "no good backup was found, so user data " + (
                "comes back from the journal alone" if journals else "starts empty"
            )
            outcome += f", and {read.gap}" if read.gap else ""
        problems.append(f"{what} and {outcome}.")
    elif read.gap:
        problems.append(f"{main.path} is older than the journal that follows it, so {read.gap}.")
    if backup.error is not None:
        # Kept for the user, and out of the way of the next fold (which could not replace a folder there).
        where = _move(backup.path)
        if read.source is main:
            problems.append(f"{backup.path} {backup.error.reason}; it was {where}, and nothing was lost.")
        elif problems:  # the sentence about user.json already says no good backup was found
            problems[0] = f"{problems[0][:-1]} ({backup.path.name} {backup.error.reason}: {where})."
    for journal in read.journals:
        if journal.error is not None:
            problems.append(
                f"{journal.path} {journal.error.reason}; it was {_move(journal.path)} and the saves in it "
                "were not applied."
            )
        elif journal.bad:
            try:
                kept = f"a copy of it was kept as {copy_aside(journal.path, journal.raw).name}"
            except StoreError as exc:
                kept = f"no copy of it could be kept ({str(exc).rstrip('.')})"
            log.warning("damaged journal records path=%s bad=%d", journal.path, journal.bad)
            problems.append(
                f"{journal.path} had {journal.bad} damaged record(s); the other {len(journal.records)} were "
                f"applied and {kept}."
            )
    return problems


def _move(path: Path) -> str:
    try:
        target = move_aside(path)
    except OSError as exc:
        log.warning("could not move unreadable store file aside path=%s error=%s", path, exc)
        return "left in place (it could not be moved)"
    log.warning("moved unreadable store file aside path=%s to=%s", path, target)
    return f"moved aside to {target.name}"
