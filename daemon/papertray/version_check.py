"""The daily check of the saved papers' versions through arXiv's export API: `id_list=` with up to `BATCH` ids a
request, paged, through the daemon's one politeness limiter (3 s between arXiv requests, one at a time), at most
once a day (arXiv's answers change only once a day: feeds.md §4.1). What it learns goes into the store like any
other source's papers; `versions.VersionWatcher` then decides what is new.

A failure (arXiv's Atom error feed, a 503, no network) is recorded as one sentence for `status`, keeps every
batch that did arrive, and is tried again after a backoff (10 minutes doubling, at most 6 hours).

State, in the store's meta (`versions.check`), so "once a day" holds across restarts:
    {"last_success_at", "next_at", "error", "error_at", "error_count", "papers"}
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from papertray.backoff import backoff_delay
from papertray.config import Config
from papertray.errors import DownloadFailed, FeedError, StoreError
from papertray.events import EventBus
from papertray.models import Paper, State
from papertray.sources.arxiv import arxiv_api_base, parse_export_page
from papertray.sources.http import SafeHttp
from papertray.store import PaperView, Store
from papertray.timestamps import iso_z, utc_now

log = logging.getLogger(__name__)

CHECK_KEY = "versions.check"
BATCH = 100  # ids per request: a short URL, and one page of answers
MAX_PAGES = 5  # per batch; an answer that never ends must not keep the slot busy
INTERVAL_SECONDS = 24 * 3600.0
TICK_SECONDS = 60.0
RETRY_BASE_SECONDS = 600.0
MAX_ANSWER_BYTES = 16 * 1024 * 1024


def reading_list(store: Store) -> list[PaperView]:
    """The saved and the read papers, from the user data alone (a store of a million papers is not walked)."""
    return [*store.query(state=State.SAVED), *store.query(state=State.READ)]


class VersionCheck:
    """Run `await check.run()` as a task; `check_now()` runs one check."""

    def __init__(
        self,
        config: Callable[[], Config],
        store: Store,
        bus: EventBus,
        http: SafeHttp,
        *,
        batch: int = BATCH,
        interval: float = INTERVAL_SECONDS,
        tick: float = TICK_SECONDS,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._config = config
        self.store = store
        self.bus = bus
        self.http = http
        self._batch = batch
        self._interval = interval
        self._tick = tick
        self._now = now

    def status(self) -> dict[str, Any]:
        raw = self.store.get_meta(CHECK_KEY, {})
        return dict(raw) if isinstance(raw, dict) else {}

    def _saved_ids(self) -> list[str]:
        return [v.id for v in reading_list(self.store)]

    def _due(self) -> bool:
        next_at = self.status().get("next_at")
        try:
            return not next_at or self._now() >= datetime.fromisoformat(str(next_at))
        except ValueError:
            return True

    async def run(self) -> None:
        while True:
            if self._due() and self._saved_ids():
                try:
                    await self.check_now()
                except StoreError as exc:  # the result could not be written: the next tick tries again
                    log.warning("version check could not record its result error=%s", exc)
            # Checked on the wall clock every tick: a due time passed while the machine slept is seen on waking.
            await asyncio.sleep(self._tick)

    async def check_now(self) -> dict[str, Any]:
        """Ask arXiv for every saved paper's current version; store what it says; record the outcome."""
        ids = self._saved_ids()
        state = self.status()
        papers = 0
        error: str | None = None
        retry_after = 0.0
        for start in range(0, len(ids), self._batch):
            try:
                papers += await self._batch_of(ids[start : start + self._batch])
            except (FeedError, DownloadFailed) as exc:
                error = str(exc)
                retry_after = getattr(exc, "retry_after", None) or 0.0
                break  # the API is refusing now: the other batches would fare alike
        now = self._now()
        if error is None:
            state = {
                "last_success_at": iso_z(now),
                "next_at": iso_z(now + timedelta(seconds=self._interval)),
                "error": None,
                "error_at": None,
                "error_count": 0,
                "papers": papers,
            }
        else:
            count = int(state.get("error_count") or 0) + 1
            wait = max(retry_after, backoff_delay(count, base=RETRY_BASE_SECONDS))
            state = {
                **state,
                "next_at": iso_z(now + timedelta(seconds=wait)),
                "error": f"The daily check of saved papers' versions failed: {error}",
                "error_at": iso_z(now),
                "error_count": count,
            }
            log.warning("version check failed error=%s next=%s", error, state["next_at"])
        await self.store.put_meta(CHECK_KEY, state)
        self.bus.publish("versions.checked", {"papers": papers, "error": state.get("error")})
        return state

    async def _batch_of(self, ids: list[str]) -> int:
        """One batch of ids, page by page; each page's papers are stored as they come (nothing is lost)."""
        base = arxiv_api_base(self._config().arxiv_url)
        start = 0
        stored: set[str] = set()
        for _ in range(MAX_PAGES):
            query = urlencode({"id_list": ",".join(ids), "start": start, "max_results": len(ids)}, safe=",/")
            body = await self.http.get_bytes(
                f"{base}/api/query?{query}", MAX_ANSWER_BYTES, what=f"the versions of {len(ids)} saved papers"
            )
            page = parse_export_page(body)
            found = [p for p in page.papers if p.id in ids and p.id not in stored]
            if found:
                await self.store.add_papers([self._as_stored(p) for p in found])
                stored.update(p.id for p in found)
            start += len(page.papers)
            # Done when arXiv says so, or when a page brings no paper not seen already (an answer that repeats).
            if not found or start >= min(page.total, len(ids)):
                break
        return len(stored)

    def _as_stored(self, paper: Paper) -> Paper:
        # The check adds a version, not a source: a paper already stored keeps the lists it came from.
        return replace(paper, sources=() if self.store.get_paper(paper.id) is not None else ("library",))
