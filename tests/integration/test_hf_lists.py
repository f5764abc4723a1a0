"""Hugging Face's weekly, monthly and trending lists as optional sources (issue 13 item 6) against the real
fixture feed server, with a real recorded Daily Papers answer as the month's list: each paper one record with every
list it came from, each list its own state, a failing list not stopping the others, and nothing asked by default."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from papertray.config import Config, Paths, parse_config
from papertray.events import EventBus
from papertray.hf_lists import HfListsPoller
from papertray.sources.politeness import HostLimiter
from papertray.store import Store
from tests.support.feed_server import FeedServer, load_real_day, make_day

NOW = datetime(2026, 6, 14, 9, 0, tzinfo=UTC)  # ISO week 2026-W24


async def test_i13_6_week_month_and_trending_lists_tag_one_record_per_paper(tmp_path: Path) -> None:
    month = load_real_day("2026-06-12")  # 30 real entries
    week = month[:5] + make_day("2026-06-13", 3)
    async with FeedServer(lists={"week=2026-W24": week, "month=2026-06": month}) as feed:
        paths = Paths(tmp_path / "c.toml", tmp_path / "d", tmp_path / "ca", tmp_path / "s", tmp_path / "l")
        config = Config(paths=paths, hf_url=feed.url, hf_lists=("week", "month", "trending"))
        bus = EventBus()
        store = Store.open(paths.data_dir, bus)
        poller = HfListsPoller(lambda: config, store, bus, limiter=HostLimiter(0.02), now=lambda: NOW)
        try:
            report = await poller.poll_now()
            asked = sorted(r.path for r in feed.requests)
            assert asked == [
                "/api/daily_papers?month=2026-06&limit=100",
                "/api/daily_papers?sort=trending&limit=100",
                "/api/daily_papers?week=2026-W24&limit=100",
            ]
            assert report.fetched == 33 and len(report.new) == 33
            first = month[0]["paper"]["id"]
            both = store.get_paper(first)
            assert both is not None and both.sources == ("hf:week", "hf:month")
            assert both.daily_date == "2026-06-12"  # the day it entered Daily Papers, from the real entry
            states = {s.name: s for s in poller.source_states()}
            assert list(states) == ["hf:week", "hf:month", "hf:trending"]
            assert states["hf:week"].error_count == 0 and states["hf:month"].papers_last_poll == 30
            # the trending list was not served (400): that list fails alone, in one sentence
            assert states["hf:trending"].error_count == 1 and "400" in (states["hf:trending"].last_error or "")
            assert report.error == states["hf:trending"].last_error
        finally:
            await poller.close()
            await store.close()


async def test_i13_6_the_lists_are_off_by_default_and_a_bad_name_is_said(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "c.toml", tmp_path / "d", tmp_path / "ca", tmp_path / "s", tmp_path / "l")
    config = parse_config("", paths.config_file, paths, {})
    assert config.hf_lists == ()
    store = Store.open(paths.data_dir, EventBus())
    try:
        assert HfListsPoller(lambda: config, store, EventBus()).source_states() == []
    finally:
        await store.close()
    try:
        parse_config('[sources]\nhf_lists = ["week", "yearly"]\n', paths.config_file, paths, {})
    except Exception as exc:
        assert str(exc) == (
            f"{paths.config_file}, line 2: [sources] 'hf_lists' holds 'yearly'; the lists are 'week', 'month', "
            "'trending'."
        )
    else:
        raise AssertionError("a list Hugging Face does not have was accepted")
