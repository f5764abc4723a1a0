"""The poller: the one orchestrator that schedules polling Hugging Face Daily Papers, runs fetch → parse → store
for each day, keeps the source's health (`SourceState`) and announces polls on the event bus.

Schedule. A normal poll asks for today and yesterday (UTC: late submissions and upvotes change yesterday's
list) plus every day missed since the last fully polled day, at most `catch_up_days` back. Polls repeat every
`poll_interval_seconds` (with ±10 % jitter). After an error the next poll comes after an exponential backoff
(60 s doubling, capped at 6 h, jittered; capped at the normal interval when the host could not be reached at
all, e.g. offline), or later if the server asked for a longer wait; polling never stops. The due time lives on
both the wall and the monotonic clock (`poll_schedule.py`, shared with arXiv's poller), so a sleep is noticed.

Bookkeeping (source state and the last fully polled day) lives in the store's meta under `poller.hf`, so
`papertray status` shows it after a restart and missed days are caught up across restarts.

Explicit days (backfill) are the user's errand, not the source's health: their failures are reported to the
caller and never count as errors in a row nor move the next regular poll. A report says `unreachable` when the
host could not be reached or refused to answer now, so a caller walking many days stops at the first one.

Concurrency. Only one poll of the source runs at a time. A normal poll requested while one is running shares
its result; polls of explicit days (backfill) wait their turn.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from papertray.backoff import BACKOFF_CAP_SECONDS, RETRY_BASE_SECONDS, backoff_delay, jittered
from papertray.config import Config
from papertray.errors import FeedError, RateLimited, StoreError, Unreachable, one_sentence
from papertray.events import EventBus
from papertray.models import Paper, SourceState
from papertray.poll_schedule import DueTime, failure_delay, report_dict
from papertray.source_state import parse_day, read_state, state_record
from papertray.sources.daily_papers import parse_daily_papers
from papertray.sources.guard import Guard, host_label
from papertray.sources.http import MAX_BODY_BYTES, TIMEOUT_SECONDS, Fetcher, env_proxy
from papertray.sources.politeness import MIN_SPACING_SECONDS, HostLimiter
from papertray.store import Store
from papertray.timestamps import iso_z, utc_now

log = logging.getLogger(__name__)

SOURCE = "hf"
META_KEY = "poller.hf"
PAGE_SIZE = 100  # the API's maximum
MAX_PAGES = 30  # a day has ~30 papers; a server that never sends a short page must not keep us busy forever
MIN_INTERVAL_SECONDS = 300.0
TICK_SECONDS = 30.0  # how often the wall clock is checked while waiting (notices sleep and clock changes)


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one poll did: `fetched` papers (distinct ids), of which `new` were unknown and `updated` changed;
    `skipped` entries could not be used; `error` is one sentence, or None when every day succeeded;
    `unreachable`: the host could not be reached or would not answer now (offline, DNS, rate limited), so
    asking for other days now would fail alike."""

    source: str
    days: tuple[str, ...]
    fetched: int = 0
    new: tuple[str, ...] = ()
    updated: int = 0
    skipped: int = 0
    error: str | None = None
    unreachable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return report_dict(self)


class Poller:
    """Polls the Daily Papers source on a schedule (`run`) or on request (`poll_now`).

    The keyword arguments exist so tests can run the real schedule in milliseconds; the daemon uses defaults.
    """

    def __init__(
        self,
        config: Callable[[], Config],
        store: Store,
        bus: EventBus,
        *,
        fetcher: Fetcher | None = None,
        limiter: HostLimiter | None = None,  # the daemon's one limiter (politeness.machine_limiter)
        interval: float | None = None,
        tick: float = TICK_SECONDS,
        retry_base: float = RETRY_BASE_SECONDS,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
        page_size: int = PAGE_SIZE,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_BODY_BYTES,
        min_spacing: float = MIN_SPACING_SECONDS,
        now: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        hf_token: Callable[[], Awaitable[str | None]] | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._bus = bus
        # The configured source is trusted as configured (a test or mirror on 127.0.0.1); a redirect from it to
        # any other private address is not (11.7).
        guard = Guard(
            allowed_hosts=lambda: config().allowed_private_hosts,
            trusted_origins=lambda: (config().hf_url,),
            proxy_for=env_proxy,
        )
        self._fetcher = fetcher or Fetcher(
            timeout=timeout, max_bytes=max_bytes, min_spacing=min_spacing, limiter=limiter, guard=guard
        )
        self._interval = interval
        self._retry_base = retry_base
        self._backoff_cap = backoff_cap
        self._page_size = page_size
        self._now = now
        self._monotonic = monotonic
        self._rand = rand
        self._hf_token = hf_token  # asked once per poll: a token set or removed meanwhile takes effect
        self._auth: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self._inflight: dict[tuple[str, ...] | None, asyncio.Task[PollReport]] = {}
        self._due = DueTime(now, monotonic, tick)  # state.next_poll_at on both clocks
        self._last_poll_day: date | None = None
        self._last_poll_clocks: tuple[datetime, float] | None = None  # (wall, monotonic) at its start
        self._state, self._last_full_day = self._restore()

    # ------------------------------------------------------------------ public

    def source_states(self) -> list[SourceState]:
        return [self._state]

    @property
    def interval(self) -> float:
        if self._interval is not None:
            return self._interval
        return max(self._config().poll_interval_seconds, MIN_INTERVAL_SECONDS)

    async def run(self) -> None:
        """Poll on schedule until cancelled. Errors are recorded and backed off, never raised."""
        log.info("poller started source=%s next_poll_at=%s", SOURCE, self._state.next_poll_at)
        try:
            while True:
                await self._wait_until_due()
                try:
                    await self.poll_now()
                except Exception:
                    # a bug, not a feed problem (those are recorded, never raised): keep polling regardless
                    log.exception("poll failed unexpectedly source=%s", SOURCE)
                    count = self._state.error_count + 1
                    delay = backoff_delay(count, base=self._retry_base, cap=self._backoff_cap, rand=self._rand)
                    self._state = replace(
                        self._state,
                        polling=False,
                        error_count=count,
                        last_error="papertray hit an internal error while polling; the log has the details.",
                        last_error_at=iso_z(self._now()),
                        next_poll_at=self._set_next(delay),
                    )
        finally:
            await self.close()

    async def poll_now(self, days: Sequence[str] | None = None) -> PollReport:
        """Poll now. `days=None` is the normal poll (today, yesterday and missed days); otherwise exactly the
        given `YYYY-MM-DD` days (backfill). Raises ValueError for a malformed or future day."""
        key: tuple[str, ...] | None = None
        if days is not None:
            today = self._now().astimezone(UTC).date()
            parsed = [parse_day(day) for day in days]
            for day in parsed:
                if day > today:
                    raise ValueError(f"{day.isoformat()} is in the future (today is {today.isoformat()} UTC).")
            key = tuple(dict.fromkeys(day.isoformat() for day in parsed))
        task = self._inflight.get(key)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._serialised(key), name=f"papertray-poll-{SOURCE}")
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        # shield: a caller that goes away (an HTTP client hanging up) does not cut the poll short for the others
        return await asyncio.shield(task)

    async def close(self) -> None:
        tasks = [task for task in self._inflight.values() if not task.done()]
        for task in tasks:
            task.cancel()
        # cancelled on shutdown; what they had done is already recorded
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._state.polling:
            self._state = replace(self._state, polling=False)
        await self._fetcher.close()

    # ------------------------------------------------------------------ scheduling

    def _forget(self, key: tuple[str, ...] | None, task: asyncio.Task[PollReport]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]

    async def _wait_until_due(self) -> None:
        def woke(now: datetime) -> bool:
            # a new UTC day began while asleep: catch up now rather than at the old due time
            return self._last_poll_day is not None and now.astimezone(UTC).date() != self._last_poll_day

        await self._due.wait(lambda: self._state.next_poll_at, self._last_poll_clocks, woke)

    def _set_next(self, seconds: float) -> str:
        return self._due.set_next(seconds)

    # ------------------------------------------------------------------ polling

    async def _serialised(self, days: tuple[str, ...] | None) -> PollReport:
        async with self._lock:
            return await self._poll(days)

    def _normal_days(self, today: date) -> list[date]:
        yesterday = today - timedelta(days=1)
        oldest = today - timedelta(days=self._config().catch_up_days)
        last_full = self._last_full_day or (today - timedelta(days=2))
        days = [today, yesterday]
        day = yesterday - timedelta(days=1)
        while day > last_full and day >= oldest:
            days.append(day)
            day -= timedelta(days=1)
        return days

    async def _poll(self, explicit: tuple[str, ...] | None) -> PollReport:
        started = self._now()
        today = started.astimezone(UTC).date()
        if explicit is None:
            self._last_poll_clocks = (started, self._monotonic())
        days = [parse_day(d) for d in explicit] if explicit is not None else self._normal_days(today)
        day_names = tuple(d.isoformat() for d in days)
        self._state = replace(self._state, polling=True, last_poll_at=iso_z(started))
        self._bus.publish("poll.started", {"source": SOURCE, "days": list(day_names)})
        log.info("poll started source=%s days=%s", SOURCE, ",".join(day_names))
        self._auth = await self._authorization()

        collected: dict[str, Paper] = {}
        skipped = 0
        errors: list[str] = []
        retry_after = 0.0
        offline = unreachable = False
        ok_days: set[date] = set()
        try:
            for day in days:
                try:
                    skipped += await self._poll_day(day, collected)
                except (RateLimited, Unreachable) as exc:
                    # the host cannot or will not answer now: asking for the other days would fail alike
                    errors.append(str(exc))
                    retry_after = getattr(exc, "retry_after", 0.0)
                    offline = isinstance(exc, Unreachable) and len(errors) == 1
                    unreachable = True
                    break
                except FeedError as exc:
                    errors.append(str(exc))
                    continue
                ok_days.add(day)

            new: tuple[str, ...] = ()
            updated = 0
            if collected:
                try:
                    result = await self._store.add_papers(list(collected.values()))
                except StoreError as exc:
                    errors.insert(0, str(exc))
                    ok_days.clear()  # nothing was stored: those days are not done
                else:
                    new = tuple(paper.id for paper in result.new)
                    updated = result.updated
        finally:
            self._state = replace(self._state, polling=False)

        error = one_sentence(errors)
        if explicit is None:
            self._advance_last_full_day(today, days, ok_days)
            self._last_poll_day = today
            self._record(error, retry_after, offline, fetched=len(collected), skipped=skipped)
        elif error is None:
            # the source answered: worth showing, but the regular schedule and its error count stay as they are
            self._state = replace(self._state, last_success_at=iso_z(self._now()))
        report = PollReport(SOURCE, day_names, len(collected), new, updated, skipped, error, unreachable)
        await self._persist()
        log.info(
            "poll done source=%s days=%d fetched=%d new=%d updated=%d skipped=%d error=%s next=%s",
            SOURCE,
            len(days),
            report.fetched,
            len(new),
            updated,
            skipped,
            error,
            self._state.next_poll_at,
        )
        if error is not None and explicit is None:
            self._bus.publish(
                "poll.error",
                {
                    "source": SOURCE,
                    "error": error,
                    "error_count": self._state.error_count,
                    "next_poll_at": self._state.next_poll_at,
                },
            )
        self._bus.publish("poll.done", report.to_dict())
        return report

    async def _authorization(self) -> dict[str, str]:
        """The user's Hugging Face token raises the rate limit; without one, papertray polls anonymously."""
        if self._hf_token is None:
            return {}
        try:
            token = await self._hf_token()
        except Exception as exc:  # a locked or missing keyring must not stop polling
            log.warning("no Hugging Face token for this poll reason=%s", type(exc).__name__)
            return {}
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def _poll_day(self, day: date, collected: dict[str, Paper]) -> int:
        """Fetch every page of one day into `collected` (one record per id); returns the skipped count."""
        base = self._config().hf_url.rstrip("/")
        name = day.isoformat()
        skipped = 0
        for page in range(MAX_PAGES):
            url = f"{base}/api/daily_papers?" + urlencode({"date": name, "limit": self._page_size, "p": page})
            what = name if page == 0 else f"{name} (page {page + 1})"
            result = await self._fetcher.get(url, what=what, headers=self._auth)
            papers, page_skipped = parse_daily_papers(result.body, day=name, host=host_label(url))
            skipped += page_skipped
            for paper in papers:
                known = collected.get(paper.id)
                collected[paper.id] = _merge_in_poll(known, paper) if known else paper
            if len(papers) + page_skipped < self._page_size:
                return skipped
        log.warning("day has more pages than expected day=%s pages=%d", name, MAX_PAGES)
        return skipped

    def _advance_last_full_day(self, today: date, days: list[date], ok_days: set[date]) -> None:
        """The last fully polled day moves up to yesterday, but not past the oldest day that failed."""
        yesterday = today - timedelta(days=1)
        failed = [day for day in days if day <= yesterday and day not in ok_days]
        candidate = min(failed) - timedelta(days=1) if failed else yesterday
        floor = self._last_full_day or (today - timedelta(days=2))
        self._last_full_day = max(candidate, floor) if failed else candidate

    def _record(self, error: str | None, retry_after: float, offline: bool, *, fetched: int, skipped: int) -> None:
        """The outcome of a normal poll: the source's health and when the next one is due."""
        now_iso = iso_z(self._now())
        state = self._state
        if error is None:
            next_at = self._set_next(jittered(self.interval, rand=self._rand))
            state = replace(
                state,
                last_success_at=now_iso,
                error_count=0,
                last_error=None,
                last_error_at=None,
                next_poll_at=next_at,
            )
        else:
            count = state.error_count + 1
            delay = failure_delay(
                count,
                offline=offline,
                retry_after=retry_after,
                interval=self.interval,
                base=self._retry_base,
                cap=self._backoff_cap,
                rand=self._rand,
            )
            next_at = self._set_next(delay)
            state = replace(state, error_count=count, last_error=error, last_error_at=now_iso, next_poll_at=next_at)
        extra = dict(state.extra)
        if self._last_full_day is not None:
            extra["last_full_day"] = self._last_full_day.isoformat()
        self._state = replace(state, papers_last_poll=fetched, skipped_entries=skipped, extra=extra)

    # ------------------------------------------------------------------ persistence

    async def _persist(self) -> None:
        try:
            await self._store.put_meta(META_KEY, state_record(self._state, self._last_full_day))
        except StoreError as exc:
            log.warning("could not save poller state error=%s", exc)

    def _restore(self) -> tuple[SourceState, date | None]:
        state, last_full = read_state(self._store.get_meta(META_KEY), SOURCE)
        return replace(state, next_poll_at=self._due.restore(state.next_poll_at)), last_full


def _merge_in_poll(known: Paper, again: Paper) -> Paper:
    """One record per paper per poll, whichever day or page listed it first: counts only grow on HF, so the
    larger one is the fresher whatever order the days were fetched in."""
    merged = known.merged_with(again)
    return replace(
        merged,
        upvotes=max(known.upvotes, again.upvotes),
        num_comments=max(known.num_comments, again.num_comments),
    )
