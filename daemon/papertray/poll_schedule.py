"""When a source's next poll is due, shared by every poller (Hugging Face's `poller.py`, arXiv's
`arxiv_poller.py`): the due time on two clocks, the wait for it, and the delay after a failure.

Time is kept on the wall clock as well as the monotonic one: the monotonic clock stands still while the machine
sleeps, so a due time passed during sleep is noticed by the wall clock within one tick of waking; a poller may
also ask to poll at once after a wake (`woke`), e.g. when a new day began while the machine slept.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from papertray.backoff import backoff_delay
from papertray.events import EventBus
from papertray.timestamps import iso_z

log = logging.getLogger(__name__)

WAKE_JUMP_SECONDS = 90.0  # the wall clock ran this much further than the monotonic one: the machine slept


class DueTime:
    """The next poll's time: `next_poll_at` (ISO, kept in the source's state across restarts) and its monotonic
    twin."""

    def __init__(self, now: Callable[[], datetime], monotonic: Callable[[], float], tick: float) -> None:
        self._now = now
        self._monotonic = monotonic
        self._tick = tick
        self.mono: float | None = None

    def set_next(self, seconds: float) -> str:
        """Due `seconds` from now; the ISO time to keep in the source's state."""
        self.mono = self._monotonic() + seconds
        return iso_z(self._now() + timedelta(seconds=seconds))

    def restore(self, next_poll_at: str | None) -> str | None:
        """The saved due time after a restart (None when it cannot be read: due at once)."""
        if next_poll_at is None:
            return None
        try:
            due = datetime.fromisoformat(next_poll_at)
            self.mono = self._monotonic() + (due - self._now()).total_seconds()
        except (ValueError, TypeError):
            return None
        return next_poll_at

    async def wait(
        self,
        next_poll_at: Callable[[], str | None],
        since: tuple[datetime, float] | None,
        woke: Callable[[datetime], bool] = lambda _now: False,
    ) -> None:
        """Return when the poll is due on either clock, or at once after a wake for which `woke(now)` is true.
        `since` is (wall, monotonic) at the start of the last poll, so a sleep during that poll counts too."""
        last_wall, last_mono = since or (self._now(), self._monotonic())
        while True:
            wall_due = _parse(next_poll_at())
            mono_due = self.mono
            wall_now, mono_now = self._now(), self._monotonic()
            if wall_due is None or wall_now >= wall_due or (mono_due is not None and mono_now >= mono_due):
                return
            jump = (wall_now - last_wall).total_seconds() - (mono_now - last_mono)
            if jump > WAKE_JUMP_SECONDS:
                log.info("wall clock jumped seconds=%.0f (machine slept?)", jump)
                if woke(wall_now):
                    return
            last_wall, last_mono = wall_now, mono_now
            remaining = (wall_due - wall_now).total_seconds()
            if mono_due is not None:
                remaining = min(remaining, mono_due - mono_now)
            await asyncio.sleep(max(0.0, min(self._tick, remaining)))


def _parse(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def failure_delay(
    errors: int,
    *,
    offline: bool,
    retry_after: float,
    interval: float,
    base: float,
    cap: float,
    rand: Callable[[], float],
) -> float:
    """Seconds before the next try after `errors` failed polls in a row. Unreachable (offline, or no answer at
    all) costs the server nothing, and being back online should not wait hours: those retries back off only up
    to the normal interval. A server's own `Retry-After` is never cut short."""
    top = min(cap, interval) if offline else cap
    return max(backoff_delay(errors, base=base, cap=top, rand=rand), retry_after)


async def until_event_makes(bus: EventBus, done: Callable[[], bool]) -> None:
    """Sleep, with no wake-ups of its own, until an event on the bus (a config reload) makes `done()` true."""
    events = bus.subscribe()
    try:
        while not done():
            await anext(events)
    finally:
        await events.aclose()  # type: ignore[attr-defined]


def report_dict(report: Any) -> dict[str, Any]:
    """A poll report (a dataclass) as the API answers it: its fields in order, tuples as lists."""
    return {
        field.name: list(value) if isinstance(value, tuple) else value
        for field in dataclasses.fields(report)
        for value in (getattr(report, field.name),)
    }
