"""Issue 14 on a real notification server (dunst): the day's top-ranked papers are notified beside rule matches,
each saying which ("sae-watch" / "for you: …"), inside the same daily budget. The ranker is real: trained in its
child process from saves and dismissals in a real store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from papertray.config import Paths, load_config
from papertray.events import EventBus
from papertray.models import Paper
from papertray.notify import Notifier
from papertray.ranking.service import Ranker
from papertray.store import Store
from tests.desktop.conftest import until
from tests.desktop.test_notifications import RULES, Clock
from tests.support.desktop_session import DesktopSession

pytestmark = pytest.mark.desktop

PAST, TODAY = "2026-11-25", "2026-11-26"
INTERP = "Mechanistic circuits of attention heads in transformer language models"
VISION = "Diffusion models for semantic segmentation of street scenes"


def paper(n: int, title: str, day: str, author: str, **fields: object) -> Paper:
    return Paper(id=f"2511.{n:05d}", title=title, summary=f"{title}. We study it.", authors=(author,),
                 daily_date=day, **fields)  # type: ignore[arg-type]  # fmt: skip


class World:
    def __init__(self, store: Store, bus: EventBus, notifier: Notifier, clock: Clock) -> None:
        self.store, self.bus, self.notifier, self.clock = store, bus, notifier, clock

    async def poll(self, papers: list[Paper]) -> None:
        result = await self.store.add_papers(papers)
        self.bus.publish("poll.done", {"source": "hf", "new": [p.id for p in result.new]})


@pytest.fixture
async def world(home: Path, dunst: DesktopSession) -> AsyncIterator[World]:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
    paths.ensure()
    paths.config_file.write_text(RULES.format(budget=2, quiet=""))
    config = load_config(paths, env={})
    bus = EventBus()
    store = Store.open(paths.data_dir, bus)
    past = [paper(i, f"{INTERP} {i}", PAST, "Chris Olah") for i in range(1, 13)]
    past += [paper(i, f"{VISION} {i}", PAST, "Vic Vision") for i in range(13, 25)]
    await store.add_papers(past)
    await store.update_states(
        {p.id: {"saved": True} for p in past[:10]} | {p.id: {"dismissed": True} for p in past[12:22]}
    )
    ranker = Ranker(store, bus, lambda: config.rules, paths.data_dir, log=lambda _m: None)
    assert await ranker.train_once() and ranker.status()["state"] == "ready"  # 20 signals: ranking for real
    clock = Clock(datetime.fromisoformat(f"{TODAY}T12:00:00").astimezone())
    notifier = Notifier(
        lambda: config, store, bus, reading_list_url=lambda: "", clock=clock, for_you=ranker.standings.for_you
    )
    task = asyncio.create_task(notifier.run())
    await until(lambda: bus.subscriber_count == 1, "the notifier to subscribe")
    try:
        yield World(store, bus, notifier, clock)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()


async def test_i14_2_the_days_top_ranked_paper_is_notified_beside_rule_matches_inside_the_budget(
    world: World, dunst: DesktopSession
) -> None:
    day = [paper(100 + i, f"{VISION} part {i}", TODAY, "Vic Vision") for i in range(8)]
    day += [paper(110, "Probing a sparse autoencoder on vision features", TODAY, "Vic Vision", upvotes=30)]
    day += [paper(111, f"{INTERP} at scale", TODAY, "Chris Olah")]  # no rule matches it: only the ranking
    await world.poll(day)
    await until(lambda: dunst.displayed_count() >= 1, "a notification on screen")
    history = await asyncio.to_thread(dunst.close_all_and_read)
    assert len(history) == 1  # one notification for the poll: the rule match and the top-ranked paper
    assert history[0]["summary"] == "2 new papers — sae-watch: 1, for you: 1"
    lines = history[0]["body"].splitlines()
    assert lines[0] == "• Probing a sparse autoencoder on vision features (sae-watch)"
    assert lines[1].startswith(f"• {INTERP} at scale (for you: ")
    assert not any("part" in line for line in lines)  # the rest of the day is not announced

    # The budget (2 a day) is shared: the second notification spends it, the third is held back for tomorrow.
    await world.poll([paper(120, f"{INTERP} revisited", TODAY, "Chris Olah")])
    await until(lambda: dunst.displayed_count() >= 1, "the second notification")
    second = await asyncio.to_thread(dunst.close_all_and_read)
    assert second[0]["summary"] == "New paper — for you"
    assert second[0]["body"].startswith(f"{INTERP} revisited\nfor you: ")
    await world.poll([paper(121, f"{INTERP} once more", TODAY, "Chris Olah")])
    marker = world.bus.publish("test.marker", {})
    await until(lambda: world.bus.last_id >= marker.id, "the bus")
    async with world.notifier._lock:
        pass
    await asyncio.sleep(0.3)
    assert dunst.displayed_count() == 0 and world.store.get_meta("notify.held")
    world.clock.now = (world.clock.now + timedelta(days=1)).replace(hour=0, minute=5)
    assert await world.notifier.release_held() is not None
    await until(lambda: dunst.displayed_count() == 1, "the summary next day")
    held = await asyncio.to_thread(dunst.close_all_and_read)
    assert held[0]["summary"] == "1 new paper held back — for you: 1"
    assert "(for you: " in held[0]["body"]
