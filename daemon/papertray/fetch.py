"""Polite HTTP GET for the feeds: the one place papertray's daemon uses aiohttp's client.

A `Fetcher` owns one `aiohttp.ClientSession` (created on first use inside the running loop, closed by
`close()`). Every request goes through a `HostLimiter`: one request at a time to a host, and at least
`min_spacing` seconds from the end of one request to it to the start of the next. Each request has a total
deadline and a body cap (the body is streamed and the transfer aborted as soon as it passes the cap). 429 (and
503 with `Retry-After`) become `RateLimited` carrying the wait the server asked for (`Retry-After` in seconds
or as an HTTP date, or the `t=` of the IETF `RateLimit` header that huggingface.co sends); until that wait is
over the host is not asked again. An `ETag` is remembered per URL and sent back as `If-None-Match`; a 304
hands back the body cached with it.

Every request and every redirect goes through the SSRF guard (`netguard.py`): the poller trusts the origin of
the source URL the user configured, and nothing else that is private.

Every failure is a `FeedError` (or subclass) whose text is one sentence naming the host and what was asked.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import aiohttp

from papertray import __version__
from papertray.errors import (
    AddressRefused,
    FeedError,
    FeedTooLarge,
    HostNotFound,
    RateLimited,
    TooManyRedirects,
    Unreachable,
)
from papertray.netguard import Guard, connect_reason, host_label, open_checked

log = logging.getLogger(__name__)

USER_AGENT = f"papertray/{__version__} (+https://github.com/papertray/papertray)"
MAX_BODY_BYTES = 20 * 1024 * 1024
TIMEOUT_SECONDS = 30.0
MIN_SPACING_SECONDS = 1.0
DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 6 * 3600.0
ETAG_CACHE_SIZE = 64  # answers kept for conditional GET (a day's page is ~100-250 KB)
ETAG_MAX_BODY_BYTES = 2 * 1024 * 1024
CHUNK = 64 * 1024

_RATELIMIT_T = re.compile(r"(?:^|[;,\s])t\s*=\s*([0-9]+(?:\.[0-9]+)?)")


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    status: int  # 200, or 304 when the cached body was still current
    body: bytes
    etag: str | None = None


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

    def __init__(self, min_spacing: float = MIN_SPACING_SECONDS) -> None:
        self.min_spacing = min_spacing
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_end: dict[str, float] = {}
        self._hold_until: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            last = self._last_end.get(host)
            if last is not None:
                wait = last + self.min_spacing - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                yield
            finally:
                # spacing counts from the end of the previous exchange: a slow answer is not followed at once
                self._last_end[host] = time.monotonic()

    def hold(self, host: str, seconds: float) -> None:
        self._hold_until[host] = max(self._hold_until.get(host, 0.0), time.monotonic() + seconds)

    def held_for(self, host: str) -> float:
        """Seconds left of a server-requested wait for `host` (0 when none)."""
        return max(0.0, self._hold_until.get(host, 0.0) - time.monotonic())


class Fetcher:
    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_BODY_BYTES,
        min_spacing: float = MIN_SPACING_SECONDS,
        limiter: HostLimiter | None = None,
        user_agent: str = USER_AGENT,
        guard: Guard | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.limiter = limiter or HostLimiter(min_spacing)
        self.user_agent = user_agent
        # Without a guard of the caller's, no private address is reachable at all.
        self.guard = guard or Guard(use_proxy=True)
        self._session: aiohttp.ClientSession | None = None
        self._etags: OrderedDict[str, tuple[str, bytes]] = OrderedDict()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=self.guard.connector(),
                headers={"User-Agent": self.user_agent, "Accept": "application/json"},
                # the overall deadline is enforced around the whole exchange below; these catch a stalled
                # connect or a silent socket early
                timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout, sock_read=self.timeout),
                raise_for_status=False,
                trust_env=True,  # honour HTTPS_PROXY / NO_PROXY like other desktop programs
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def get(self, url: str, *, what: str, headers: Mapping[str, str] | None = None) -> FetchResult:
        """GET `url` politely. `what` names the request in error sentences (e.g. the day asked for); `headers`
        are added to this request only (an Authorization header is not carried across a redirect to another
        host)."""
        host = host_label(url)
        async with self.limiter.slot(host):
            # checked inside the slot: a request queued behind a 429 must not go out either
            held = self.limiter.held_for(host)
            if held > 0:
                raise RateLimited(
                    f"{host} asked papertray to slow down; it will ask for {what} again in {_seconds(held)}.",
                    retry_after=held,
                )
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._exchange(url, host, what, headers)
            except AddressRefused as exc:
                raise FeedError(f"{str(exc).rstrip('.')}; it was asking for {what}.") from None
            except HostNotFound:
                raise Unreachable(f"Cannot reach {host} for {what} (no network connection, or no such host).") from None
            except TooManyRedirects:
                raise FeedError(f"{host} redirected papertray's request for {what} too many times.") from None
            except TimeoutError:
                unit = "second" if self.timeout == 1 else "seconds"
                raise Unreachable(f"{host} did not answer within {self.timeout:g} {unit} for {what}.") from None
            except aiohttp.ClientPayloadError:
                raise Unreachable(f"{host} broke off its answer for {what} before the end.") from None
            except aiohttp.ClientConnectorError as exc:
                reason = connect_reason(exc)
                raise Unreachable(f"Cannot reach {host} for {what} ({reason}).") from None
            except aiohttp.ClientError as exc:
                raise Unreachable(f"The connection to {host} failed for {what} ({type(exc).__name__}).") from None

    async def _exchange(self, url: str, host: str, what: str, extra: Mapping[str, str] | None = None) -> FetchResult:
        headers = dict(extra or {})
        cached = self._etags.get(url)
        if cached is not None:
            headers["If-None-Match"] = cached[0]
        log.debug("GET url=%s", url)
        async with open_checked(self._get_session(), self.guard, url, headers=headers) as resp:
            if resp.status == HTTPStatus.NOT_MODIFIED and cached is not None:
                self._etags.move_to_end(url)
                return FetchResult(url, resp.status, cached[1], cached[0])
            if resp.status == HTTPStatus.TOO_MANY_REQUESTS or (
                resp.status == HTTPStatus.SERVICE_UNAVAILABLE and "Retry-After" in resp.headers
            ):
                self._rate_limited(resp, host, what)
            if resp.status != HTTPStatus.OK:
                raise FeedError(f"{host} answered {resp.status} {_reason(resp)} for {what}.")
            length = resp.content_length
            if length is not None and length > self.max_bytes:
                raise FeedTooLarge(
                    f"{host} offered {_megabytes(length)} for {what}, more than the {_megabytes(self.max_bytes)} "
                    "papertray accepts."
                )
            body = bytearray()
            async for chunk in resp.content.iter_chunked(CHUNK):
                body += chunk
                if len(body) > self.max_bytes:
                    raise FeedTooLarge(
                        f"{host} sent more than {_megabytes(self.max_bytes)} for {what}; papertray stopped reading."
                    )
            etag = resp.headers.get("ETag")
            if etag and len(body) <= ETAG_MAX_BODY_BYTES:
                self._etags[url] = (etag, bytes(body))
                self._etags.move_to_end(url)
                while len(self._etags) > ETAG_CACHE_SIZE:
                    self._etags.popitem(last=False)
            return FetchResult(url, resp.status, bytes(body), etag)

    def _rate_limited(self, resp: aiohttp.ClientResponse, host: str, what: str) -> None:
        waits = [
            w
            for w in (
                parse_retry_after(resp.headers.get("Retry-After")),
                parse_ratelimit_reset(resp.headers.get("RateLimit")),
            )
            if w is not None
        ]
        wait = min(max(waits) if waits else DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER)
        self.limiter.hold(host, wait)
        raise RateLimited(
            f"{host} answered {resp.status} {_reason(resp)} for {what}; papertray will wait {_seconds(wait)} "
            "before asking again.",
            retry_after=wait,
        )


def _reason(resp: aiohttp.ClientResponse) -> str:
    if resp.reason:
        return resp.reason
    try:
        return HTTPStatus(resp.status).phrase
    except ValueError:
        return "(no reason given)"


def _megabytes(size: float) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _seconds(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"
