"""The feed poller goes through the same SSRF guard as the library's downloads: the configured source is trusted
as configured (here a fixture server on 127.0.0.1), a redirect from it to any other private or loopback address
(another local port such as papertray's own API, or an IPv6 form of 127.0.0.1) is refused with one sentence and
never requested."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from papertray.poller import Poller
from papertray.store import Store
from tests.support import poller_env
from tests.support.feed_server import SYNTHETIC_DAY, Fault, FeedServer

feed = poller_env.feed
clock = poller_env.clock
settings = poller_env.settings
bus = poller_env.bus
store = poller_env.store
make_poller = poller_env.make_poller

MakePoller = Callable[..., Poller]


@pytest.fixture
async def canary() -> AsyncIterator[FeedServer]:
    """Another local server (think: papertray's own API on its port) that must never be asked."""
    server = FeedServer(days={SYNTHETIC_DAY: []})
    await server.start()
    yield server
    await server.stop()


def target(canary: FeedServer, host: str) -> str:
    return f"http://{host}:{canary.port}/api/daily_papers?date={SYNTHETIC_DAY}&limit=100&p=0"


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",  # the same host as the feed, another port
        "localhost",
        "[::ffff:127.0.0.1]",
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[::127.0.0.1]",  # IPv4-compatible
    ],
)
async def test_s7_a_redirect_from_the_feed_to_another_local_address_is_refused(
    feed: FeedServer, canary: FeedServer, store: Store, make_poller: MakePoller, host: str
) -> None:
    feed.fail_next(Fault.redirect(target(canary, host)), day=SYNTHETIC_DAY)
    report = await make_poller().poll_now([SYNTHETIC_DAY])
    assert report.error is not None
    assert "private or local address" in report.error and SYNTHETIC_DAY in report.error, report.error
    assert f"127.0.0.1:{feed.port} redirected papertray to" in report.error
    assert report.error.endswith(".") and "\n" not in report.error
    assert canary.requests == []
    assert len(store) == 0


async def test_s7_a_redirect_within_the_configured_source_is_followed(
    feed: FeedServer, store: Store, make_poller: MakePoller
) -> None:
    feed.fail_next(Fault.redirect(f"/api/daily_papers?date={SYNTHETIC_DAY}&limit=100&p=0"), day=SYNTHETIC_DAY)
    report = await make_poller().poll_now([SYNTHETIC_DAY])
    assert report.error is None and len(store) == 53
    assert [r.fault for r in feed.requests] == ["redirect", None]


async def test_s7_the_users_token_is_not_sent_along_a_redirect_to_another_origin(
    feed: FeedServer, canary: FeedServer, settings: poller_env.Settings, make_poller: MakePoller
) -> None:
    # The user allowed the canary's host, so the redirect is followed; the Hugging Face token stays behind.
    settings.set(allowed_private_hosts=("localhost",))

    async def token() -> str:
        return "hf_secret"

    feed.fail_next(Fault.redirect(target(canary, "localhost")), day=SYNTHETIC_DAY)
    report = await make_poller(hf_token=token).poll_now([SYNTHETIC_DAY])
    assert report.error is None
    assert feed.requests[0].headers.get("Authorization") == "Bearer hf_secret"
    assert len(canary.requests) == 1 and "Authorization" not in canary.requests[0].headers
