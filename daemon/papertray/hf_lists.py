"""Hugging Face's weekly, monthly and trending lists as optional sources (`[sources] hf_lists`, none by default):
`/api/daily_papers?week=YYYY-Www`, `?month=YYYY-MM` and `?sort=trending` (reference/feeds.md §1.1), the current
week and month by UTC. Useful after an absence: the month's top papers, each one record whatever list it came
from (`sources` gains `hf:week`, `hf:month`, `hf:trending`).

The lists change slowly, so they are polled every few hours (never more often than `[poll] interval_minutes`), all
in one poll, through the same Hugging Face limiter as the daily list. Each list has its own state in `status`
(`hf:week`, …); the schedule and its backoff are shared (`poll_schedule.py`), and one failing list never stops the
others or any other source. Their papers are old news for notifications (a week's or month's list is mostly past
`[notifications] max_age_days`), so they rarely notify; trending ones that are new and match a rule do.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from papertray.backoff import BACKOFF_CAP_SECONDS, RETRY_BASE_SECONDS, jittered
from papertray.config import Config
from papertray.errors import FeedError, RateLimited, StoreError, Unreachable, one_sentence
from papertray.events import EventBus
from papertray.models import Paper, SourceState
from papertray.poll_schedule import DueTime, failure_delay, report_dict, until_event_makes
from papertray.source_state import read_state, state_record
from papertray.sources.daily_papers import parse_daily_papers
from papertray.sources.guard import Guard, host_label
from papertray.sources.http import TIMEOUT_SECONDS, Fetcher, env_proxy
from papertray.sources.politeness import HostLimiter
from papertray.store import Store
from papertray.timestamps import iso_z, utc_now

log = logging.getLogger(__name__)

META_KEY = "poller.hf_lists"
LIST_INTERVAL_SECONDS = 3 * 3600.0
PAGE_SIZE = 100  # the API's maximum; one page of each list is its top


def list_query(name: str, now: datetime) -> dict[str, str | int]:
    """The query of one list for the current UTC week or month."""
    today = now.astimezone(UTC).date()
    if name == "week":
        year, week, _ = today.isocalendar()
        return {"week": f"{year}-W{week:02d}", "limit": PAGE_SIZE}
    if name == "month":
        return {"month": today.strftime("%Y-%m"), "limit": PAGE_SIZE}
    return {"sort": "trending", "limit": PAGE_SIZE}


@dataclass(frozen=True, slots=True)
class ListsReport:
    source: str = "hf:lists"
    days: tuple[str, ...] = ()  # the lists asked for ("hf:week", …)
    fetched: int = 0
    new: tuple[str, ...] = ()
    updated: int = 0
    skipped: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return report_dict(self)


class HfListsPoller:
    def __init__(
        self,
        config: Callable[[], Config],
        store: Store,
        bus: EventBus,
        *,
        limiter: HostLimiter | None = None,
        interval: float | None = None,
        tick: float = 30.0,
        retry_base: float = RETRY_BASE_SECONDS,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        now: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._config, self._store, self._bus = config, store, bus
        guard = Guard(
            allowed_hosts=lambda: config().allowed_private_hosts,
            trusted_origins=lambda: (config().hf_url,),
            proxy_for=env_proxy,
        )
        self._fetcher = Fetcher(timeout=timeout, limiter=limiter, guard=guard)
        self._interval, self._retry_base, self._backoff_cap = interval, retry_base, backoff_cap
        self._now, self._monotonic, self._rand = now, monotonic, rand
        self._due = DueTime(now, monotonic, tick)
        self._lock = asyncio.Lock()
        saved = store.get_meta(META_KEY)
        saved = saved if isinstance(saved, dict) else {}
        self._states: dict[str, SourceState] = {
            name: read_state(record, name)[0] for name, record in saved.items() if isinstance(record, dict)
        }
        due = [s.next_poll_at for s in self._states.values() if s.next_poll_at]
        self._next = self._due.restore(min(due)) if due else None
        self._last_clocks: tuple[datetime, float] | None = None

    @property
    def followed(self) -> tuple[str, ...]:
        return tuple(f"hf:{name}" for name in self._config().hf_lists)

    @property
    def interval(self) -> float:
        if self._interval is not None:
            return self._interval
        return max(LIST_INTERVAL_SECONDS, self._config().poll_interval_seconds)

    def source_states(self) -> list[SourceState]:
        return [self._states.get(name) or SourceState(name=name) for name in self.followed]

    async def run(self) -> None:
        try:
            while True:
                if not self.followed:
                    await until_event_makes(self._bus, lambda: bool(self.followed))
                await self._due.wait(lambda: self._next, self._last_clocks)
                if self.followed:
                    try:
                        await self.poll_now()
                    except Exception:  # a bug, not a feed problem: keep polling regardless
                        log.exception("poll failed unexpectedly source=hf:lists")
                        self._next = self._due.set_next(self.interval)
        finally:
            await self.close()

    async def poll_now(self, days: Sequence[str] | None = None) -> ListsReport:
        async with self._lock:
            return await self._poll()

    async def close(self) -> None:
        await self._fetcher.close()

    async def _poll(self) -> ListsReport:
        config, started = self._config(), self._now()
        self._last_clocks = (started, self._monotonic())
        base = config.hf_url.rstrip("/")
        today = started.astimezone(UTC).date().isoformat()
        collected: dict[str, Paper] = {}
        errors: list[str] = []
        skipped, retry_after, offline = 0, 0.0, False
        for name in self.followed:
            state = replace(self._states.get(name) or SourceState(name=name), last_poll_at=iso_z(started))
            url = f"{base}/api/daily_papers?" + urlencode(list_query(name.split(":", 1)[1], started))
            try:
                result = await self._fetcher.get(url, what=f"Hugging Face's {name.split(':')[1]} list")
                papers, dropped = parse_daily_papers(result.body, day=today, host=host_label(url), now=started)
            except FeedError as exc:
                errors.append(str(exc))
                retry_after = max(retry_after, getattr(exc, "retry_after", 0.0))
                offline = offline or isinstance(exc, Unreachable)
                state = replace(state, error_count=state.error_count + 1, last_error=str(exc))
                self._states[name] = replace(state, last_error_at=iso_z(self._now()))
                if isinstance(exc, RateLimited | Unreachable):
                    break  # the host will not answer the other lists now either
                continue
            skipped += dropped
            for paper in papers:
                tagged = replace(paper, sources=(name,))
                known = collected.get(paper.id)
                collected[paper.id] = known.merged_with(tagged) if known else tagged
            state = replace(state, papers_last_poll=len(papers), skipped_entries=dropped, last_error_at=None)
            self._states[name] = replace(state, last_success_at=iso_z(self._now()), error_count=0, last_error=None)
        new: tuple[str, ...] = ()
        updated = 0
        if collected:
            try:
                stored = await self._store.add_papers(list(collected.values()))
            except StoreError as exc:
                errors.insert(0, str(exc))
            else:
                new, updated = tuple(p.id for p in stored.new), stored.updated
        worst = max((s.error_count for s in self.source_states()), default=0)
        if errors:
            wait = failure_delay(
                max(worst, 1),
                offline=offline,
                retry_after=retry_after,
                interval=self.interval,
                base=self._retry_base,
                cap=self._backoff_cap,
                rand=self._rand,
            )
        else:
            wait = jittered(self.interval, rand=self._rand)
        self._next = self._due.set_next(wait)
        for name in self.followed:
            self._states[name] = replace(self._states.get(name) or SourceState(name=name), next_poll_at=self._next)
        await self._persist()
        error = one_sentence(errors)
        report = ListsReport("hf:lists", self.followed, len(collected), new, updated, skipped, error)
        log.info("poll done source=hf:lists fetched=%d new=%d error=%s", report.fetched, len(new), report.error)
        self._bus.publish("poll.done", report.to_dict())
        return report

    async def _persist(self) -> None:
        record = {name: state_record(state, None) for name, state in self._states.items()}
        try:
            await self._store.put_meta(META_KEY, record)
        except StoreError as exc:
            log.warning("could not save hf lists state error=%s", exc)
