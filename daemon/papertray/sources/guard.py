"""The SSRF guard, with no I/O but the DNS lookup: which addresses are public, what a URL's origin is, the one
sentence that refuses a private one, and the check `sources/http.py` makes of every URL and every redirect
before connecting.

Which addresses are public (`is_public`): Python's `is_global`, minus multicast, and with the IPv6 forms that
carry an IPv4 address judged by the IPv4 address they carry — IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated
`::ffff:0:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16` and Teredo
`2001::/32` (server and client) — since a connection to them reaches that IPv4 address. Local-use NAT64
`64:ff9b:1::/48` and the deprecated site-local `fec0::/10` are never public.

`Guard.check` resolves a URL's host, judges every address and pins them; the client's resolver then answers
with exactly those (`sources/http.py`), so a second, different DNS answer cannot slip in between.

Two ways to be let through although private: a host the user listed in `allowed_private_hosts` (any port), and
a trusted origin (scheme, host and port of a source URL the user configured, e.g. a test server on 127.0.0.1).
A redirect from a trusted origin to any other private address — another port on 127.0.0.1 such as papertray's
own API included — is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from yarl import URL

from papertray.errors import AddressRefused, HostNotFound

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


def origin_of(url: URL | str) -> tuple[str, str, int]:
    url = URL(url) if isinstance(url, str) else url
    return (url.scheme, (url.host or "").lower().rstrip("."), url.port or (443 if url.scheme == "https" else 80))


async def lookup(host: str, port: int) -> list[tuple[socket.AddressFamily, str]]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise HostNotFound(f"{host} could not be found (no network connection, or no such host).") from None
    found = [(socket.AddressFamily(fam), str(sockaddr[0]).split("%", 1)[0]) for fam, _t, _p, _n, sockaddr in infos]
    if not found:
        raise HostNotFound(f"{host} has no address.")
    return found


def judge(url: URL, found: list[tuple[socket.AddressFamily, str]], trusted: bool, redirected_from: str | None) -> None:
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


class Guard:
    """Checks and pins every URL before a request to it. `allowed_hosts` and `trusted_origins` are asked on every
    check, so a config reload applies at once; `proxy_for(url)` names the environment's proxy for a URL (None:
    connect directly), when the client follows the environment's proxy settings. `pins` holds the checked
    addresses the client's resolver answers with; `proxies` the proxy hosts it may resolve as usual."""

    def __init__(
        self,
        *,
        allowed_hosts: Callable[[], Iterable[str]] = tuple,
        trusted_origins: Callable[[], Iterable[str]] = tuple,
        proxy_for: Callable[[URL], URL | None] | None = None,
    ) -> None:
        self._allowed = allowed_hosts
        self._trusted = trusted_origins
        self._proxy_for = proxy_for
        self.pins: dict[str, list[tuple[socket.AddressFamily, str]]] = {}
        self.proxies: set[str] = set()

    async def check(self, url: URL, *, redirected_from: str | None = None) -> None:
        """Raise AddressRefused for a URL papertray must not fetch, HostNotFound when its host has no address.
        `redirected_from` (the host that sent papertray here) words the refusal as a redirect's."""
        if url.scheme not in ("http", "https") or not url.host:
            raise AddressRefused(f"papertray fetches only http(s) URLs, not {str(url)[:80]!r}.")
        scheme, host, port = origin_of(url)
        allowed = {h.lower().rstrip(".") for h in self._allowed()}
        trusted = host in allowed or (scheme, host, port) in {origin_of(o) for o in self._trusted()}
        proxy = self._proxy_for(url) if self._proxy_for is not None else None
        if proxy is not None and proxy.host:
            self.proxies.add(proxy.host.lower().rstrip("."))
            # The proxy resolves the name itself; a local answer that is private is still refused.
            with contextlib.suppress(HostNotFound):
                judge(url, await lookup(host, port), trusted, redirected_from)
            return
        found = await lookup(host, port)
        judge(url, found, trusted, redirected_from)
        self.pins[host] = found
