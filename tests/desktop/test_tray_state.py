"""What the tray shows, without a display: the drawn icon, the backend choice, and the state fed from a real
Store and EventBus through `follow()` into the bridge's queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from papertray.events import EventBus
from papertray.models import Paper, SourceState
from papertray.store import Store
from papertray.tray import (
    TrayBridge,
    TrayState,
    backend_limits,
    choose_backend,
    display_problem,
    render_icon,
    tooltip,
)
from papertray.tray_feed import follow, snapshot
from papertray.tray_sources import tray_sources

ORANGE = (234, 88, 12, 255)
RED = (220, 38, 38, 255)


def colours(state: TrayState) -> set[tuple[int, int, int, int]]:
    return {colour for _count, colour in render_icon(state).getcolors(64 * 64)}


def test_icon_shows_a_badge_for_new_papers_and_a_mark_when_failing() -> None:
    assert ORANGE not in colours(TrayState()) and RED not in colours(TrayState())
    assert ORANGE in colours(TrayState(new_count=3))
    assert RED in colours(TrayState(failing=("hf: HTTP 503",)))
    # The number itself is drawn: 3 and 7 give different pictures.
    assert render_icon(TrayState(new_count=3)).tobytes() != render_icon(TrayState(new_count=7)).tobytes()
    assert render_icon(TrayState(), size=22).size == (22, 22)
    assert tooltip(TrayState(new_count=1, paused=True, failing=("hf: down",))) == (
        "papertray — 1 new paper today; notifications paused; hf: down"
    )


def test_backend_choice_is_deliberate() -> None:
    assert choose_backend({"PYSTRAY_BACKEND": "appindicator"}, "linux") == "appindicator"
    assert choose_backend({}, "darwin") == "darwin"
    assert choose_backend({}, "win32") == "win32"
    assert choose_backend({}, "linux") in ("gtk", "xorg")
    assert "no menu" in backend_limits("xorg")
    assert display_problem({}, "linux") == "no display (DISPLAY is not set)"
    assert "Wayland" in (display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") or "")
    assert display_problem({"DISPLAY": ":1"}, "linux") is None
    assert display_problem({}, "darwin") is None


async def test_follow_feeds_the_tray_from_the_store_and_the_bus(tmp_path: Path) -> None:
    bus = EventBus()
    store = Store.open(tmp_path / "data", bus)
    bridge = TrayBridge(
        poll_now=lambda: None,
        toggle_pause=lambda: None,
        pair_code=lambda: "",
        open_reading_list=lambda: None,
        open_config=lambda: None,
        open_paper=lambda _id: None,
        quit=lambda: None,
    )
    today = datetime.now(UTC).date().isoformat()
    failing = [SourceState(name="hf", error_count=2, last_error="HTTP 503")]
    task = asyncio.create_task(
        follow(bridge, bus, lambda: snapshot(store, source_states=lambda: failing, paused=lambda: True), settle=0)
    )
    try:
        first = await asyncio.to_thread(bridge.states.get, True, 5)
        assert first == TrayState(new_count=0, failing=("hf: HTTP 503",), paused=True, sources=tray_sources(failing))
        papers = [Paper(id=f"2511.{n:05d}", title=f"Paper {n}", daily_date=today, upvotes=n) for n in range(1, 8)]
        await store.add_papers([*papers, Paper(id="2401.00001", title="Old", daily_date="2024-01-01")])
        state = await asyncio.to_thread(bridge.states.get, True, 5)
        while not bridge.states.empty():
            state = bridge.states.get_nowait()
        assert state.new_count == 7  # the old day is not "new today"
        assert [p.title for p in state.new_today] == ["Paper 7", "Paper 6", "Paper 5", "Paper 4", "Paper 3"]
        await store.update_state("2511.00007", seen=True)
        state = await asyncio.to_thread(bridge.states.get, True, 5)
        assert state.new_count == 6 and state.new_today[0].title == "Paper 6"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()


def test_i17_1_the_tray_says_when_there_are_no_rules_and_what_the_last_poll_brought() -> None:
    assert tooltip(TrayState(new_count=2, unseen=5, has_rules=False)) == (
        "papertray — 2 new papers today · 5 unseen in all; add your interests to be notified"
    )
    assert "interests" not in tooltip(TrayState(new_count=2, unseen=5))


async def test_i17_1_snapshot_carries_the_last_poll_and_whether_rules_exist(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data", EventBus())
    try:
        state = snapshot(store, last_poll=lambda: "3 new, 2 matched, notified", has_rules=lambda: False)
    finally:
        await store.close()
    assert (state.last_poll, state.has_rules) == ("3 new, 2 matched, notified", False)


async def test_i16_3_the_tray_state_follows_the_mcp_setting_across_a_config_reload(tmp_path: Path) -> None:
    bus = EventBus()
    store = Store.open(tmp_path / "data", bus)
    bridge = TrayBridge(
        poll_now=lambda: None,
        toggle_pause=lambda: None,
        pair_code=lambda: "",
        open_reading_list=lambda: None,
        open_config=lambda: None,
        open_paper=lambda _id: None,
        quit=lambda: None,
    )
    allow = {"writes": False}
    task = asyncio.create_task(
        follow(bridge, bus, lambda: snapshot(store, mcp_writes=lambda: allow["writes"]), settle=0)
    )
    try:
        first = await asyncio.to_thread(bridge.states.get, True, 5)
        assert first.mcp_writes is False
        allow["writes"] = True
        bus.publish("config.reloaded", {})
        state = await asyncio.to_thread(bridge.states.get, True, 5)
        assert state.mcp_writes is True
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()


async def next_state(bridge: TrayBridge) -> TrayState:
    state = await asyncio.to_thread(bridge.states.get, True, 5)
    assert state is not None
    return state


async def test_i13_the_snapshot_lists_every_source_not_only_the_failing_ones_and_follows_each_poll(
    tmp_path: Path,
) -> None:
    bus = EventBus()
    store = Store.open(tmp_path / "data", bus)
    bridge = TrayBridge(
        poll_now=lambda: None,
        toggle_pause=lambda: None,
        pair_code=lambda: "",
        open_reading_list=lambda: None,
        open_config=lambda: None,
        open_paper=lambda _id: None,
        quit=lambda: None,
    )
    states = [
        SourceState(name="hf", last_success_at="2026-12-01T09:00:00Z"),
        SourceState(name="arxiv", extra={"categories": ["cs.LG"]}),
        SourceState(name="hf:week"),
    ]
    task = asyncio.create_task(follow(bridge, bus, lambda: snapshot(store, source_states=lambda: states), settle=0))
    try:
        first = await next_state(bridge)
        assert first.failing == ()  # nothing is failing, so the old tray showed no source at all
        titles = [s.title for s in first.sources]
        assert titles == [
            "Hugging Face daily papers — ok",
            "arXiv cs.LG — not polled yet",
            "Hugging Face weekly list — not polled yet",
        ]
        # A poll starts and fails: the tray follows on the events alone (no timer).
        states[1] = SourceState(name="arxiv", polling=True, extra={"categories": ["cs.LG"]})
        bus.publish("poll.started", {"source": "arxiv"})
        polling = await next_state(bridge)
        assert polling.sources[1].title == "arXiv cs.LG — polling now"
        states[1] = SourceState(
            name="arxiv", error_count=1, last_error="The listing was HTML.", extra={"categories": ["cs.LG"]}
        )
        bus.publish("poll.error", {"source": "arxiv"})
        failed = await next_state(bridge)
        assert failed.sources[1].title == "arXiv cs.LG — failing"
        assert failed.sources[1].lines[-1] == "last error: The listing was HTML."
        assert "1 error in a row" in failed.sources[1].lines[0]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()
