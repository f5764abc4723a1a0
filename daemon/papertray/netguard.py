"""The SSRF guard, one for every outgoing request: the feeds (`fetch.py`) and the reading list's downloads
(`library_http.py`) both open URLs through `open_checked`.

Before any connection, a URL's host is resolved and every address it resolves to is checked; the connection then
goes to exactly those addresses (`PinnedResolver`), so a second, different DNS answer cannot slip in between the
check and the connect. Redirects are followed by hand and every hop is checked the same way.

Which addresses are public (`is_public`): Python's `is_global`, minus multicast, and with the IPv6 forms that
carry an IPv4 address judged by the IPv4 address they carry — IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated
`::ffff:0:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16` and Teredo
`2001::/32` (server and client) — since a connection to them reaches that IPv4 address. Local-use NAT64
`64:ff9b:1::/48` and the deprecated site-local `fec0::/10` are never public.

Two ways to be let through although private: a host the user listed in `allowed_private_hosts` (any port), and
a trusted origin (scheme, host and port of a source URL the user configured, e.g. a test server on 127.0.0.1).
A redirect from a trusted origin to any other private address — another port on 127.0.0.1 such as papertray's
own API included — is refused.

Through a proxy from the environment (the feeds honour HTTPS_PROXY / NO_PROXY; downloads never use one), the proxy
resolves and connects: papertray cannot pin its choice, but still refuses a host that resolves to a private
address here.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

from papertray.errors import AddressRefused, HostNotFound, TooManyRedirects

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that belong to the origin they were meant for and never follow a redirect to another one.
ORIGIN_ONLY_HEADERS = ("Authorization", "Cookie", "If-None-Match")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NEVER_PUBLIC = (ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("fec0::/10"))
# IPv4-compatible ::a.b.c.d, IPv4-mapped ::ffff:a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d
_LOW_96 = tuple(ipaddress.ip_network(net) for net in ("::/96", "::ffff:0:0/96", "::ffff:0:0:0/96"))


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address stands for (mapped, translated, compatible, NAT64, 6to4, Teredo)."""
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64 or any(address in net for net in _LOW_96):
        return (low32,)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo
    return ()


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in net for net in _NEVER_PUBLIC):
            return False
        embedded = embedded_ipv4(address)
        if embedded:
            return all(is_public(inner) for inner in embedded)
    return address.is_global and not address.is_multicast


def host_label(url: str) -> str:
    """The host as a user would recognise it: `huggingface.co`, or `127.0.0.1:8123` for a non-default port."""
    parts = urlsplit(url)
    host = parts.hostname or url
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{parts.port}" if parts.port and parts.port != default else host


def connect_reason(exc: aiohttp.ClientConnectorError) -> str:
    """Why a connection failed, in a user's words: "connection refused", "network is unreachable"."""
    os_error = exc.os_error
    if isinstance(os_error, ConnectionRefusedError):
        return "connection refused"
    if os_error is not None and os_error.strerror:
        return os_error.strerror.lower()
    return "no connection"


def origin_of(url: URL | str) -> tuple[str, str, int]:
    url = URL(url) if isinstance(url, str) else url
    return (url.scheme, (url.host or "").lower().rstrip("."), url.port or (443 if url.scheme == "https" else 80))


class PinnedResolver(AbstractResolver):
    """Answers only with addresses the guard has checked, so the connection goes where the check looked.
    A proxy from the environment (HTTPS_PROXY, trusted as the user configured it) is resolved as usual."""

    def __init__(self) -> None:
        self.pins: dict[str, list[tuple[socket.AddressFamily, str]]] = {}
        self.proxies: set[str] = set()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        key = host.lower().rstrip(".")
        pinned = self.pins.get(key)
        if not pinned and key in self.proxies:
            pinned = await _lookup(key, port)
        if not pinned:
            raise OSError(f"{host} was not checked before connecting")
        return [
            {"hostname": host, "host": addr, "port": port, "family": fam, "proto": 0, "flags": socket.AI_NUMERICHOST}
            for fam, addr in pinned
        ]

    async def close(self) -> None:
        pass


async def _lookup(host: str, port: int) -> list[tuple[socket.AddressFamily, str]]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise HostNotFound(f"{host} could not be found (no network connection, or no such host).") from None
    found = [(socket.AddressFamily(fam), str(sockaddr[0]).split("%", 1)[0]) for fam, _t, _p, _n, sockaddr in infos]
    if not found:
        raise HostNotFound(f"{host} has no address.")
    return found


class Guard:
    """Checks and pins every URL before a request to it. `allowed_hosts` and `trusted_origins` are asked on every
    check, so a config reload applies at once; `use_proxy` follows the environment's proxy settings."""

    def __init__(
        self,
        *,
        allowed_hosts: Callable[[], Iterable[str]] = tuple,
        trusted_origins: Callable[[], Iterable[str]] = tuple,
        use_proxy: bool = False,
    ) -> None:
        self._allowed = allowed_hosts
        self._trusted = trusted_origins
        self.use_proxy = use_proxy
        self.resolver = PinnedResolver()

    def connector(self, **options: Any) -> aiohttp.TCPConnector:
        # No DNS cache: every hop must go through the check.
        return aiohttp.TCPConnector(resolver=self.resolver, use_dns_cache=False, **options)

    def _proxy_for(self, url: URL) -> URL | None:
        if not self.use_proxy:
            return None
        try:
            proxy, _auth = get_env_proxy_for_url(url)
        except LookupError:
            return None
        return proxy

    async def check(self, url: URL, *, redirected_from: str | None = None) -> None:
        """Raise AddressRefused for a URL papertray must not fetch, HostNotFound when its host has no address.
        `redirected_from` (the host that sent papertray here) words the refusal as a redirect's."""
        if url.scheme not in ("http", "https") or not url.host:
            raise AddressRefused(f"papertray fetches only http(s) URLs, not {str(url)[:80]!r}.")
        scheme, host, port = origin_of(url)
        allowed = {h.lower().rstrip(".") for h in self._allowed()}
        trusted = host in allowed or (scheme, host, port) in {origin_of(o) for o in self._trusted()}
        proxy = self._proxy_for(url)
        if proxy is not None and proxy.host:
            self.resolver.proxies.add(proxy.host.lower().rstrip("."))
            # The proxy resolves the name itself; a local answer that is private is still refused.
            with contextlib.suppress(HostNotFound):
                self._judge(url, await _lookup(host, port), trusted, redirected_from)
            return
        found = await _lookup(host, port)
        self._judge(url, found, trusted, redirected_from)
        self.resolver.pins[host] = found

    @staticmethod
    def _judge(
        url: URL, found: list[tuple[socket.AddressFamily, str]], trusted: bool, redirected_from: str | None
    ) -> None:
        if trusted:
            return
        for _family, text in found:
            address = ipaddress.ip_address(text)
            if is_public(address):
                continue
            label = host_label(str(url))
            where = label if url.host in (text, f"[{text}]") else f"{label} ({address})"
            if redirected_from is not None:
                what = f"{redirected_from} redirected papertray to {where}, a private or local address"
            else:
                what = f"{where} is a private or local address"
            raise AddressRefused(
                f"{what}: papertray does not connect there "
                "(list the host in [library] allowed_private_hosts if you mean it)."
            )


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
            # With trust_env, aiohttp picks the environment's proxy the way `Guard._proxy_for` did.
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
