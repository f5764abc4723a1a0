"""The poller's schedule against a real fixture feed server and a real store: it keeps polling through errors,
backs off, catches up missed days after sleep (noticed on the wall clock) and remembers all of it across a
restart. The wall clock is the test's; the monotonic clock and every socket are real."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import pytest

from papertray.events import EventBus
from papertray.poller import META_KEY, Poller
from papertray.store import Store
from tests.support import poller_env
from tests.support.feed_server import SYNTHETIC_DAY, Fault, FeedServer, load_fixture_day, make_day, shift
from tests.support.poller_env import Clock, Settings, until

feed = poller_env.feed
clock = poller_env.clock
settings = poller_env.settings
bus = poller_env.bus
store = poller_env.store
make_poller = poller_env.make_poller

MakePoller = Callable[..., Poller]
ONE = lambda: 1.0  # noqa: E731 - "jitter" that always draws the top of its range, so times are exact


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def add_days(feed: FeedServer, first: str, count: int, per_day: int = 3) -> list[str]:
    days = [shift(first, i) for i in range(count)]
    for day in days:
        feed.days[day] = make_day(day, per_day)
    return days


async def test_backoff_doubles_on_errors_and_a_success_returns_to_the_interval(
    feed: FeedServer, clock: Clock, make_poller: MakePoller
) -> None:
    poller = make_poller(rand=ONE, retry_base=60, interval=1800)
    feed.fail_day(SYNTHETIC_DAY, Fault.http(502))
    expected = []
    for errors in (1, 2, 3):
        report = await poller.poll_now()
        [state] = poller.source_states()
        assert state.error_count == errors and state.last_error == report.error
        expected.append(at(state.next_poll_at or "") - clock.now())
        clock.advance(seconds=1)
    assert [delta.total_seconds() for delta in expected] == [60, 120, 240]

    feed.heal()
    assert (await poller.poll_now()).error is None
    [state] = poller.source_states()
    assert state.error_count == 0 and state.last_error is None
    assert (at(state.next_poll_at or "") - clock.now()).total_seconds() == pytest.approx(1800 * 1.1)


async def test_server_errors_back_off_to_six_hours_but_offline_retries_stay_at_the_interval(
    feed: FeedServer, clock: Clock, make_poller: MakePoller
) -> None:
    poller = make_poller(rand=ONE, retry_base=60, interval=1800)
    feed.fail_day(SYNTHETIC_DAY, Fault.http(503))
    for _ in range(12):
        await poller.poll_now()
    [state] = poller.source_states()
    assert state.error_count == 12
    assert (at(state.next_poll_at or "") - clock.now()).total_seconds() == 6 * 3600

    await feed.stop()
    for _ in range(3):
        await poller.poll_now()
    [state] = poller.source_states()
    assert state.error_count == 15 and "connection refused" in (state.last_error or "")
    assert (at(state.next_poll_at or "") - clock.now()).total_seconds() == 1800


async def test_run_keeps_polling_through_errors_until_a_good_answer(
    feed: FeedServer, store: Store, bus: EventBus, make_poller: MakePoller
) -> None:
    poller = make_poller(retry_base=0.05, interval=3600, timeout=poller_env.SHORT_TIMEOUT)
    feed.fail_next(Fault.http(500), times=2)
    feed.fail_next(Fault.hang())
    feed.fail_next(Fault.html())
    runner = asyncio.create_task(poller.run())
    try:
        await until(lambda: poller.source_states()[0].last_success_at is not None)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    errors = [e.data["error"] for e in bus.since(0) if e.type == "poll.error"]
    assert len(errors) >= 3
    assert any("500 Internal Server Error" in e for e in errors)
    assert any("did not answer" in e for e in errors)
    assert any("web page" in e for e in errors)
    assert poller.source_states()[0].error_count == 0
    assert len(store) == 53
    assert feed.max_in_flight == 1


async def test_after_sleep_the_wall_clock_triggers_the_poll_and_missed_days_are_caught_up(
    feed: FeedServer, store: Store, clock: Clock, make_poller: MakePoller
) -> None:
    later = add_days(feed, shift(SYNTHETIC_DAY, 1), 4)  # 08-01 .. 08-04
    poller = make_poller(interval=3600)
    runner = asyncio.create_task(poller.run())
    try:
        await until(lambda: len(store) == 53)
        first = len(feed.requests)
        # the machine sleeps four days: the monotonic clock hardly moves, the wall clock jumps
        clock.advance(days=4)
        await until(lambda: len(store) == 53 + 4 * 3)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    second = [r.day for r in feed.requests[first:]]
    # today and yesterday first, then the missed days since the last fully polled one (07-30), newest first
    assert second == [later[3], later[2], later[1], later[0], SYNTHETIC_DAY]
    assert poller.source_states()[0].extra["last_full_day"] == later[2]


async def test_a_short_sleep_across_midnight_polls_the_new_day_at_once(
    feed: FeedServer, clock: Clock, make_poller: MakePoller
) -> None:
    clock.advance(hours=11, minutes=50)  # 23:50 UTC
    poller = make_poller(interval=3600)
    runner = asyncio.create_task(poller.run())
    try:
        await until(lambda: len(feed.requests) == 2)
        clock.advance(minutes=20)  # asleep for 20 minutes, the next poll is not due for 40 more
        await until(lambda: len(feed.requests) > 2)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert feed.requests[2].day == shift(SYNTHETIC_DAY, 1)


async def test_no_poll_before_it_is_due(feed: FeedServer, clock: Clock, make_poller: MakePoller) -> None:
    poller = make_poller(interval=3600)
    runner = asyncio.create_task(poller.run())
    try:
        await until(lambda: poller.source_states()[0].last_success_at is not None)
        polled = len(feed.requests)
        clock.advance(minutes=30)  # half the interval: a tick or two later, still nothing due
        await asyncio.sleep(0.2)
        assert len(feed.requests) == polled
        clock.advance(minutes=40)
        await until(lambda: len(feed.requests) > polled)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def test_catch_up_is_bounded_by_catch_up_days(
    feed: FeedServer, settings: Settings, clock: Clock, make_poller: MakePoller
) -> None:
    settings.set(catch_up_days=5)
    poller = make_poller()
    await poller.poll_now()
    clock.advance(days=30)
    feed.requests.clear()
    report = await poller.poll_now()
    today = shift(SYNTHETIC_DAY, 30)
    assert report.days == tuple(shift(today, -i) for i in range(6))  # today and the five days before it
    assert feed.days_requested() == list(report.days)


async def test_a_failing_missed_day_does_not_block_the_others_and_is_retried(
    feed: FeedServer, store: Store, clock: Clock, make_poller: MakePoller
) -> None:
    days = add_days(feed, shift(SYNTHETIC_DAY, 1), 4)  # 08-01 .. 08-04
    poller = make_poller()
    await poller.poll_now()
    clock.advance(days=4)
    feed.fail_day(days[1], Fault.html())  # 08-02 is broken
    report = await poller.poll_now()
    assert report.error is not None and days[1] in report.error
    assert len(store) == 53 + 3 * 3  # every other day arrived
    assert poller.source_states()[0].extra["last_full_day"] == days[0]

    feed.heal()
    feed.requests.clear()
    report = await poller.poll_now()
    assert report.error is None
    assert feed.days_requested() == [days[3], days[2], days[1]]
    assert len(store) == 53 + 4 * 3
    assert poller.source_states()[0].extra["last_full_day"] == days[2]


async def test_state_and_missed_days_survive_a_restart(
    feed: FeedServer, settings: Settings, bus: EventBus, clock: Clock, make_poller: MakePoller
) -> None:
    data_dir = settings().paths.data_dir
    first_store = Store.open(data_dir, bus)
    poller = make_poller(store=first_store)
    await poller.poll_now()
    clock.advance(hours=1)
    feed.fail_next(Fault.http(502))
    failed = await poller.poll_now()
    before = poller.source_states()[0]
    await poller.close()
    await first_store.close()

    # the daemon restarts three days later
    clock.advance(days=3)
    second_store = Store.open(data_dir, bus)
    try:
        assert isinstance(second_store.get_meta(META_KEY), dict)
        restarted = make_poller(store=second_store)
        [state] = restarted.source_states()
        assert state.error_count == 1 and state.last_error == failed.error
        assert state.last_success_at == before.last_success_at
        assert state.next_poll_at == before.next_poll_at and not state.polling
        add_days(feed, shift(SYNTHETIC_DAY, 1), 3)
        feed.requests.clear()
        report = await restarted.poll_now()
        assert report.error is None
        today = shift(SYNTHETIC_DAY, 3)
        assert feed.days_requested() == [today, shift(today, -1), shift(today, -2), shift(today, -3)]
        assert restarted.source_states()[0].error_count == 0
        assert len(second_store) == 53 + 3 * 3
    finally:
        await second_store.close()


async def test_an_overdue_poll_runs_at_once_after_a_restart(
    feed: FeedServer, store: Store, clock: Clock, make_poller: MakePoller
) -> None:
    await make_poller(interval=3600).poll_now()
    clock.advance(hours=5)
    restarted = make_poller(interval=3600)
    polled = len(feed.requests)
    runner = asyncio.create_task(restarted.run())
    try:
        await until(lambda: len(feed.requests) > polled)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def test_the_synthetic_day_is_53_papers_through_the_whole_pipeline(
    feed: FeedServer, store: Store, make_poller: MakePoller
) -> None:
    feed.days[SYNTHETIC_DAY] = load_fixture_day() + load_fixture_day()[:10]  # HF repeating itself
    report = await make_poller().poll_now([SYNTHETIC_DAY])
    assert report.fetched == 53 and len(report.new) == 53 and len(store) == 53
