"""The digests' long-lived part in the daemon: rewrites `<data>/feeds/*.atom` at start, after every poll and when
a saved paper's new version is found, and runs the email digest's scheduler (schedule.py). With the digest off
it sets no timer at all: only a config reload wakes it. Every send or failed send is published as
`digest.checked`, so the tray shows (or stops showing) the server's words at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from papertray.atomic import write_atomic
from papertray.config import Config
from papertray.credentials import Credentials
from papertray.digest.email_message import html_body
from papertray.digest.files import write_feed_files
from papertray.digest.schedule import CHECK_SECONDS, Outcome, Scheduler, latest_slot, local_now
from papertray.digest.selection import NewVersions, RankedItems, no_ranking, no_versions
from papertray.digest_settings import DigestSettings
from papertray.errors import KeyringUnavailable, StoreError
from papertray.events import EventBus
from papertray.store import Store

log = logging.getLogger(__name__)
FIRST_POLL_WAIT_SECONDS = 120.0
PASSWORD_NAME = "smtp_password"  # noqa: S105 (the keyring entry's name)


class DigestService:
    def __init__(
        self,
        config: Callable[[], Config],
        store: Store,
        bus: EventBus,
        credentials: Credentials | None = None,
        *,
        now: Callable[[], datetime] = local_now,
        next_poll_at: Callable[[], str | None] = lambda: None,
        ranked: RankedItems = no_ranking,
        versions: NewVersions = no_versions,
    ) -> None:
        self.config = config
        self.ranked = ranked
        self.versions = versions
        self.next_poll_at = next_poll_at
        self.store = store
        self.bus = bus
        self.credentials = credentials
        self.scheduler = Scheduler(config, store, self._password, now=now, ranked=ranked, versions=versions)
        self._wake = asyncio.Event()
        self._polled = asyncio.Event()  # the first poll after start is done (or failed)
        self._sending = asyncio.Lock()  # the timer and `digest send --now` never send at once

    async def _password(self) -> str | None:
        if self.credentials is None:
            return None
        try:
            return await asyncio.to_thread(self.credentials.get, PASSWORD_NAME)
        except KeyringUnavailable:
            return None  # smtp.py then says which secret to set

    def problems(self) -> list[str]:
        problem = self.scheduler.problem()
        return [problem] if problem else []

    async def write_feeds(self) -> None:
        config = self.config()
        try:
            folder = config.paths.data_dir / "feeds"
            await asyncio.to_thread(write_feed_files, folder, self.store, config, None, self.ranked, self.versions)
        except (OSError, StoreError) as exc:  # a full disk must not stop the daemon; the next poll tries again
            log.error("feeds not written reason=%s", exc)

    def preview(self) -> Path:
        """The digest that would go out now, as an HTML file (`papertray digest preview`)."""
        scheduler = self.scheduler
        digest = scheduler.digest(scheduler.record(), scheduler.now())
        path = self.config().paths.cache_dir / "digest-preview.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, html_body(digest).encode())
        return path

    async def send_now(self, *, force_empty: bool) -> Outcome:
        async with self._sending:
            return self._published(await self.scheduler.send_now(force_empty=force_empty))

    def _published(self, outcome: Outcome) -> Outcome:
        if outcome.status in ("sent", "failed", "empty"):  # a problem shown or ended: the tray redraws
            self.bus.publish("digest.checked", {"status": outcome.status})
        return outcome

    def _seconds_to_next_check(self, settings: DigestSettings) -> float:
        """Until the next slot or retry, but never more than CHECK_SECONDS: a suspend stops the monotonic clock
        that asyncio sleeps on, so the wall clock is read again at least that often."""
        now = self.scheduler.now()
        step = timedelta(days=7 if settings.schedule == "weekly" else 1)
        wait = (latest_slot(now, settings) + step - now).total_seconds()
        retry = self.scheduler.record().next_try_at
        if retry:
            wait = min(wait, (datetime.fromisoformat(retry) - now).total_seconds())
        return max(1.0, min(CHECK_SECONDS, wait))

    async def _first_poll(self) -> None:
        """After a sleep or at login, today's papers come with the first poll: a digest sent before it would miss
        them. Wait for that poll when one is coming soon (not when the last one is recent)."""
        upcoming = self.next_poll_at()
        soon = local_now() + timedelta(seconds=FIRST_POLL_WAIT_SECONDS)
        if upcoming is None or datetime.fromisoformat(upcoming) <= soon:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._polled.wait(), FIRST_POLL_WAIT_SECONDS)

    async def _schedule(self) -> None:
        # With the digest off nothing here sets a timer (an idle daemon sleeps): only a config reload wakes it.
        first = True
        while True:
            self._wake.clear()  # before the check: a wake during it leads to another check
            settings = self.config().digest
            timeout: float | None = None
            if settings.enabled:
                if first:
                    await self._first_poll()
                async with self._sending:
                    try:
                        outcome = self._published(await self.scheduler.tick())
                    except (OSError, StoreError) as exc:
                        log.error("digest check failed reason=%s", exc)
                    else:
                        if first or outcome.status != "not due":
                            log.info("digest checked status=%s", outcome.status)
                        first = False
                timeout = self._seconds_to_next_check(settings)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def run(self) -> None:
        scheduler = asyncio.create_task(self._schedule(), name="digest-schedule")
        events = self.bus.subscribe()
        try:
            await self.write_feeds()
            async for event in events:
                if event.type == "poll.done":
                    await self.write_feeds()
                    self._polled.set()
                    self._wake.set()  # new papers; a pending retry may now have something to say
                elif event.type == "versions.changed":
                    await self.write_feeds()  # the new-versions feed (its file) has a new entry
                elif event.type == "config.reloaded":
                    self._wake.set()
        finally:
            scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler
            await events.aclose()  # type: ignore[attr-defined]
