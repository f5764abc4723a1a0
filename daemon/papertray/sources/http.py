"""The one polite HTTP layer: the only module of papertray's daemon that uses aiohttp's client.

Two modes on one foundation (a lazily made `aiohttp.ClientSession`, the SSRF guard, per-host politeness):

- `Fetcher`, for the feeds: a total deadline and a body cap per request (the body is streamed and the transfer
  aborted as soon as it passes the cap), an `ETag` remembered per URL and sent back as `If-None-Match` (a 304 hands
  back the body cached with it; a caller's own stored ETag gets an empty 304), and 429 (and 503 with `Retry-After`)
  as `RateLimited` carrying the wait the server asked for; until that wait is over the host is not asked again. It
  trusts the origin of the source URL the user configured, and nothing else that is private; it follows HTTPS_PROXY
  / NO_PROXY. Every failure is a `FeedError` (or subclass) whose text is one sentence naming the host and what was
  asked.
- `SafeHttp`, the guarded mode the reading list's downloads use: no private address but the hosts listed in
  `allowed_private_hosts` (not even the configured `arxiv_url`: a save must never make papertray reach into the
  local network by surprise), no proxy, one connection at a time, each hop holding its host's politeness slot,
  a per-read and a total deadline; every failure one sentence (`DownloadFailed`, or `DownloadRefused` for what
  the guard will not fetch).

The guard (`guard.py`, `open_checked`): before any connection a URL's host is resolved and every address it
resolves to is judged; the connection then goes to exactly those addresses (`PinnedResolver`),
so a second, different DNS answer cannot slip in between the check and the connect. Redirects are followed by
hand and every hop is checked the same way. Through a proxy from the environment the proxy resolves and
connects: papertray cannot pin its choice, but still refuses a host that resolves to a private address here.
Politeness (`politeness.py`): one request at a time per host, spaced, and held while the host asked to wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

from papertray import __version__
from papertray.config import Config
from papertray.errors import (
    AddressRefused,
    BadStatus,
    DownloadFailed,
    DownloadRefused,
    FeedError,
    FeedTooLarge,
    HostNotFound,
    RateLimited,
    TooManyRedirects,
    Unreachable,
)
from papertray.sources.guard import Guard, host_label, lookup, origin_of
from papertray.sources.politeness import (
    MIN_SPACING_SECONDS,
    HostLimiter,
    parse_ratelimit_reset,
    parse_retry_after,
    wait_words,
)

log = logging.getLogger(__name__)

USER_AGENT = f"papertray/{__version__} (+https://github.com/papertray/papertray)"
MAX_BODY_BYTES = 20 * 1024 * 1024
TIMEOUT_SECONDS = 30.0
DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 6 * 3600.0
ETAG_CACHE_SIZE = 64  # answers kept for conditional GET (a day's page is ~100-250 KB)
ETAG_MAX_BODY_BYTES = 2 * 1024 * 1024
CHUNK = 64 * 1024


MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that belong to the origin they were meant for and never follow a redirect to another one.
ORIGIN_ONLY_HEADERS = ("Authorization", "Cookie", "If-None-Match")

METADATA_TIMEOUT = 60.0
PDF_TIMEOUT = 15 * 60.0  # 80 MB at ~90 KB/s; a server that drips slower than that is not worth waiting for


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    status: int  # 200, or 304 when the cached body (empty when the caller sent its own ETag) was still current
    body: bytes
    etag: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # the answer's headers (Cache-Control, …)


class PinnedResolver(AbstractResolver):
    """Answers only with addresses the guard has checked, so the connection goes where the check looked.
    A proxy from the environment (HTTPS_PROXY, trusted as the user configured it) is resolved as usual."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        key = host.lower().rstrip(".")
        pinned = self.guard.pins.get(key)
        if not pinned and key in self.guard.proxies:
            pinned = await lookup(key, port)
        if not pinned:
            raise OSError(f"{host} was not checked before connecting")
        return [
            {"hostname": host, "host": addr, "port": port, "family": fam, "proto": 0, "flags": socket.AI_NUMERICHOST}
            for fam, addr in pinned
        ]

    async def close(self) -> None:
        pass


def guarded_connector(guard: Guard, **options: Any) -> aiohttp.TCPConnector:
    # No DNS cache: every hop must go through the check.
    return aiohttp.TCPConnector(resolver=PinnedResolver(guard), use_dns_cache=False, **options)


def env_proxy(url: URL) -> URL | None:
    """The proxy the environment (HTTPS_PROXY / NO_PROXY) names for `url`, as aiohttp's `trust_env` picks it."""
    try:
        proxy, _auth = get_env_proxy_for_url(url)
    except LookupError:
        return None
    return proxy


@contextlib.asynccontextmanager
async def open_checked(
    session: aiohttp.ClientSession,
    guard: Guard,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    hop: Callable[[URL], contextlib.AbstractAsyncContextManager[Any]] | None = None,
    max_redirects: int = MAX_REDIRECTS,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """GET `url`, following redirects by hand and checking every hop first; yield the first answer that is not a
    redirect (any status). `hop(url)` wraps each request (a per-host politeness slot, held until the caller has
    read the final body). Raises AddressRefused, HostNotFound, TooManyRedirects and aiohttp's errors."""
    current = URL(url)
    first = origin_of(current)
    previous: str | None = None
    for _ in range(max_redirects + 1):
        await guard.check(current, redirected_from=previous)
        sent = dict(headers or {})
        if origin_of(current) != first:
            for name in ORIGIN_ONLY_HEADERS:
                sent.pop(name, None)
        async with hop(current) if hop is not None else contextlib.nullcontext():
            # With trust_env, aiohttp picks the environment's proxy the way `env_proxy` does.
            response = await session.get(current, headers=sent, allow_redirects=False)
            try:
                location = response.headers.get("Location")
                if response.status in REDIRECT_STATUSES and location:
                    previous = host_label(str(current))
                    try:
                        current = current.join(URL(location))
                    except ValueError:
                        raise AddressRefused(f"{current.host} redirected to an address that is no URL.") from None
                    continue
                yield response
                return
            finally:
                response.release()
    raise TooManyRedirects(f"{first[1]} redirected more than {max_redirects} times.")


def connect_reason(exc: aiohttp.ClientConnectorError) -> str:
    """Why a connection failed, in a user's words: "connection refused", "network is unreachable"."""
    os_error = exc.os_error
    if isinstance(os_error, ConnectionRefusedError):
        return "connection refused"
    if os_error is not None and os_error.strerror:
        return os_error.strerror.lower()
    return "no connection"


class _Client:
    """What both modes share: the guard, the politeness limiter and one lazily made session (made inside the
    running loop, closed by `close()`)."""

    def __init__(self, guard: Guard, limiter: HostLimiter) -> None:
        self.guard = guard
        self.limiter = limiter
        self._session: aiohttp.ClientSession | None = None

    def _new_session(self) -> aiohttp.ClientSession:
        raise NotImplementedError

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = self._new_session()
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class Fetcher(_Client):
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
        # Without a guard of the caller's, no private address is reachable at all.
        super().__init__(guard or Guard(proxy_for=env_proxy), limiter or HostLimiter(min_spacing))
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self._etags: OrderedDict[str, tuple[str, bytes]] = OrderedDict()

    def _new_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=guarded_connector(self.guard),
            headers={"User-Agent": self.user_agent, "Accept": "application/json"},
            # the overall deadline is enforced around the whole exchange below; these catch a stalled
            # connect or a silent socket early
            timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout, sock_read=self.timeout),
            raise_for_status=False,
            trust_env=True,  # honour HTTPS_PROXY / NO_PROXY like other desktop programs
        )

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
                    f"{host} asked papertray to slow down; it will ask for {what} again in {wait_words(held)}.",
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
        if cached is not None and "If-None-Match" not in headers:
            headers["If-None-Match"] = cached[0]
        log.debug("GET url=%s", url)
        async with open_checked(self.session(), self.guard, url, headers=headers) as resp:
            if resp.status == HTTPStatus.NOT_MODIFIED:
                if cached is not None and cached[0] == headers["If-None-Match"]:
                    self._etags.move_to_end(url)
                    return FetchResult(url, resp.status, cached[1], cached[0], dict(resp.headers))
                if "If-None-Match" in (extra or {}):
                    # the caller's own ETag (kept across a restart): "nothing new", it has the body already
                    return FetchResult(url, resp.status, b"", headers["If-None-Match"], dict(resp.headers))
            if resp.status == HTTPStatus.TOO_MANY_REQUESTS or (
                resp.status == HTTPStatus.SERVICE_UNAVAILABLE and "Retry-After" in resp.headers
            ):
                self._rate_limited(resp, host, what)
            if resp.status != HTTPStatus.OK:
                raise BadStatus(f"{host} answered {resp.status} {_reason(resp)} for {what}.", status=resp.status)
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
            return FetchResult(url, resp.status, bytes(body), etag, dict(resp.headers))

    def forget(self, url: str) -> None:
        """Drop the ETag kept for `url`: its body was unusable, so the next request must fetch it whole."""
        self._etags.pop(url, None)

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
            f"{host} answered {resp.status} {_reason(resp)} for {what}; papertray will wait {wait_words(wait)} "
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


class SafeHttp(_Client):
    """GETs through the guard, with a per-host pause between requests and deadlines on every exchange."""

    def __init__(
        self,
        config: Callable[[], Config],
        *,
        spacing: float,
        connect_timeout: float,
        read_timeout: float,
        metadata_timeout: float = METADATA_TIMEOUT,
        pdf_timeout: float = PDF_TIMEOUT,
        limiter: HostLimiter | None = None,
    ) -> None:
        # A limiter shared with other clients spaces their requests to a host together (arXiv's terms).
        super().__init__(Guard(allowed_hosts=lambda: config().allowed_private_hosts), limiter or HostLimiter(spacing))
        self._read_timeout = read_timeout
        self.metadata_timeout = metadata_timeout
        self.pdf_timeout = pdf_timeout
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=read_timeout)

    def _new_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=guarded_connector(self.guard, limit=1),  # one connection at a time (arXiv's terms)
            timeout=self._timeout,
            headers={"User-Agent": USER_AGENT},
            auto_decompress=True,
        )

    @contextlib.asynccontextmanager
    async def _slot(self, url: URL) -> AsyncIterator[None]:
        host = host_label(str(url))
        async with self.limiter.slot(host):
            held = self.limiter.held_for(host)
            if held > 0:
                raise DownloadFailed(f"{host} asked papertray to wait before asking again.", retry_after=held)
            yield

    @contextlib.asynccontextmanager
    async def open(self, url: str, *, what: str, total: float | None = None) -> AsyncIterator[Any]:
        """Yield the final 200 response; reading its body inside the block is covered by the same deadlines.
        Raises DownloadFailed / DownloadRefused, each one sentence naming the host and `what` was asked for (and
        not promising a retry: the queue decides that, and the page says it).

        Each hop holds its host's slot (one request at a time, spaced from the end of the previous one) until the
        caller has finished reading the body."""
        host = host_label(url)
        seconds = self.metadata_timeout if total is None else total
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline, open_checked(self.session(), self.guard, url, hop=self._slot) as response:
                if response.status in REDIRECT_STATUSES:
                    raise DownloadFailed(f"{host} redirected without saying where to.", retry=False)
                if response.status != 200:
                    error = _status_error(response.url, response.status, response.headers.get("Retry-After"))
                    if error.retry_after is not None:
                        self.limiter.hold(host_label(str(response.url)), error.retry_after)
                    raise error
                yield response
        except AddressRefused as exc:
            raise DownloadRefused(str(exc)) from None
        except HostNotFound as exc:
            raise DownloadFailed(str(exc)) from None
        except TooManyRedirects as exc:
            raise DownloadFailed(str(exc), retry=False) from None
        except TimeoutError:
            if deadline.expired():
                raise DownloadFailed(f"{host} took more than {_duration(seconds)} to send {what}.") from None
            raise DownloadFailed(
                f"{host} sent nothing for {_duration(self._read_timeout)} while sending {what}."
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise DownloadFailed(f"Cannot reach {host} for {what} ({connect_reason(exc)}).") from None
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError):
            raise DownloadFailed(f"{host} broke off {what} before the end.") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise DownloadFailed(f"The connection to {host} failed for {what} ({type(exc).__name__}).") from None

    async def get_bytes(self, url: str, max_bytes: int, *, what: str) -> bytes:
        async with self.open(url, what=what) as response:
            body = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise DownloadFailed(f"{host_label(url)} sent more than {max_bytes} bytes for {what}.", retry=False)
            return bytes(body)


def _status_error(url: URL, status: int, retry_after: str | None) -> DownloadFailed:
    if status == 429 or status >= 500:
        after = parse_retry_after(retry_after)
        return DownloadFailed(f"{url.host} answered HTTP {status} for {url.path}.", retry_after=after)
    return DownloadFailed(f"{url.host} answered HTTP {status} for {url.path}.", retry=False)


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} second" + ("" if seconds == 1 else "s")
