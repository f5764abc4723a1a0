"""arXiv's volume on a real notification server (dunst, private D-Bus) (issue 13 item 4): a day of 1,000 matching
papers is one coalesced notification, and a catch-up after an absence is one "Caught up: N papers" line, never a
notification per old paper. The papers come from the real arXiv poller against the fixture arXiv on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papertray.arxiv_poller import ArxivPoller
from papertray.config import Config, Paths, load_config
from papertray.events import EventBus
from papertray.notify import Notifier
from papertray.sources.politeness import HostLimiter
from papertray.store import Store
from tests.desktop.conftest import until
from tests.support.arxiv_server import ApiPaper, ArxivServer, Item
from tests.support.desktop_session import DesktopSession
from tests.support.poller_env import Clock

pytestmark = pytest.mark.desktop

CONFIG = """
[arxiv]
categories = ["cs.LG", "cs.CL"]

[notifications]
quiet_hours = ""
max_age_days = 2

[[rules]]
name = "studies"
keywords = ["study"]
"""


@dataclass
class World:
    arxiv: ArxivServer
    poller: ArxivPoller
    notifier: Notifier
    bus: EventBus
    wall: Clock
    local: Clock


@pytest.fixture
async def world(home: Path, dunst: DesktopSession) -> AsyncIterator[World]:
    async with ArxivServer() as arxiv:
        paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
        paths.ensure()
        paths.config_file.write_text(CONFIG)
        config: Config = load_config(paths, env={"PAPERTRAY_ARXIV_URL": arxiv.url})
        bus = EventBus()
        store = Store.open(paths.data_dir, bus)
        wall = Clock(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
        local = Clock(datetime(2026, 11, 24, 12, 0).astimezone())
        poller = ArxivPoller(lambda: config, store, bus, limiter=HostLimiter(0.02), now=wall.now, page_size=50)
        notifier = Notifier(lambda: config, store, bus, reading_list_url=lambda: "http://127.0.0.1:9/", clock=local.now)
        task = asyncio.create_task(notifier.run())
        await until(lambda: bus.subscriber_count == 1, "the notifier to subscribe")
        try:
            yield World(arxiv, poller, notifier, bus, wall, local)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await poller.close()
            await store.close()


async def settled(world: World) -> None:
    marker = world.bus.publish("test.marker", {})
    await until(lambda: world.bus.last_id >= marker.id, "the bus")
    async with world.notifier._lock:
        pass
    await asyncio.sleep(0.3)


async def test_i13_4_a_day_of_1000_matching_arxiv_papers_is_one_notification(
    world: World, dunst: DesktopSession
) -> None:
    items = [Item(f"2611.{n:05d}", categories=("cs.LG",) if n % 2 else ("cs.CV", "cs.CL")) for n in range(1, 1001)]
    world.arxiv.announce("2026-11-24", items)
    report = await world.poller.poll_now()
    assert report.error is None and len(report.new) == 1000
    await until(lambda: dunst.displayed_count() >= 1, "a notification")
    await settled(world)
    history = await asyncio.to_thread(dunst.close_all_and_read)
    assert [item["summary"] for item in history] == ["1000 new papers — studies: 1000"]


async def test_i13_4_a_catch_up_is_one_line_and_no_old_paper_is_notified_on_its_own(
    world: World, dunst: DesktopSession
) -> None:
    world.arxiv.announce("2026-11-24", [Item("2611.00001")])
    await world.poller.poll_now()
    await until(lambda: dunst.displayed_count() == 1, "Tuesday's notification")
    tuesday = await asyncio.to_thread(dunst.close_all_and_read)
    assert [item["summary"] for item in tuesday] == ["New paper — studies"]

    # Away until Monday: 120 papers of the missed days (two pages of the export API each), two new today.
    world.wall.wall = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    world.local.wall = datetime(2026, 11, 30, 12, 0).astimezone()
    world.arxiv.papers = [
        ApiPaper(f"2611.1{n:04d}", datetime(2026, 11, 24 + n % 2, 10, n % 60, tzinfo=UTC), ("cs.LG", "cs.CL"))
        for n in range(120)
    ]
    world.arxiv.announce("2026-11-30", [Item("2611.30001"), Item("2611.30002", categories=("cs.CL",))])
    report = await world.poller.poll_now()
    assert report.error is None and report.caught_up == 120
    await until(lambda: dunst.displayed_count() >= 2, "the catch-up's notifications")
    await settled(world)
    history = (await asyncio.to_thread(dunst.close_all_and_read))[: -len(tuesday)]  # newest first
    summaries = sorted(item["summary"] for item in history)
    assert summaries == ["2 new papers — studies: 2", "Caught up: 120 papers"]
    caught = next(item for item in history if item["summary"].startswith("Caught up"))
    assert "cs.LG, cs.CL: 120 papers announced 2026-11-23 to 2026-11-29" in caught["body"]
    assert all("2611.1" not in item["body"] for item in history)  # no old paper named on its own
