"""User data: what the user did with each paper (seen, saved, read, dismissed, tags, note).

`user.json` holds every state as of the last fold, `user.json.bak` a second whole copy written before it, and
`user.journal` the saves since: one fsynced JSON line per commit, so a save costs a small append, not a rewrite
of every state. The journal is folded into user.json at open, and in the background whenever it grows past a
limit (it is renamed to `user.journal.old`, new saves start a fresh journal, and a compactor thread writes
user.json.bak and user.json and then deletes the old journal). Folds are numbered and a journal's header names
the fold it follows, so replay skips what a copy already holds and recovery knows whether anything is missing
(recovery.py).

A save is durable before it reaches memory or the event bus, and the saves that arrive while one commit is on
disk share the next one (group commit).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import orjson

from papertray import __version__
from papertray.atomic import append_durable, describe_os_error, fsync_dir, write_atomic
from papertray.errors import StoreError
from papertray.models import PaperState
from papertray.store.base import SaveRequest, StoreBase
from papertray.store.files import SCHEMA_VERSION
from papertray.store.recovery import UserRead, settle
from papertray.store.views import is_touched
from papertray.timestamps import now_iso

log = logging.getLogger(__name__)


class UserData(StoreBase):
    def _load_user(self, user: UserRead) -> None:
        found = settle(user)
        self.problems.extend(found)
        self._states = user.states
        self._fold, self._fold_at = user.fold, user.fold_at
        journal = user.journals[-1]
        self._journal_size = len(journal.raw) if journal.error is None else 0
        # A torn tail, or a bad journal that could not be moved aside: rewrite, never append.
        self._journal_dirty = journal.torn or (journal.error is not None and self._journal.exists())
        recovered = bool(found) or user.source is user.backup
        if user.replayed or recovered or self._journal_dirty or self._journal_old.exists():
            # Fold the journal (and any recovery) into user.json now, so the journal starts clean.
            try:
                self._compact_user(self._states)
            except StoreError as exc:
                self._journal_dirty = True
                self.problems.append(str(exc))

    async def update_states(self, changes: Mapping[str, Mapping[str, Any]], *, event: bool = True) -> list[PaperState]:
        """Apply field changes to several papers' user data in one durable commit.

        Accepted fields: seen, saved, read, dismissed (bool: sets or clears the timestamp, keeping an existing
        one), tags (list of str), note (str), cite_key (str: taken only while the paper has none). Saves
        arriving while a commit is on disk share the next one.
        """
        for fields in changes.values():
            for name in fields:
                if name not in _FIELDS:
                    raise ValueError(f"unknown state field {name!r}")
        request = SaveRequest(changes, event, asyncio.get_running_loop().create_future())
        self._pending.append(request)
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_pending())
        await request.future
        if event:
            for state in request.updated.values():
                self.bus.publish("paper.state", self.view(state.id).to_dict(full=False))
        return [self.get_state(pid) for pid in changes]

    async def update_state(self, paper_id: str, **fields: Any) -> PaperState:
        return (await self.update_states({paper_id: fields}))[0]

    async def _commit_pending(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            now = now_iso()
            merged: dict[str, PaperState] = {}
            accepted: list[SaveRequest] = []
            for request in batch:
                try:
                    for paper_id, fields in request.changes.items():
                        before = merged.get(paper_id) or self._states.get(paper_id) or PaperState(id=paper_id)
                        after = _apply(before, fields, now)
                        if after != before:
                            request.updated[paper_id] = replace(after, updated_at=now)
                except (TypeError, ValueError) as exc:
                    request.updated.clear()
                    if not request.future.done():
                        request.future.set_exception(exc)
                    continue
                merged.update(request.updated)
                accepted.append(request)
            try:
                if merged:
                    await self._health.watch(
                        "user", loop.run_in_executor(self._user_writer, self._write_states, merged)
                    )
                    self._apply_states(merged)
                    self._generation += 1
            except Exception as exc:  # every save of the batch failed alike; memory is unchanged
                for request in accepted:
                    if not request.future.done():
                        request.future.set_exception(exc)
                continue
            for request in accepted:
                if not request.future.done():
                    request.future.set_result(None)

    def _apply_states(self, merged: Mapping[str, PaperState]) -> None:
        """Put committed states in memory, moving in the list order the papers they move (a few: never the
        whole order made again on the loop). The old places are found before the states change."""
        moving = [pid for pid, st in merged.items() if self._moves_in_order(pid, st)]
        order = self._order if moving else None
        kept = None
        if order is not None:
            kept = order.removed(key for pid in moving if (key := order.key_of(pid)) is not None)
        self._states.update(merged)
        if moving:
            self._order = order.merged(order.months, kept, moving) if order is not None and kept is not None else None

    def _moves_in_order(self, paper_id: str, after: PaperState) -> bool:
        """Whether a state change moves a paper in the list order: only papers without a daily date, which
        are listed by the day they were saved (and, when never ingested, only while seen, saved or read)."""
        summary = self._summary(paper_id)
        if summary is not None and summary[1]:
            return False
        before = self._states.get(paper_id) or PaperState(id=paper_id)
        return (before.saved_at, bool(before.read_at), is_touched(before)) != (
            after.saved_at,
            bool(after.read_at),
            is_touched(after),
        )

    def _journal_header(self) -> bytes:
        header = {"schema": SCHEMA_VERSION, "kind": "user-journal", "papertray": __version__}
        return orjson.dumps({**header, "base": self._fold, "base_at": self._fold_at}) + b"\n"

    def _next_fold(self) -> tuple[int, str]:
        """A new fold number (never reused, even when the fold fails) and its time."""
        self._fold, self._fold_at = self._fold + 1, now_iso()
        return self._fold, self._fold_at

    def _write_states(self, changed: Mapping[str, PaperState]) -> None:
        """Runs on the user writer thread: one journal append; when the journal is full, it is handed to the
        compactor. `_states` holds every earlier commit here, because commits run one after another."""
        self._guard()
        line = orjson.dumps({"states": {pid: s.to_dict() for pid, s in changed.items()}}) + b"\n"
        if self._journal_dirty or self._journal_size + len(line) > 4 * self.journal_limit:
            # A torn tail, or background compaction keeps failing: rewrite everything now.
            self._compact_user({**self._states, **changed})
            return
        try:
            self._journal_size = append_durable(self._journal, line, header=self._journal_header())
        except StoreError:
            self._journal_dirty = self._journal_dirty or not self._journal_clean()
            raise
        if self._journal_size > self.journal_limit and not self._journal_old.exists():
            try:
                os.replace(self._journal, self._journal_old)
                fsync_dir(self.data_dir)
            except OSError as exc:
                log.warning("could not rotate the user journal error=%s", exc)
                return
            self._journal_size = 0
            snapshot = {**self._states, **changed}  # everything the rotated journal holds, and no more
            # The fresh journal follows the fold the compactor is about to write; it starts at once, so a
            # store always has a journal that says which fold it follows.
            fold = self._next_fold()
            self._compaction = self._compactor.submit(self._write_snapshot, snapshot, fold)
            try:
                header = self._journal_header()
                write_atomic(self._journal, header)
                self._journal_size = len(header)
            except StoreError as exc:  # the next save creates it
                log.warning("could not start a fresh user journal error=%s", exc)

    def _write_snapshot(self, states: Mapping[str, PaperState], fold: tuple[int, str]) -> None:
        """Compactor thread: user.json.bak and user.json with every state up to the rotation, then the rotated
        journal goes (only once both copies hold it)."""
        try:
            self._guard()
            self._write_user(states, fold)
            os.unlink(self._journal_old)
            fsync_dir(self.data_dir)
        except (StoreError, OSError) as exc:
            # The rotated journal stays and is replayed at the next start; the journal keeps growing until
            # the synchronous rewrite in `_write_states` takes over.
            log.warning("background compaction of user data failed error=%s", exc)

    def _write_user(self, states: Mapping[str, PaperState], fold: tuple[int, str]) -> None:
        self._user.write({"states": {pid: s.to_dict() for pid, s in states.items()}}, fold=fold[0], folded_at=fold[1])

    def _journal_clean(self) -> bool:
        try:
            raw = self._journal.read_bytes()
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return len(raw) == self._journal_size and (not raw or raw.endswith(b"\n"))

    def _compact_user(self, states: Mapping[str, PaperState]) -> None:
        """Rewrite user.json.bak and user.json with every state, then start an empty journal that follows
        this fold (a journal older than the fold is skipped at replay, so a crash in between is harmless)."""
        if self._compaction is not None:
            self._compaction.result()  # never let an older background snapshot land after this one
        try:
            self._guard()
            self._write_user(states, self._next_fold())
            if self._journal_size or self._journal_dirty or self._journal.exists():
                header = self._journal_header()
                write_atomic(self._journal, header)
                self._journal_size = len(header)
            if self._journal_old.exists():
                try:
                    os.unlink(self._journal_old)
                    fsync_dir(self.data_dir)
                except OSError as exc:
                    raise describe_os_error(exc, self._journal_old) from exc
        except BaseException:
            # The backup may already hold this fold: no save may go on into a journal that precedes it
            # (replay would skip it), so every later save retries the whole fold until one succeeds.
            self._journal_dirty = True
            raise
        self._journal_dirty = False


_FIELDS = frozenset({"seen", "saved", "read", "dismissed", "tags", "note", "cite_key"})


def _apply(state: PaperState, fields: Mapping[str, Any], now: str) -> PaperState:
    updates: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("seen", "saved", "read", "dismissed"):
            attr = f"{name}_at"
            current = getattr(state, attr)
            updates[attr] = (current or now) if value else None
        elif name == "tags":
            if isinstance(value, str):
                raise TypeError("tags must be a list of strings")
            updates["tags"] = tuple(dict.fromkeys(str(t).strip() for t in value if str(t).strip()))
        elif name == "note":
            updates["note"] = str(value)
        elif name == "cite_key":
            # Issued once: a \cite{} written against it must keep working, so a second value is ignored.
            if not isinstance(value, str) or not value:
                raise TypeError("cite_key must be a non-empty string")
            if not state.cite_key:
                updates["cite_key"] = value
        else:
            raise ValueError(f"unknown state field {name!r}")
    # Saving, reading or writing a note or tag means the user has seen the paper: so a note on a paper
    # papertray never ingested is kept and shown (listed as seen), never accepted and then unlisted.
    if updates.get("saved_at") or updates.get("read_at") or updates.get("tags") or updates.get("note"):
        updates.setdefault("seen_at", state.seen_at or now)
    return replace(state, **updates)
