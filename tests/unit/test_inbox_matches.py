"""Issue 17 item 2, the matches inbox at arXiv's volume: two weeks of lists are thousands of new papers, each read
and matched against the rules. Building the list held the event loop for all of them (0.2-0.7 s of CPU at a
million stored papers), so nothing else was answered meanwhile; now other tasks run between chunks. Counted, not
timed: how often another task gets a turn while the inbox is made."""

from __future__ import annotations

import asyncio
from pathlib import Path

from papertray.api.inbox_routes import CHUNK, matches
from papertray.config import Config, Paths, Rule
from papertray.events import EventBus
from papertray.models import Paper
from papertray.store import Store


async def test_i17_2_the_inbox_lets_other_requests_in_while_it_reads_two_weeks_of_papers(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data", EventBus())
    try:
        papers = [
            Paper(
                id=f"2611.{n:05d}",
                version=1,
                title=f"Sparse autoencoders for vision, part {n}" if n % 10 == 0 else f"Graph networks {n}",
                summary="An abstract.",
                daily_date=f"2026-11-{1 + n % 14:02d}",
            )
            for n in range(1, 2001)
        ]
        await store.add_papers(papers)
        paths = Paths(tmp_path / "config.toml", tmp_path / "data", tmp_path / "c", tmp_path / "s", tmp_path / "l")
        config = Config(paths=paths, rules=(Rule(name="sae", keywords=("sparse autoencoder",)),))
        turns = 0
        stop = asyncio.Event()

        async def another_request() -> None:
            nonlocal turns
            while not stop.is_set():
                turns += 1
                await asyncio.sleep(0)

        other = asyncio.create_task(another_request())
        await asyncio.sleep(0)
        started = turns
        items = await matches(store, config)
        stop.set()
        await other
        assert len(items) == 200 and all(item["rules"][0]["rule"] == "sae" for item in items)
        assert turns - started >= len(papers) // CHUNK - 1  # a turn for the others after every chunk
    finally:
        await store.close()
