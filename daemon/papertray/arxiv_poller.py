"""arXiv's listings as a source: one conditional GET per poll on the combined listing feed of every followed
archive and category (`/rss/cs.LG+cs.CL`), parsed by `sources/arxiv_listing.py`, stored as one record per paper.

Schedule. The feed changes once a day and says so: its `Cache-Control: max-age` runs to arXiv's next midnight, and
no poll goes out before it expires (nor before `[poll] interval_minutes`). The ETag of the last good answer is
sent as `If-None-Match` and kept with the source's state, so a 304 means "nothing new" across restarts too.
After an error the next poll backs off as Hugging Face's does (`poll_schedule.failure_delay`); a failing arXiv
never stops the other sources, and is never parked: it is always tried again.

Catch-up (`arxiv_catchup.py`): the state keeps the last announcement day seen whole (`last_full_day`) and the last
listed one. When a listing's day leaves weekdays unseen in between, the missed submissions are fetched once from
the export API and a single `poll.caught_up` event says how many papers came (the notifier turns it into one
line; papers announced long ago get no notification of their own).

Politeness is the Fetcher's: it is built with the limiter `app.run_daemon` hands in, the one every arXiv request
of papertray shares (3 s apart, one at a time).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from papertray.arxiv_catchup import Progress, catch_up, window
from papertray.backoff import BACKOFF_CAP_SECONDS, RETRY_BASE_SECONDS, jittered
from papertray.config import Config
from papertray.errors import BadStatus, FeedError, RateLimited, StoreError, Unreachable, one_sentence
from papertray.events import EventBus
from papertray.models import Paper, SourceState
from papertray.poll_schedule import DueTime, failure_delay, report_dict, until_event_makes
from papertray.source_state import parse_day, read_state, state_record
from papertray.sources.arxiv_listing import arxiv_rss_base, listing_query, parse_listing
from papertray.sources.guard import Guard
from papertray.sources.http import TIMEOUT_SECONDS, Fetcher, env_proxy
from papertray.sources.politeness import HostLimiter
from papertray.store import Store
from papertray.timestamps import iso_z, utc_now

log = logging.getLogger(__name__)

SOURCE = "arxiv"
META_KEY = "poller.arxiv"
TICK_SECONDS = 30.0
MIN_INTERVAL_SECONDS = 300.0
MAX_AGE_CAP_SECONDS = 24 * 3600.0  # a feed that asks for longer is still asked again the next day
LISTING_ACCEPT = "application/rss+xml, application/xml;q=0.9, */*;q=0.1"
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d{1,9})", re.I)


@dataclass(frozen=True, slots=True)
class ArxivReport:
    """What one poll of the listing did; `to_dict` has the shape of the Hugging Face poller's report."""

    source: str
    days: tuple[str, ...] = ()
    fetched: int = 0
    new: tuple[str, ...] = ()
    updated: int = 0
    skipped: int = 0
    error: str | None = None
    unreachable: bool = False
    not_modified: bool = False
    caught_up: int = 0

    def to_dict(self) -> dict[str, Any]:
        return report_dict(self)


def max_age(headers: dict[str, str] | Any) -> float | None:
    match = _MAX_AGE.search(str(headers.get("Cache-Control", "")))
    return min(float(match.group(1)), MAX_AGE_CAP_SECONDS) if match else None


class ArxivPoller:
    """Polls the followed arXiv listings on a schedule (`run`) or on request (`poll_now`). Keyword arguments
    exist so tests run the real schedule fast; the daemon passes only the shared `limiter`."""

    def __init__(
        self,
        config: Callable[[], Config],
        store: Store,
        bus: EventBus,
        *,
        limiter: HostLimiter | None = None,
        fetcher: Fetcher | None = None,
        interval: float | None = None,
        tick: float = TICK_SECONDS,
        retry_base: float = RETRY_BASE_SECONDS,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        page_size: int | None = None,
        now: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._config = config
        self._store = store
        self._bus = bus
        guard = Guard(
            allowed_hosts=lambda: config().allowed_private_hosts,
            trusted_origins=lambda: (config().arxiv_url,),
            proxy_for=env_proxy,
        )
        self._fetcher = fetcher or Fetcher(timeout=timeout, limiter=limiter, guard=guard)
        self._interval = interval
        self._tick = tick
        self._retry_base = retry_base
        self._backoff_cap = backoff_cap
        self._page_size = page_size
        self._now = now
        self._rand = rand
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._due = DueTime(now, monotonic, tick)
        self._last_clocks: tuple[datetime, float] | None = None
        saved = store.get_meta(META_KEY)
        state, self._last_full = read_state(saved, SOURCE)
        self._state = replace(state, next_poll_at=self._due.restore(state.next_poll_at))
        saved = saved if isinstance(saved, dict) else {}
        self._etag: tuple[str, str] | None = None  # (url, ETag) of the last good answer
        etag = saved.get("etag")
        if isinstance(etag, list) and len(etag) == 2 and all(isinstance(v, str) for v in etag):
            self._etag = (etag[0], etag[1])
        self._listed: date | None = _day_or_none(saved.get("listed_day"))
        polled = saved.get("followed")
        # the lists the schedule was made for: an edit that follows others is polled at once, whatever max-age said
        self._polled_for = tuple(str(n) for n in polled) if isinstance(polled, list) else None

    # ------------------------------------------------------------------ public

    @property
    def followed(self) -> tuple[str, ...]:
        return self._config().arxiv_categories

    def source_states(self) -> list[SourceState]:
        """The arXiv source while any archive or category is followed (with which, under `extra`)."""
        if not self.followed:
            return []
        return [replace(self._state, extra={**self._state.extra, "categories": list(self.followed)})]

    @property
    def interval(self) -> float:
        if self._interval is not None:
            return self._interval
        return max(self._config().poll_interval_seconds, MIN_INTERVAL_SECONDS)

    async def run(self) -> None:
        """Poll on schedule until cancelled; nothing while no category is followed (a reload may add some)."""
        try:
            while True:
                if not self.followed:
                    await until_event_makes(self._bus, lambda: bool(self.followed))
                await self._due.wait(self._next_for_followed, self._last_clocks)
                if not self.followed:
                    continue
                try:
                    await self.poll_now()
                except Exception:  # a bug, not a feed problem: keep polling regardless
                    log.exception("poll failed unexpectedly source=%s", SOURCE)
                    self._record("papertray hit an internal error while polling arXiv; the log has the details.")
        finally:
            await self.close()

    def _next_for_followed(self) -> str | None:
        return self._state.next_poll_at if self._polled_for == self.followed else None

    async def poll_now(self, days: Sequence[str] | None = None) -> ArxivReport:
        """Poll the listing now (`days` is for Hugging Face's backfill; arXiv's listing has no past days)."""
        async with self._lock:
            return await self._poll()

    async def close(self) -> None:
        self._state = replace(self._state, polling=False)
        await self._fetcher.close()

    # ------------------------------------------------------------------ polling

    async def _poll(self) -> ArxivReport:
        config = self._config()
        followed = config.arxiv_categories
        query = listing_query(followed)
        if not followed:
            return ArxivReport(SOURCE)
        started = self._now()
        self._last_clocks = (started, self._monotonic())
        self._polled_for = followed
        self._state = replace(self._state, polling=True, last_poll_at=iso_z(started))
        self._bus.publish("poll.started", {"source": SOURCE, "days": []})
        url = f"{arxiv_rss_base(config.arxiv_url)}/rss/{query}"
        headers = {"Accept": LISTING_ACCEPT}
        if self._etag is not None and self._etag[0] == url:
            headers["If-None-Match"] = self._etag[1]
        errors: list[str] = []
        retry_after, offline, unreachable, not_modified, fresh = 0.0, False, False, False, None
        collected: dict[str, Paper] = {}
        skipped = 0
        listing_day: str | None = None
        try:
            result = await self._fetcher.get(url, what=f"the listing of {query}", headers=headers)
        except (RateLimited, Unreachable) as exc:
            errors.append(str(exc))
            retry_after = getattr(exc, "retry_after", 0.0)
            offline = isinstance(exc, Unreachable)
            unreachable = True
        except BadStatus as exc:
            errors.append(_refusal(exc, query, config))
        except FeedError as exc:
            errors.append(str(exc))
        else:
            fresh = max_age(result.headers)
            not_modified = result.status == 304
            if not not_modified:
                try:
                    listing = parse_listing(result.body, followed)
                except FeedError as exc:
                    errors.append(str(exc))
                    self._fetcher.forget(url)
                else:
                    collected = {p.id: p for p in listing.papers}
                    skipped = listing.unknown_types + listing.skipped
                    listing_day = listing.day
                    if listing.error is not None:
                        errors.append(listing.error)
                        self._fetcher.forget(url)  # cut off or empty: the next poll must fetch it whole
                    else:
                        self._etag = (url, result.etag) if result.etag else None
                        if listing.day and listing.papers:
                            self._listed = parse_day(listing.day)
        caught: dict[str, Paper] = {}
        progress: Progress | None = None
        if not errors:
            try:
                caught, progress = await self._catch_up(config, followed)
            except FeedError as exc:
                errors.append(f"Catching up on missed arXiv days failed: {str(exc).rstrip('.')}; it is tried again.")
        for paper_id, paper in caught.items():
            known = collected.get(paper_id)
            collected[paper_id] = known.merged_with(paper) if known else paper
        new: tuple[str, ...] = ()
        updated = 0
        if collected:
            try:
                stored = await self._store.add_papers(list(collected.values()))
            except StoreError as exc:
                errors.insert(0, str(exc))
                caught = {}
            else:
                new, updated = tuple(p.id for p in stored.new), stored.updated
        if progress is not None and not errors:
            self._last_full = self._listed  # the missed days are in: done once
            fresh_ids = [p for p in new if p in caught]
            self._bus.publish(
                "poll.caught_up",
                {"source": SOURCE, "papers": len(fresh_ids), "lists": list(followed)}
                | {"since": progress.since, "until": progress.until},
            )
        error = one_sentence(errors)
        self._record(error, retry_after, offline, fresh=fresh, fetched=len(collected), skipped=skipped)
        await self._persist()
        report = ArxivReport(
            SOURCE,
            (listing_day,) if listing_day else (),
            len(collected),
            new,
            updated,
            skipped,
            error,
            unreachable,
            not_modified,
            len(caught),
        )
        log.info(
            "poll done source=%s fetched=%d new=%d updated=%d skipped=%d not_modified=%s caught_up=%d error=%s next=%s",
            SOURCE,
            report.fetched,
            len(new),
            updated,
            skipped,
            not_modified,
            report.caught_up,
            error,
            self._state.next_poll_at,
        )
        if error is not None:
            self._bus.publish(
                "poll.error",
                {"source": SOURCE, "error": error, "error_count": self._state.error_count}
                | {"next_poll_at": self._state.next_poll_at},
            )
        self._bus.publish("poll.done", report.to_dict())
        return report

    async def _catch_up(self, config: Config, followed: Sequence[str]) -> tuple[dict[str, Paper], Progress | None]:
        """The missed announcements' papers, when the last listing left weekdays unseen since the last one."""
        if self._listed is None:
            return {}, None
        if self._last_full is None or self._last_full > self._listed:
            self._last_full = self._listed  # the first listing papertray sees: no history to catch up on
            return {}, None
        days = window(self._last_full, self._listed, config.catch_up_days)
        if days is None:
            self._last_full = self._listed
            return {}, None
        options = {"page_size": self._page_size} if self._page_size else {}
        return await catch_up(self._fetcher, config.arxiv_url, followed, days, progress=self._show, **options)

    def _show(self, progress: Progress) -> None:
        self._state = replace(self._state, extra={**self._state.extra, "catch_up": progress.to_dict()})

    def _record(
        self,
        error: str | None,
        retry_after: float = 0.0,
        offline: bool = False,
        *,
        fresh: float | None = None,
        fetched: int = 0,
        skipped: int = 0,
    ) -> None:
        now_iso = iso_z(self._now())
        state = replace(self._state, polling=False, papers_last_poll=fetched, skipped_entries=skipped)
        if error is None:
            # the feed's own max-age says when it can next change: asking earlier would only get the same answer
            wait = max(jittered(self.interval, rand=self._rand), fresh or 0.0)
            extra = {k: v for k, v in state.extra.items() if k != "catch_up"}
            state = replace(
                state,
                last_success_at=now_iso,
                error_count=0,
                last_error=None,
                last_error_at=None,
                next_poll_at=self._due.set_next(wait),
                extra=extra,
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
            next_at = self._due.set_next(delay)
            state = replace(state, error_count=count, last_error=error, last_error_at=now_iso, next_poll_at=next_at)
        self._state = state

    async def _persist(self) -> None:
        record = state_record(self._state, self._last_full)
        record["etag"] = list(self._etag) if self._etag else None
        record["listed_day"] = self._listed.isoformat() if self._listed else None
        record["followed"] = list(self._polled_for or ())
        try:
            await self._store.put_meta(META_KEY, record)
        except StoreError as exc:
            log.warning("could not save arxiv poller state error=%s", exc)


def _refusal(exc: BadStatus, query: str, config: Config) -> str:
    """arXiv's feed answers 400 for an archive or category outside its taxonomy (arxiv-feed's validate_request)."""
    if exc.status == 400:
        return (
            f"arXiv refused the listing of {query} (400 Bad Request): one of [arxiv] categories in "
            f"{config.paths.config_file} is not an archive or category arXiv knows."
        )
    return str(exc)


def _day_or_none(value: Any) -> date | None:
    try:
        return parse_day(value) if isinstance(value, str) else None
    except ValueError:
        return None
