"""Fixtures of the integration tier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from tests.support.feed_server import FeedServer, load_fixture_day

TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
async def today_feed() -> AsyncIterator[FeedServer]:
    """A Daily Papers server with the 53-entry synthetic seed day served as today (UTC), so a daemon's normal
    poll (today and yesterday) finds it."""
    server = FeedServer(days={TODAY: load_fixture_day()})
    await server.start()
    yield server
    await server.stop()
