"""The reading list's HTTP: metadata and PDF downloads through the SSRF guard (`netguard.py`), one request at
a time per host and spaced, each with a per-read and a total deadline, every failure one sentence a user
understands (`DownloadFailed`, or `DownloadRefused` for what the guard will not fetch).

Downloads trust no private address but the hosts listed in `allowed_private_hosts`: not even the configured
`arxiv_url` (a save must never make papertray reach into the local network by surprise).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from yarl import URL

from papertray.config import Config
from papertray.errors import AddressRefused, DownloadFailed, DownloadRefused, HostNotFound, TooManyRedirects
from papertray.fetch import USER_AGENT, HostLimiter, parse_retry_after
from papertray.netguard import REDIRECT_STATUSES, Guard, connect_reason, host_label, open_checked

CHUNK = 64 * 1024
METADATA_TIMEOUT = 60.0
PDF_TIMEOUT = 15 * 60.0  # 80 MB at ~90 KB/s; a server that drips slower than that is not worth waiting for


class SafeHttp:
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
    ) -> None:
        self._limiter = HostLimiter(spacing)
        self.guard = Guard(allowed_hosts=lambda: config().allowed_private_hosts)
        self._session: aiohttp.ClientSession | None = None
        self._read_timeout = read_timeout
        self.metadata_timeout = metadata_timeout
        self.pdf_timeout = pdf_timeout
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=read_timeout)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # One connection at a time (arXiv's terms).
            self._session = aiohttp.ClientSession(
                connector=self.guard.connector(limit=1),
                timeout=self._timeout,
                headers={"User-Agent": USER_AGENT},
                auto_decompress=True,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    @contextlib.asynccontextmanager
    async def _slot(self, url: URL) -> AsyncIterator[None]:
        host = host_label(str(url))
        async with self._limiter.slot(host):
            held = self._limiter.held_for(host)
            if held > 0:
                raise DownloadFailed(f"{host} asked papertray to wait before asking again.", retry_after=held)
            yield

    @contextlib.asynccontextmanager
    async def open(self, url: str, *, what: str, total: float | None = None) -> AsyncIterator[Any]:
        """Yield the final 200 response; reading its body inside the block is covered by the same deadlines.
                Raises DownloadFailed / DownloadRefused, each one sentence naming the host and `what` was asked for (and
        not promising a retry: the queue decides that, and the page says it).

                Each hop holds its host's slot (one request at a time, spaced from the end of the previous one) until
                the caller has finished reading the body."""
        host = host_label(url)
        seconds = self.metadata_timeout if total is None else total
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline, open_checked(self._client(), self.guard, url, hop=self._slot) as response:
                if response.status in REDIRECT_STATUSES:
                    raise DownloadFailed(f"{host} redirected without saying where to.", retry=False)
                if response.status != 200:
                    error = _status_error(response.url, response.status, response.headers.get("Retry-After"))
                    if error.retry_after is not None:
                        self._limiter.hold(host_label(str(response.url)), error.retry_after)
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
