"""The SSRF guard's address table (11.8): every IPv6 form that carries a private IPv4 address is private, and
the same forms carrying a public one stay reachable."""

from __future__ import annotations

import ipaddress

import pytest

from papertray.sources.guard import embedded_ipv4, is_public

PRIVATE = [
    # IPv4 itself
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    # plain IPv6
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",  # site-local (deprecated, still routed locally by some stacks)
    "ff02::1",
    # IPv6 carrying a private IPv4 address
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:0:127.0.0.1",  # IPv4-translated
    "::ffff:0:192.168.0.1",
    "::127.0.0.1",  # IPv4-compatible
    "::10.0.0.1",
    "::169.254.169.254",
    "64:ff9b::127.0.0.1",  # NAT64 well-known prefix
    "64:ff9b::10.0.0.1",
    "64:ff9b::169.254.169.254",
    "64:ff9b:1::1",  # local-use NAT64: never public
    "64:ff9b:1::808:808",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1 (stored inverted)
    "2001:0:a00:1::1",  # Teredo whose server is 10.0.0.1
]

PUBLIC = [
    "8.8.8.8",
    "151.101.1.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",  # NAT64 of a public address: how an IPv6-only network reaches IPv4 hosts
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize("text", PRIVATE)
def test_s8_private_addresses_and_their_ipv6_embeddings_are_not_public(text: str) -> None:
    assert not is_public(ipaddress.ip_address(text))


@pytest.mark.parametrize("text", PUBLIC)
def test_s8_public_addresses_stay_public_in_every_form(text: str) -> None:
    assert is_public(ipaddress.ip_address(text))


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ("64:ff9b::7f00:1", ["127.0.0.1"]),
        ("::ffff:0:a00:1", ["10.0.0.1"]),
        ("::7f00:1", ["127.0.0.1"]),
        ("2002:7f00:1::", ["127.0.0.1"]),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", ["65.54.227.120", "127.0.0.1"]),
        ("2606:4700::1111", []),
    ],
)
def test_s8_the_ipv4_address_inside_each_form(text: str, inner: list[str]) -> None:
    assert [str(a) for a in embedded_ipv4(ipaddress.IPv6Address(text))] == inner
