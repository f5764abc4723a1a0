"""arXiv's listings as a source (issue 13 items 3-5) against a real fixture arXiv on loopback (tests/support/
arxiv_server.py) and a real store: one conditional GET per poll, ETag checked by the server, Cache-Control
honoured, 503 + Retry-After, bad feeds said in one sentence, catch-up after an absence fetched once through the
export API. The wall clock is the test's; sockets, the limiter and the store are real."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from papertray.arxiv_poller import META_KEY, ArxivPoller
from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.models import Paper
from papertray.poller import Poller
from papertray.pollers import Pollers
from papertray.sources.politeness import HostLimiter
from papertray.store import Store
from papertray.tray_feed import snapshot
from tests.support.arxiv_server import ApiPaper, ArxivServer, Item
from tests.support.feed_server import FeedServer, make_day
from tests.support.poller_env import Clock, Settings, until

TUESDAY = "2026-11-24"
MONDAY = "2026-11-30"
ONE = lambda: 1.0  # noqa: E731 - "jitter" that always draws the top of its range, so times are exact
FAST: dict[str, Any] = {"tick": 0.02, "timeout": 10.0, "rand": ONE, "interval": 1800.0}


@pytest.fixture
async def arxiv() -> AsyncIterator[ArxivServer]:
    server = ArxivServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.fromisoformat(f"{TUESDAY}T06:00:00+00:00"))


@pytest.fixture
def settings(tmp_path: Path, arxiv: ArxivServer) -> Settings:
    paths = Paths(tmp_path / "config.toml", tmp_path / "data", tmp_path / "cache", tmp_path / "state", tmp_path / "l")
    return Settings(Config(paths=paths, arxiv_url=arxiv.url, arxiv_categories=("cs.LG", "cs.CL"), catch_up_days=14))


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
async def store(settings: Settings, bus: EventBus) -> AsyncIterator[Store]:
    opened = Store.open(settings().paths.data_dir, bus)
    yield opened
    await opened.close()


@pytest.fixture
async def make(
    settings: Settings, store: Store, bus: EventBus, clock: Clock
) -> AsyncIterator[Callable[..., ArxivPoller]]:
    made: list[ArxivPoller] = []

    def build(**overrides: Any) -> ArxivPoller:
        poller = ArxivPoller(settings, store, bus, limiter=HostLimiter(0.02), now=clock.now, **{**FAST, **overrides})
        made.append(poller)
        return poller

    yield build
    for poller in made:
        await poller.close()


def seconds_to_next(poller: ArxivPoller, clock: Clock) -> float:
    [state] = poller.source_states()
    return (datetime.fromisoformat(state.next_poll_at or "") - clock.now()).total_seconds()


async def test_i13_3_every_announce_type_is_one_record_with_every_source_and_version(
    arxiv: ArxivServer, store: Store, make: Callable[..., ArxivPoller]
) -> None:
    await store.add_papers([Paper(id="2611.00001", title="On HF first", daily_date="2026-11-23", upvotes=7)])
    arxiv.announce(
        TUESDAY,
        [
            Item("2611.00001", categories=("cs.LG", "cs.CL")),
            Item("2611.00002", kind="cross", categories=("cs.CV", "cs.CL")),
            Item("2605.01234", version=3, kind="replace", categories=("cs.CL",)),
            Item("2611.00004", kind="absonly"),
        ],
    )
    report = await make().poll_now()
    assert report.error is None and report.fetched == 3 and report.skipped == 1
    both = store.get_paper("2611.00001")
    assert both is not None and both.sources == ("hf", "arxiv:cs.LG", "arxiv:cs.CL") and both.upvotes == 7
    assert both.daily_date == "2026-11-23"  # the first day it appeared on any followed list stays
    replaced = store.get_paper("2605.01234")
    assert replaced is not None and replaced.version == 3 and replaced.versions == ((3, "2026-11-24T04:00:00Z"),)
    [request] = arxiv.listing_requests()
    assert request.path == "/rss/cs.LG+cs.CL"  # one request for every followed list


async def test_i13_3_the_etag_comes_back_as_if_none_match_and_a_304_is_nothing_new_after_a_restart(
    arxiv: ArxivServer, clock: Clock, make: Callable[..., ArxivPoller]
) -> None:
    arxiv.announce(TUESDAY, [Item("2611.00001")])
    first = make()
    assert (await first.poll_now()).fetched == 1
    again = await first.poll_now()
    etag = arxiv.listing_requests()[0].headers.get("If-None-Match")
    sent = arxiv.listing_requests()[1].headers.get("If-None-Match")
    assert etag is None and sent is not None and arxiv.listing_requests()[1].status == 304
    assert again.not_modified and again.fetched == 0 and again.error is None
    await first.close()

    restarted = make()  # a new daemon on the same store: the ETag was kept with the source's state
    report = await restarted.poll_now()
    assert arxiv.listing_requests()[2].headers.get("If-None-Match") == sent
    assert arxiv.listing_requests()[2].status == 304 and report.not_modified and report.error is None


async def test_i13_3_no_poll_before_cache_control_max_age_runs_out(
    arxiv: ArxivServer, clock: Clock, make: Callable[..., ArxivPoller]
) -> None:
    arxiv.announce(TUESDAY, [Item("2611.00001")])
    arxiv.max_age = 7 * 3600  # arXiv: seconds until its next midnight
    poller = make()
    await poller.poll_now()
    assert seconds_to_next(poller, clock) == 7 * 3600
    arxiv.max_age = 60  # shorter than the interval: the interval (with its jitter) wins
    await poller.poll_now()
    assert seconds_to_next(poller, clock) == pytest.approx(1800 * 1.1)


async def test_i13_1_a_config_edit_that_follows_other_categories_is_polled_at_once_despite_max_age(
    arxiv: ArxivServer, settings: Settings, make: Callable[..., ArxivPoller]
) -> None:
    arxiv.announce(TUESDAY, [Item("2611.00001", categories=("cs.LG",)), Item("2611.00002", categories=("math.OC",))])
    arxiv.max_age = 20 * 3600
    poller = make()
    task = asyncio.create_task(poller.run())
    try:
        await until(lambda: len(arxiv.listing_requests()) == 1)
        settings.set(arxiv_categories=("cs.LG", "math"))  # as a reload swaps the config
        await until(lambda: len(arxiv.listing_requests()) == 2)
        assert arxiv.listing_requests()[1].path == "/rss/cs.LG+math"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_i13_3_a_503_with_retry_after_is_waited_out_without_asking_again(
    arxiv: ArxivServer, clock: Clock, make: Callable[..., ArxivPoller]
) -> None:
    arxiv.announce(TUESDAY, [Item("2611.00001")])
    arxiv.fail_next("/rss/", "503", **{"Retry-After": "900"})
    poller = make()
    report = await poller.poll_now()
    assert report.error is not None and "503" in report.error and "15 minutes" in report.error
    [state] = poller.source_states()
    assert state.error_count == 1 and seconds_to_next(poller, clock) >= 900
    again = await poller.poll_now()  # asked early (papertray poll): arXiv is not asked while it said to wait
    assert len(arxiv.listing_requests()) == 1 and again.error is not None and "slow down" in again.error
    assert poller.source_states()[0].error_count == 2  # still a failing source, never parked


async def test_i13_3_a_category_arxiv_does_not_know_is_one_sentence_naming_the_config(
    arxiv: ArxivServer, settings: Settings, make: Callable[..., ArxivPoller]
) -> None:
    settings.set(arxiv_categories=("cs.LG", "cs.XY"))
    report = await make().poll_now()
    assert report.error == (
        "arXiv refused the listing of cs.LG+cs.XY (400 Bad Request): one of [arxiv] categories in "
        f"{settings().paths.config_file} is not an archive or category arXiv knows."
    )


async def test_i13_3_a_cut_off_feed_keeps_its_whole_items_and_the_next_poll_fetches_it_whole(
    arxiv: ArxivServer, store: Store, make: Callable[..., ArxivPoller]
) -> None:
    arxiv.announce(TUESDAY, [Item(f"2611.{n:05d}") for n in range(1, 9)])
    arxiv.fail_next("/rss/", "truncated")
    poller = make()
    cut = await poller.poll_now()
    assert cut.error is not None and "was cut off" in cut.error and 0 < cut.fetched < 8
    assert store.get_paper("2611.00001") is not None
    whole = await poller.poll_now()
    assert arxiv.listing_requests()[1].headers.get("If-None-Match") is None  # the cut answer's ETag was not kept
    assert whole.error is None and whole.fetched == 8 and poller.source_states()[0].error_count == 0


async def test_i13_3_html_and_an_empty_weekday_are_errors_but_the_weekend_is_not(
    arxiv: ArxivServer, make: Callable[..., ArxivPoller]
) -> None:
    poller = make()
    arxiv.fail_next("/rss/", "html")
    html = await poller.poll_now()
    assert html.error == "arXiv answered the listing for cs.LG+cs.CL with something that is not an RSS feed."
    arxiv.announce(TUESDAY, [])
    empty = await poller.poll_now()
    assert empty.error is not None and "has no papers although arXiv announces on weekdays" in empty.error
    arxiv.announce("2026-11-28", [])  # a Saturday
    assert (await poller.poll_now()).error is None


async def test_i13_4_catch_up_after_an_absence_fetches_the_missed_days_once_paged_and_says_how_long(
    arxiv: ArxivServer,
    store: Store,
    bus: EventBus,
    clock: Clock,
    make: Callable[..., ArxivPoller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    arxiv.announce(TUESDAY, [Item("2611.00001")])
    poller = make(page_size=3)
    await poller.poll_now()
    assert arxiv.api_requests() == []  # the first listing ever seen: nothing to catch up on

    # Away from Tuesday to Monday: Wednesday's, Thursday's and Friday's announcements were missed.
    clock.wall = datetime.fromisoformat(f"{MONDAY}T07:00:00+00:00")
    missed = [ApiPaper(f"2611.1{n:04d}", datetime(2026, 11, 25, 10, n, tzinfo=UTC)) for n in range(7)]
    missed += [
        ApiPaper(f"2611.2{n:04d}", datetime(2026, 11, 27, 9, n, tzinfo=UTC), ("cs.CL", "cs.AI")) for n in range(4)
    ]
    missed.append(ApiPaper("2611.00001", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))  # already listed: not new
    arxiv.papers = missed
    arxiv.announce(MONDAY, [Item("2611.30001")])
    before = bus.last_id
    shown: list[dict[str, Any]] = []  # what `status` showed of the catch-up as each export API request arrived
    arxiv.observer = lambda seen: shown.append(poller.source_states()[0].extra.get("catch_up") or {})
    caplog.set_level("INFO", logger="papertray.arxiv_catchup")
    report = await poller.poll_now()

    assert report.error is None and report.caught_up == 12
    api_shown = shown[1:]  # the first request was the listing
    assert [(s["requests_done"], s["requests_total"]) for s in api_shown] == [(0, 2), (1, 4), (2, 4), (3, 4), (4, 5)]
    assert api_shown[0]["since"] == "2026-11-23" and api_shown[0]["until"] == "2026-11-29"
    assert api_shown[1]["eta_seconds"] == 0  # the test's limiter spaces by 20 ms; arXiv's by 3 s
    assert "lists=cs.LG,cs.CL at least 2 requests left, about" in caplog.text  # said before it starts
    assert "category=cs.LG papers=8 at least 3 requests left" in caplog.text
    assert "category=cs.CL papers=4 1 request left" in caplog.text
    assert "catch_up" not in poller.source_states()[0].extra  # done: no longer shown
    windows = [(r.query["search_query"], r.query["start"]) for r in arxiv.api_requests()]
    assert windows == [
        ("cat:cs.LG AND submittedDate:[202611230000 TO 202611292359]", "0"),
        ("cat:cs.LG AND submittedDate:[202611230000 TO 202611292359]", "3"),
        ("cat:cs.LG AND submittedDate:[202611230000 TO 202611292359]", "6"),
        ("cat:cs.CL AND submittedDate:[202611230000 TO 202611292359]", "0"),
        ("cat:cs.CL AND submittedDate:[202611230000 TO 202611292359]", "3"),
    ]
    late = store.get_paper("2611.20003")
    assert late is not None and late.sources == ("arxiv:cs.CL",) and late.daily_date == "2026-11-30"
    early = store.get_paper("2611.10000")
    assert early is not None and early.sources == ("arxiv:cs.LG",) and early.daily_date == "2026-11-26"
    caught = [e for e in bus.since(before) if e.type == "poll.caught_up"]
    assert [e.data["papers"] for e in caught] == [11]  # 2611.00001 was there already

    await poller.poll_now()  # 304, and the missed days are done: asked once
    assert len(arxiv.api_requests()) == 5
    assert store.get_meta(META_KEY)["last_full_day"] == MONDAY


async def test_i13_4_a_failed_catch_up_is_tried_again_whole_and_its_error_said(
    arxiv: ArxivServer, clock: Clock, make: Callable[..., ArxivPoller]
) -> None:
    arxiv.announce(TUESDAY, [Item("2611.00001")])
    poller = make()
    await poller.poll_now()
    clock.wall = datetime.fromisoformat(f"{MONDAY}T07:00:00+00:00")
    arxiv.papers = [ApiPaper("2611.10001", datetime(2026, 11, 25, 10, 0, tzinfo=UTC))]
    arxiv.announce(MONDAY, [Item("2611.30001")])
    arxiv.fail_next("/api/query", "error-feed")
    failed = await poller.poll_now()
    assert failed.error == (
        "Catching up on missed arXiv days failed: arXiv's export API refused the query: incorrect id format for "
        "1234.12345; it is tried again."
    )
    retried = await poller.poll_now()
    assert retried.error is None and retried.not_modified and retried.caught_up == 1


async def test_i13_5_every_source_is_listed_and_polled_and_a_failing_one_does_not_stop_the_other(
    arxiv: ArxivServer, settings: Settings, store: Store, bus: EventBus, clock: Clock, make: Callable[..., ArxivPoller]
) -> None:
    async with FeedServer(days={TUESDAY: make_day(TUESDAY, 3)}) as hf_feed:
        settings.set(hf_url=hf_feed.url)
        hf = Poller(settings, store, bus, min_spacing=0.02, timeout=10.0, tick=0.02, now=clock.now)
        pollers = Pollers(hf, make())
        arxiv.fail_next("/rss/", "html")
        report = (await pollers.poll_now()).to_dict()
        assert [s["source"] for s in report["sources"]] == ["hf", "arxiv"]
        assert report["error"] is None and report["fetched"] == 3  # Hugging Face's poll went on
        assert report["sources"][1]["error"] is not None
        states = {s.name: s for s in pollers.source_states()}
        assert states["hf"].error_count == 0 and states["arxiv"].error_count == 1
        assert states["arxiv"].extra["categories"] == ["cs.LG", "cs.CL"]
        tray_state = snapshot(store, source_states=pollers.source_states, now=clock.now)
        assert tray_state.failing == (f"arxiv: {states['arxiv'].last_error}",)  # the tray's line for it
        settings.set(arxiv_categories=())  # a reload that follows no category: the arXiv source leaves the list
        assert [s.name for s in pollers.source_states()] == ["hf"]
        await hf.close()
