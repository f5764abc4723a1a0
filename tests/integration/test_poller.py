"""The poller against a real fixture feed server and a real store: ingest, paging, politeness, and every fault
the server can throw. For each fault: the poll reports one sentence, the source state shows it, the next good
answer clears it, and no paper is lost or duplicated."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from papertray.events import EventBus
from papertray.poller import Poller
from papertray.sources.http import MAX_BODY_BYTES
from papertray.store import Store
from tests.support import poller_env
from tests.support.feed_server import SYNTHETIC_DAY, Fault, FeedServer, load_fixture_day, make_day, make_entry, shift
from tests.support.poller_env import Clock

feed = poller_env.feed
clock = poller_env.clock
settings = poller_env.settings
bus = poller_env.bus
store = poller_env.store
make_poller = poller_env.make_poller

MakePoller = Callable[..., Poller]
YESTERDAY = shift(SYNTHETIC_DAY, -1)
FIXTURE_IDS = {entry["paper"]["id"] for entry in load_fixture_day()}


def one_sentence(text: str | None) -> bool:
    if not text:
        return False
    return text.endswith(".") and "\n" not in text and ". " not in text.rstrip(".")


async def test_a_poll_ingests_the_synthetic_day_exactly(
    feed: FeedServer, store: Store, bus: EventBus, make_poller: MakePoller
) -> None:
    poller = make_poller(page_size=20)
    report = await poller.poll_now()

    assert report.error is None
    assert report.days == (SYNTHETIC_DAY, YESTERDAY)
    assert report.fetched == 53
    assert set(report.new) == FIXTURE_IDS
    assert len(store) == 53
    assert {p.id for p in (store.get_paper(i) for i in FIXTURE_IDS) if p} == FIXTURE_IDS
    # pages of 20 until a short page: 20, 20, 13; then yesterday's empty page
    asked = [(r.day, r.page, r.limit) for r in feed.requests]
    assert asked == [(SYNTHETIC_DAY, 0, 20), (SYNTHETIC_DAY, 1, 20), (SYNTHETIC_DAY, 2, 20), (YESTERDAY, 0, 20)]
    assert all(r.headers["User-Agent"].startswith("papertray/") for r in feed.requests)

    types = [event.type for event in bus.since(0)]
    assert types[0] == "poll.started" and types[-1] == "poll.done"
    assert types.count("paper.new") == 53
    assert bus.since(0)[-1].data == report.to_dict()

    [state] = poller.source_states()
    assert (state.name, state.error_count, state.last_error, state.papers_last_poll) == ("hf", 0, None, 53)
    assert state.last_success_at is not None and state.next_poll_at is not None and not state.polling

    again = await poller.poll_now()
    assert (again.fetched, again.new, again.error) == (53, (), None)
    assert len(store) == 53


async def test_the_default_page_size_is_the_api_maximum(feed: FeedServer, make_poller: MakePoller) -> None:
    await make_poller().poll_now()
    assert {r.limit for r in feed.requests} == {100}


async def test_a_full_last_page_is_followed_by_one_empty_page(
    feed: FeedServer, store: Store, make_poller: MakePoller
) -> None:
    report = await make_poller(page_size=53).poll_now([SYNTHETIC_DAY])
    assert [(r.day, r.page) for r in feed.requests] == [(SYNTHETIC_DAY, 0), (SYNTHETIC_DAY, 1)]
    assert report.fetched == 53 and len(store) == 53


FAULTS = [
    pytest.param(Fault.http(500), "answered 500 Internal Server Error for 2025-07-31.", id="500"),
    pytest.param(Fault.http(502), "answered 502 Bad Gateway for 2025-07-31.", id="502"),
    pytest.param(Fault.hang(), "did not answer within 1 second for 2025-07-31.", id="hang"),
    pytest.param(Fault.drip(0.1), "did not answer within 1 second for 2025-07-31.", id="slow-drip"),
    pytest.param(Fault.truncated(), "answer for 2025-07-31 is cut off or is not valid JSON.", id="truncated-json"),
    pytest.param(Fault.cut(), "broke off its answer for 2025-07-31 before the end.", id="connection-cut"),
    pytest.param(Fault.html(), "answer for 2025-07-31 was a web page (HTML)", id="html"),
    pytest.param(Fault.json_object(), "answer for 2025-07-31 was a JSON object", id="json-object"),
    pytest.param(Fault.oversized(300_000), "sent more than 256 KB for 2025-07-31", id="oversized-streamed"),
    pytest.param(Fault.oversized(300_000, with_length=True), "offered 293 KB for 2025-07-31", id="oversized-announced"),
]


@pytest.mark.parametrize(("fault", "says"), FAULTS)
async def test_each_fault_is_reported_then_cleared_by_the_next_good_answer(
    feed: FeedServer, store: Store, bus: EventBus, make_poller: MakePoller, fault: Fault, says: str
) -> None:
    slow = fault.kind in ("hang", "drip")
    poller = make_poller(max_bytes=256 * 1024, **({"timeout": poller_env.SHORT_TIMEOUT} if slow else {}))
    feed.fail_next(fault, day=SYNTHETIC_DAY)

    report = await poller.poll_now()
    assert report.error is not None and says in report.error
    assert one_sentence(report.error)
    [state] = poller.source_states()
    assert state.error_count == 1 and state.last_error == report.error and state.last_error_at is not None
    assert [e.data["error"] for e in bus.since(0) if e.type == "poll.error"] == [report.error]
    assert len(store) == 0

    good = await poller.poll_now()
    assert good.error is None
    [state] = poller.source_states()
    assert (state.error_count, state.last_error) == (0, None)
    assert set(good.new) == FIXTURE_IDS and len(store) == 53


async def test_a_failed_page_keeps_the_pages_before_it_and_the_retry_adds_the_rest(
    feed: FeedServer, store: Store, make_poller: MakePoller
) -> None:
    poller = make_poller(page_size=20)
    feed.fail_next(Fault.http(502), day=SYNTHETIC_DAY, page=1)
    first = await poller.poll_now()
    assert first.error == f"127.0.0.1:{feed.port} answered 502 Bad Gateway for 2025-07-31 (page 2)."
    assert len(first.new) == 20 and len(store) == 20
    # the other day was still asked for: a bad answer for one day does not stop the others
    assert YESTERDAY in feed.days_requested()

    second = await poller.poll_now()
    assert second.error is None
    assert len(second.new) == 33 and not set(first.new) & set(second.new)
    assert len(store) == 53


@pytest.mark.parametrize(
    ("make_fault", "wait"),
    [
        pytest.param(lambda: Fault.retry_after(3600), 3600, id="retry-after-seconds"),
        pytest.param(lambda: Fault.rate_limit(1800), 1800, id="ratelimit-t"),
        pytest.param(lambda: Fault.retry_after(600, status=503), 600, id="503-retry-after"),
        # an HTTP date is read against the real clock and has whole seconds: allow for both
        pytest.param(lambda: Fault.retry_after(datetime.now(UTC) + timedelta(seconds=1202)), 1190, id="http-date"),
    ],
)
async def test_rate_limits_postpone_the_next_poll_and_no_request_is_sent_meanwhile(
    feed: FeedServer, clock: Clock, make_poller: MakePoller, make_fault: Callable[[], Fault], wait: int
) -> None:
    poller = make_poller(retry_base=1.0)
    feed.fail_next(make_fault(), day=SYNTHETIC_DAY)
    report = await poller.poll_now()
    assert report.error is not None and one_sentence(report.error)
    assert "will wait" in report.error
    assert len(feed.requests) == 1  # the other day was not asked for while rate limited
    [state] = poller.source_states()
    assert state.next_poll_at is not None
    assert state.next_poll_at >= (clock.now() + timedelta(seconds=wait)).isoformat()[:19]

    asked = len(feed.requests)
    again = await poller.poll_now()
    assert len(feed.requests) == asked  # papertray kept its word: nothing sent before the wait is over
    assert again.error is not None and "asked papertray to slow down" in again.error
    assert poller.source_states()[0].error_count == 2


async def test_the_rate_limit_wait_ends_and_polling_resumes(
    feed: FeedServer, store: Store, make_poller: MakePoller
) -> None:
    poller = make_poller()
    feed.fail_next(Fault.rate_limit(1), day=SYNTHETIC_DAY)
    assert (await poller.poll_now()).error is not None
    await asyncio.sleep(1.05)  # the one-second wait the server asked for
    report = await poller.poll_now()
    assert report.error is None and len(store) == 53


async def test_a_body_at_the_real_20_mb_cap_is_refused(feed: FeedServer, make_poller: MakePoller) -> None:
    poller = make_poller(timeout=30.0)
    feed.fail_next(Fault.oversized(MAX_BODY_BYTES + 1024 * 1024), day=SYNTHETIC_DAY)
    report = await poller.poll_now()
    assert report.error is not None and "sent more than 20 MB for 2025-07-31" in report.error


async def test_connection_refused_then_the_server_comes_back(
    feed: FeedServer, store: Store, make_poller: MakePoller
) -> None:
    poller = make_poller()
    await feed.stop()
    report = await poller.poll_now()
    assert report.error == f"Cannot reach 127.0.0.1:{feed.port} for 2025-07-31 (connection refused)."
    assert poller.source_states()[0].error_count == 1

    await feed.start()
    good = await poller.poll_now()
    assert good.error is None and len(store) == 53
    assert poller.source_states()[0].error_count == 0


async def test_a_new_url_from_a_config_reload_is_used_on_the_next_poll(
    feed: FeedServer, store: Store, make_poller: MakePoller, settings: poller_env.Settings
) -> None:
    from tests.conftest import free_port

    settings.set(hf_url=f"http://127.0.0.1:{free_port()}")
    poller = make_poller()
    assert "connection refused" in ((await poller.poll_now()).error or "")
    settings.set(hf_url=feed.url)
    assert (await poller.poll_now()).error is None and len(store) == 53


async def test_missing_and_unknown_fields_duplicates_and_an_empty_day(
    feed: FeedServer, store: Store, make_poller: MakePoller
) -> None:
    day = SYNTHETIC_DAY
    good = make_day(day, 3)
    bare = {"paper": {"id": "2507.07777"}, "somethingNew": True}
    junk = [{"paper": {"title": "no id"}}, "nonsense", {"paper": {"id": "not an id"}}]
    duplicate = make_entry(good[0]["paper"]["id"], day, upvotes=99)
    versioned = {"paper": {"id": good[1]["paper"]["id"] + "v2"}}
    feed.days = {day: [*good, bare, *junk, duplicate, versioned], YESTERDAY: []}

    report = await make_poller().poll_now()
    assert report.error is None
    assert report.skipped == 3
    assert report.fetched == 4  # three generated papers plus the bare one, each once
    assert len(store) == 4
    assert store.get_paper(good[0]["paper"]["id"]).upvotes == 99  # type: ignore[union-attr]
    assert store.get_paper(good[1]["paper"]["id"]).version == 2  # type: ignore[union-attr]
    bare_paper = store.get_paper("2507.07777")
    assert bare_paper is not None and bare_paper.daily_date == day


async def test_a_paper_listed_on_two_days_is_one_record_on_its_first_day(
    feed: FeedServer, store: Store, make_poller: MakePoller
) -> None:
    entries = make_day(YESTERDAY, 2)
    # the same paper shows again today with more upvotes (HF relists late or trending papers)
    again = make_entry(entries[0]["paper"]["id"], YESTERDAY, upvotes=50)
    feed.days = {YESTERDAY: entries, SYNTHETIC_DAY: [again]}
    report = await make_poller().poll_now()
    assert report.fetched == 2 and len(report.new) == 2 and len(store) == 2
    paper = store.get_paper(entries[0]["paper"]["id"])
    assert paper is not None and paper.daily_date == YESTERDAY and paper.upvotes == 50


async def test_conditional_get_reuses_the_cached_answer_on_304(feed: FeedServer, make_poller: MakePoller) -> None:
    feed.etags = True
    poller = make_poller()
    await poller.poll_now()
    report = await poller.poll_now()
    second = feed.requests[2:]
    assert second and all("If-None-Match" in r.headers for r in second)
    assert {r.status for r in second} == {304}
    assert (report.error, report.fetched, report.new) == (None, 53, ())


async def test_requests_are_one_at_a_time_and_spaced(feed: FeedServer, make_poller: MakePoller) -> None:
    poller = make_poller(page_size=20, min_spacing=0.05)
    reports = await asyncio.gather(
        poller.poll_now(), poller.poll_now([YESTERDAY]), poller.poll_now(), poller.poll_now([SYNTHETIC_DAY])
    )
    assert all(r.error is None for r in reports)
    assert feed.max_in_flight == 1
    # server-side times: each request arrived at least the spacing after the server finished the one before
    gaps = [later.started - (earlier.finished or 0) for earlier, later in itertools.pairwise(feed.requests)]
    assert all(gap >= 0.05 for gap in gaps), gaps


async def test_simultaneous_normal_polls_share_one_poll(feed: FeedServer, make_poller: MakePoller) -> None:
    poller = make_poller(page_size=20)
    first, second = await asyncio.gather(poller.poll_now(), poller.poll_now())
    assert first is second
    assert len(feed.requests) == 4  # one poll's worth: three pages of today and one of yesterday


async def test_a_caller_that_goes_away_does_not_cut_the_poll_short(
    feed: FeedServer, store: Store, make_poller: MakePoller
) -> None:
    poller = make_poller(page_size=20, min_spacing=0.05)
    caller = asyncio.ensure_future(poller.poll_now())
    await poller_env.until(lambda: len(feed.requests) >= 1)
    caller.cancel()
    report = await poller.poll_now()  # joins the poll still running
    assert report.error is None and len(store) == 53


async def test_explicit_days_poll_exactly_those_days(feed: FeedServer, make_poller: MakePoller) -> None:
    poller = make_poller()
    report = await poller.poll_now(["2025-07-20", "2025-07-21", "2025-07-20"])
    assert report.days == ("2025-07-20", "2025-07-21")
    assert feed.days_requested() == ["2025-07-20", "2025-07-21"]
    for bad in ("2025-13-40", "yesterday", "2025-7-1"):
        with pytest.raises(ValueError, match="is not a day written like 2025-07-31"):
            await poller.poll_now([bad])
    with pytest.raises(ValueError, match="is in the future"):
        await poller.poll_now([shift(SYNTHETIC_DAY, 1)])


async def test_a_poll_queued_behind_a_rate_limit_does_not_send_either(
    feed: FeedServer, make_poller: MakePoller
) -> None:
    poller = make_poller()
    feed.fail_next(Fault.rate_limit(600))
    first, queued = await asyncio.gather(poller.poll_now([SYNTHETIC_DAY]), poller.poll_now([YESTERDAY]))
    assert len(feed.requests) == 1
    assert first.error is not None and "429" in first.error
    assert queued.error is not None and "asked papertray to slow down" in queued.error
