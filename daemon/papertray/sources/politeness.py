"""Per-host politeness, the one place that spaces requests to a host: one request at a time to it, each starting
at least its spacing after the previous one ended, and a hold for as long as the host asked papertray to wait
(`Retry-After` in seconds or as an HTTP date, or the `t=` of the IETF `RateLimit` header that huggingface.co
sends). Pure asyncio: `sources/http.py` asks for a slot around every exchange.

Hosts can share one slot. arXiv's terms hold for the whole machine ("no more than one request every three
seconds, and limit requests to a single connection at a time", feeds.md §4.1), whichever of its hosts is asked
and whichever part of papertray asks: `machine_limiter` makes the one limiter the daemon hands to every client,
in which arxiv.org, www.arxiv.org, export.arxiv.org, rss.arxiv.org and the host of a test or mirror base
(`PAPERTRAY_ARXIV_URL`) are one slot with one spacing and one hold.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from papertray.sources.guard import host_label

MIN_SPACING_SECONDS = 1.0
ARXIV_SPACING_SECONDS = 3.0
ARXIV_SLOT = "arXiv"  # the name of the slot every arXiv host shares
ARXIV_HOSTS = ("arxiv.org", "www.arxiv.org", "export.arxiv.org", "rss.arxiv.org")

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
    """One request at a time per slot, each starting at least the slot's spacing after the previous one ended;
    plus a per-slot hold for as long as a server asked us to wait. A slot is a host, or the name of a group of
    hosts that share one (`shared`: hosts named by a callable, so a reloaded config moves a test base in)."""

    def __init__(
        self,
        min_spacing: float = MIN_SPACING_SECONDS,
        *,
        per_host: Mapping[str, float] | None = None,
        shared: Mapping[str, Callable[[], Iterable[str]]] | None = None,
    ) -> None:
        self.min_spacing = min_spacing
        # A host or group whose terms ask for more (arXiv: 3 s) gets its own spacing; any other the default.
        self.per_host = dict(per_host or {})
        self.shared = dict(shared or {})
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_end: dict[str, float] = {}
        self._hold_until: dict[str, float] = {}

    def slot_of(self, host: str) -> str:
        """The slot `host` (a host label: `export.arxiv.org`, `127.0.0.1:8123`) waits in."""
        key = host.lower().rstrip(".")
        for name, hosts in self.shared.items():
            if key in {h.lower().rstrip(".") for h in hosts()}:
                return name
        return key

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        name = self.slot_of(host)
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            wait = self._spacing_left(name)
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                # spacing counts from the end of the previous exchange: a slow answer is not followed at once
                self._last_end[name] = time.monotonic()

    def _spacing_left(self, name: str) -> float:
        last = self._last_end.get(name)
        return 0.0 if last is None else max(0.0, last + self._spacing(name) - time.monotonic())

    def _spacing(self, name: str) -> float:
        return self.per_host.get(name, self.min_spacing)

    def spacing(self, host: str) -> float:
        return self._spacing(self.slot_of(host))

    def hold(self, host: str, seconds: float) -> None:
        name = self.slot_of(host)
        self._hold_until[name] = max(self._hold_until.get(name, 0.0), time.monotonic() + seconds)

    def held_for(self, host: str) -> float:
        """Seconds left of a server-requested wait for `host`'s slot (0 when none)."""
        return max(0.0, self._hold_until.get(self.slot_of(host), 0.0) - time.monotonic())

    def time_for(self, host: str, requests: int) -> float:
        """At least how many seconds `requests` more requests to `host` take from now, by the slot's spacing
        and any hold (the answers' own time comes on top): what a backfill or catch-up tells the user."""
        if requests <= 0:
            return 0.0
        name = self.slot_of(host)
        first = max(self._spacing_left(name), self.held_for(host))
        return first + (requests - 1) * self.spacing(host)


def machine_limiter(arxiv_url: Callable[[], str], min_spacing: float = MIN_SPACING_SECONDS) -> HostLimiter:
    """The daemon's one limiter: every arXiv host, and the host of `arxiv_url()` (a test or mirror base), in
    one slot of `ARXIV_SPACING_SECONDS`; any other host spaced by `min_spacing` on its own."""

    def arxiv_hosts() -> tuple[str, ...]:
        return (*ARXIV_HOSTS, host_label(arxiv_url()))

    return HostLimiter(min_spacing, per_host={ARXIV_SLOT: ARXIV_SPACING_SECONDS}, shared={ARXIV_SLOT: arxiv_hosts})


def wait_words(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"
