"""Fixtures for the poller's integration tests: a real fixture feed server, a real store in a temp dir, a
settable wall clock (the monotonic clock stays real). A test module registers them by assignment
(`feed = poller_env.feed`), which keeps them out of a shared conftest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.poller import Poller
from papertray.store import Store
from tests.support.feed_server import SYNTHETIC_DAY, FeedServer, load_fixture_day, utc


@dataclass
class Clock:
    wall: datetime

    def now(self) -> datetime:
        return self.wall

    def advance(self, **delta: float) -> None:
        self.wall += timedelta(**delta)


@dataclass
class Settings:
    """A config holder the test can swap, like the daemon's reload does."""

    config: Config

    def __call__(self) -> Config:
        return self.config

    def set(self, **changes: Any) -> None:
        self.config = replace(self.config, **changes)


@pytest.fixture
async def feed() -> AsyncIterator[FeedServer]:
    server = FeedServer(days={SYNTHETIC_DAY: load_fixture_day()})
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(SYNTHETIC_DAY, 12))


@pytest.fixture
def settings(tmp_path: Path, feed: FeedServer) -> Settings:
    paths = Paths(
        config_file=tmp_path / "config.toml",
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        state_dir=tmp_path / "state",
        log_dir=tmp_path / "logs",
    )
    return Settings(Config(paths=paths, hf_url=feed.url, catch_up_days=14))


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
async def store(settings: Settings, bus: EventBus) -> AsyncIterator[Store]:
    opened = Store.open(settings().paths.data_dir, bus)
    yield opened
    await opened.close()


# Fast but real: the limiter still spaces requests (by 20 ms) and the wall clock is checked every 20 ms. The
# deadline stays generous so a busy machine does not fail good requests; hang tests shorten it.
FAST = {"min_spacing": 0.02, "timeout": 10.0, "tick": 0.02}
SHORT_TIMEOUT = 1.0


@pytest.fixture
async def make_poller(
    settings: Settings, store: Store, bus: EventBus, clock: Clock
) -> AsyncIterator[Callable[..., Poller]]:
    made: list[Poller] = []

    def make(**overrides: Any) -> Poller:
        config = overrides.pop("config", settings)
        target = overrides.pop("store", store)
        events = overrides.pop("bus", bus)
        poller = Poller(config, target, events, **{**FAST, "now": clock.now, **overrides})
        made.append(poller)
        return poller

    yield make
    for poller in made:
        await poller.close()


async def until(condition: Callable[[], bool], *, timeout: float = 15.0) -> None:
    """Wait for a condition the code under test will make true (a hang would otherwise fail by timeout)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
