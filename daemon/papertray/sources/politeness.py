"""Per-host politeness, the one place that spaces requests to a host: one request at a time to it, each starting
at least its spacing after the previous one ended, and a hold for as long as the host asked papertray to wait
(`Retry-After` in seconds or as an HTTP date, or the `t=` of the IETF `RateLimit` header that huggingface.co
sends). Pure asyncio: `sources/http.py` asks for a slot around every exchange.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MIN_SPACING_SECONDS = 1.0

_RATELIMIT_T = re.compile(r"(?:^|[;,\s])t\s*=\s*([0-9]+(?:\.[0-9]+)?)")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date. None when absent or unusable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def parse_ratelimit_reset(value: str | None) -> float | None:
    """The `t=` (seconds until the window resets) of an IETF `RateLimit` header, e.g. `"api";r=0;t=42`.
    With several limits listed, the longest wait (being polite costs little)."""
    if not value:
        return None
    waits = [float(match) for match in _RATELIMIT_T.findall(value)]
    return max(waits) if waits else None


class HostLimiter:
    """One request at a time per host, each starting at least `min_spacing` seconds after the previous one
    ended; plus a per-host hold for as long as a server asked us to wait."""

    def __init__(
        self, min_spacing: float = MIN_SPACING_SECONDS, *, per_host: Mapping[str, float] | None = None
    ) -> None:
        self.min_spacing = min_spacing
        # A host whose terms ask for more (arXiv: 3 s) gets its own spacing; any other host the default.
        self.per_host = dict(per_host or {})
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_end: dict[str, float] = {}
        self._hold_until: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            last = self._last_end.get(host)
            if last is not None:
                wait = last + self.spacing(host) - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                yield
            finally:
                # spacing counts from the end of the previous exchange: a slow answer is not followed at once
                self._last_end[host] = time.monotonic()

    def spacing(self, host: str) -> float:
        return self.per_host.get(host, self.min_spacing)

    def hold(self, host: str, seconds: float) -> None:
        self._hold_until[host] = max(self._hold_until.get(host, 0.0), time.monotonic() + seconds)

    def held_for(self, host: str) -> float:
        """Seconds left of a server-requested wait for `host` (0 when none)."""
        return max(0.0, self._hold_until.get(host, 0.0) - time.monotonic())


def wait_words(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"
