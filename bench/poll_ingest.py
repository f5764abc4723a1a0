"""How much the poller costs on top of the bare work, measured in one run on this machine.

1. parse: `parse_daily_papers` on the 53-entry synthetic day vs a bare `json.loads` of the same bytes.
2. poll: `Poller.poll_now` over 30 generated days (30 papers each, into a fresh real store, limiter spacing 0)
   vs bare aiohttp GETs of the same pages from the same real fixture server.

Prints numbers and ratios (measured / baseline); nothing is asserted. Run: `python -m bench.poll_ingest`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from tests.support.feed_server import SYNTHETIC_DAY, FeedServer, load_fixture_day, make_day, shift

from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.poller import Poller
from papertray.sources.daily_papers import parse_daily_papers
from papertray.store import Store

DAYS = 30
PER_DAY = 30
REPEATS = 5


def bench_parse() -> None:
    body = json.dumps(load_fixture_day()).encode()
    loops = 200

    def timed(fn: object) -> float:
        runs = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            for _ in range(loops):
                fn()  # type: ignore[operator]
            runs.append((time.perf_counter() - start) / loops)
        return statistics.median(runs)

    bare = timed(lambda: json.loads(body))
    ours = timed(lambda: parse_daily_papers(body, day=SYNTHETIC_DAY))
    print(
        f"parse 53-entry day ({len(body) // 1024} KB): json.loads {bare * 1e3:.2f} ms, "
        f"parse_daily_papers {ours * 1e3:.2f} ms, ratio {ours / bare:.2f}"
    )


async def bench_poll() -> None:
    first = shift(SYNTHETIC_DAY, -DAYS + 1)
    days = [shift(first, i) for i in range(DAYS)]
    server = FeedServer(days={day: make_day(day, PER_DAY) for day in days})
    await server.start()
    try:
        bare_runs, poll_runs = [], []
        for _ in range(REPEATS):
            start = time.perf_counter()
            async with aiohttp.ClientSession() as session:
                for day in days:
                    async with session.get(f"{server.url}/api/daily_papers?date={day}&limit=100&p=0") as resp:
                        json.loads(await resp.read())
            bare_runs.append(time.perf_counter() - start)

            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                paths = Paths(root / "config.toml", root / "data", root / "cache", root / "state", root / "logs")
                config = Config(paths=paths, hf_url=server.url)
                store = Store.open(paths.data_dir, EventBus())
                now = datetime.fromisoformat(SYNTHETIC_DAY).replace(tzinfo=UTC) + timedelta(hours=12)
                poller = Poller(lambda c=config: c, store, store.bus, min_spacing=0.0, now=lambda n=now: n)
                start = time.perf_counter()
                report = await poller.poll_now(days)
                poll_runs.append(time.perf_counter() - start)
                assert report.error is None and len(report.new) == DAYS * PER_DAY
                await poller.close()
                await store.close()
        bare, ours = statistics.median(bare_runs), statistics.median(poll_runs)
        print(
            f"poll {DAYS} days x {PER_DAY} papers: bare GET+json {bare * 1e3:.0f} ms, "
            f"poll_now into a real store {ours * 1e3:.0f} ms ({DAYS * PER_DAY / ours:.0f} papers/s), "
            f"ratio {ours / bare:.2f}"
        )
    finally:
        await server.stop()


def main() -> None:
    bench_parse()
    asyncio.run(bench_poll())


if __name__ == "__main__":
    main()
