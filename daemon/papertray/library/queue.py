"""The reading list's durable download queue: which saved papers still wait for their metadata or PDF, how
often each was tried and when it is due again (store meta `library.queue`, so it survives restarts), with
exponential backoff and a final "failed" that waits for the user's retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from papertray import backoff
from papertray.errors import DownloadFailed
from papertray.library.folder import LibraryBase
from papertray.models import is_canonical_id

log = logging.getLogger(__name__)

QUEUE_META_KEY = "library.queue"


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: str
    attempts: int = 0
    next_at: float = 0.0  # wall-clock seconds (survives restarts)
    error: str | None = None
    failed: bool = False  # gave up: waits for the user's retry

    def to_dict(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "next_at": self.next_at, "error": self.error, "failed": self.failed}


class QueueBase(LibraryBase):
    """The queue's bookkeeping; `Library` runs the worker that takes items from it."""

    _queue: dict[str, QueueItem]
    _queue_lock: asyncio.Lock
    _wake: asyncio.Event
    _retry_base: float
    _retry_max: float
    _max_attempts: int

    async def _persist_queue(self) -> None:
        await self.store.put_meta(QUEUE_META_KEY, {pid: item.to_dict() for pid, item in self._queue.items()})

    async def enqueue(self, paper_ids: Iterable[str], *, reset: bool = False) -> None:
        """Queue downloads (durably). `reset` also re-queues papers that failed or are already there."""
        async with self._queue_lock:
            changed = False
            for paper_id in paper_ids:
                if not is_canonical_id(paper_id):
                    continue
                current = self._queue.get(paper_id)
                if current is None or (reset and (current.failed or current.attempts)):
                    self._queue[paper_id] = QueueItem(paper_id)
                    changed = True
            if changed:
                await self._persist_queue()
        self._wake.set()

    async def retry(self, paper_id: str) -> None:
        """The user asked again: fetch metadata and look for a newer PDF version now."""
        await self.enqueue([paper_id], reset=True)

    async def _dequeue(self, paper_id: str) -> None:
        async with self._queue_lock:
            if self._queue.pop(paper_id, None) is not None:
                await self._persist_queue()

    def _load_queue(self) -> None:
        raw = self.store.get_meta(QUEUE_META_KEY, {})
        if not isinstance(raw, dict):
            return
        for paper_id, doc in raw.items():
            if not is_canonical_id(paper_id) or not isinstance(doc, dict):
                continue
            self._queue[paper_id] = QueueItem(
                paper_id,
                attempts=int(doc.get("attempts") or 0),
                next_at=float(doc.get("next_at") or 0.0),
                error=doc.get("error") if isinstance(doc.get("error"), str) else None,
                failed=bool(doc.get("failed")),
            )

    def _next_due(self) -> tuple[QueueItem | None, float]:
        now = time.time()
        best: QueueItem | None = None
        wait = 3600.0
        for item in self._queue.values():
            if item.failed:
                continue
            if item.next_at <= now:
                if best is None or item.next_at < best.next_at:
                    best = item
            else:
                wait = min(wait, item.next_at - now)
        return best, wait

    async def _failed(self, item: QueueItem, exc: DownloadFailed) -> None:
        attempts = item.attempts + 1
        give_up = not exc.retry or attempts >= self._max_attempts
        delay = backoff.ceiling(attempts, base=self._retry_base, cap=self._retry_max)
        if exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, self._retry_max))
        updated = replace(item, attempts=attempts, error=str(exc), failed=give_up, next_at=time.time() + delay)
        async with self._queue_lock:
            if item.id in self._queue:  # not unsaved meanwhile
                self._queue[item.id] = updated
                await self._persist_queue()
        log.info("library fetch failed id=%s attempts=%d give_up=%s error=%s", item.id, attempts, give_up, exc)
        self._progress(
            item.id, "failed" if give_up else "retrying", error=str(exc), attempts=attempts, next_at=updated.next_at
        )
