"""The daemon's side of the tray: what it shows, taken from the store and the daemon's parts (`snapshot`), and
kept current on every relevant bus event (`follow`). Runs in the daemon's loop; `tray.py` draws on the main
thread, and the two meet only through the `TrayBridge`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from papertray.events import EventBus
from papertray.models import SourceState, State
from papertray.store import Store
from papertray.timestamps import utc_now
from papertray.tray import NEW_TODAY_LIMIT, TrayBridge, TrayPaper, TrayState
from papertray.tray_sources import tray_sources

# Events only, no timer: an idle tray costs no wake-ups (the Sources submenu says clock times for that reason).
# digest.checked: a digest that failed to send (or was sent after all) changes the problems shown.
FOLLOWED = (
    "paper.new",
    "paper.state",
    "poll.started",
    "poll.done",
    "poll.error",
    "config.reloaded",
    "config.error",
    "digest.checked",
)


def snapshot(
    store: Store,
    *,
    source_states: Callable[[], Sequence[SourceState]] = list,
    paused: Callable[[], bool] = lambda: False,
    problems: Callable[[], Sequence[str]] = list,
    last_poll: Callable[[], str] = str,
    has_rules: Callable[[], bool] = lambda: True,
    mcp_writes: Callable[[], bool] = lambda: False,
    now: Callable[[], datetime] = utc_now,
) -> TrayState:
    """The tray's state from the store and the daemon's parts: "new today" and "unseen" (`Store.new_counts`, the
    numbers every surface shows), the top five of today's new papers by upvotes, every source with how it goes
    and every failing one or current problem, and the MCP setting."""
    counts = store.new_counts()
    new = store.query(state=State.NEW, since=counts.day, include_dismissed=False) if counts.day else []
    top = sorted(new, key=lambda v: -v.upvotes)[:NEW_TODAY_LIMIT]
    states = source_states()
    failing = [f"{s.name}: {s.last_error}" for s in states if s.error_count and s.last_error]
    return TrayState(
        new_count=counts.today,
        unseen=counts.unseen,
        new_today=tuple(TrayPaper(v.id, v.paper.title if v.paper else v.id) for v in top),
        failing=tuple(failing) + tuple(problems()),
        sources=tray_sources(states, now()),  # `now` says which times are today's
        paused=paused(),
        last_poll=last_poll(),
        has_rules=has_rules(),
        mcp_writes=mcp_writes(),
    )


async def follow(bridge: TrayBridge, bus: EventBus, state: Callable[[], TrayState], settle: float = 0.2) -> None:
    """Publish a fresh state now and after relevant bus events, one per burst (`settle` seconds). Run as a task."""
    last: TrayState | None = None
    dirty = asyncio.Event()

    def push() -> None:
        nonlocal last
        current = state()
        if current != last:
            bridge.publish(current)
            last = current

    async def pump() -> None:
        while True:
            await dirty.wait()
            await asyncio.sleep(settle)  # a poll brings a burst of events: redraw once for all of them
            dirty.clear()
            push()

    push()
    pumping = asyncio.create_task(pump())
    events = bus.subscribe()
    try:
        async for event in events:
            if event.type in FOLLOWED:
                dirty.set()
    finally:
        pumping.cancel()
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
