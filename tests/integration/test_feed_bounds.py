"""A feed that sends values no real one has (numbers past 64 bits, dates in 2099), through the real daemon:
the day is stored, the odd fields are tamed, and the list order stays true."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.integration.conftest import TODAY
from tests.support.daemon import DaemonProcess
from tests.support.feed_server import FeedServer, day_ids, make_entry


async def test_s10_and_I_an_entry_with_huge_numbers_or_a_far_date_keeps_the_day(tmp_path: Path) -> None:
    ids = day_ids(TODAY, 4)
    entries = [make_entry(pid, TODAY, upvotes=n) for n, pid in enumerate(ids)]
    entries[1]["paper"]["upvotes"] = 1e300
    entries[2] = make_entry(ids[2], "2099-01-01", upvotes=500)  # would be listed first for ever
    feed = FeedServer(days={TODAY: entries})
    await feed.start()
    daemon = DaemonProcess(tmp_path / "home", PAPERTRAY_HF_URL=feed.url)
    try:
        await asyncio.to_thread(daemon.start)
        code, report = await asyncio.to_thread(daemon.post, "poll")
        assert code == 200, report
        code, page = await asyncio.to_thread(daemon.get, "papers?limit=10")
        listed = {p["id"]: p for p in page["papers"]}
        assert sorted(listed) == sorted(ids), "the healthy entries of the day are stored too"
        assert listed[ids[1]]["upvotes"] == 1_000_000_000 and listed[ids[1]]["title"]
        assert listed[ids[2]]["daily_date"] == TODAY and listed[ids[2]]["published_at"] is None
        assert all(p["daily_date"] <= TODAY for p in page["papers"])
    finally:
        await asyncio.to_thread(daemon.stop)
        await feed.stop()
