"""What `papertray run` says in its terminal while it runs: each problem once, and again only when it changes
or clears. Without this, an offline machine failed every poll in the log only, and a broken config edit showed
only in `papertray status`.

Only when stderr is a terminal (cli.py decides): a service manager's journal gets the log, not these lines.
A problem is "the same" when its sentence is the same once the days it names are left out (offline, each poll
names other days).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from papertray.events import EventBus
from papertray.safe_text import one_line
from papertray.timestamps import parse_iso

_DAY = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b(?: \(page [0-9]+\))?")


class TerminalNotices:
    """Turns bus events into lines for `say`; `feed(type, data)` is the whole logic (tests call it directly)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._poll_problem: str | None = None
        self._config_problem: str | None = None

    def feed(self, type: str, data: dict[str, object]) -> None:
        if type == "poll.error":
            error = str(data.get("error") or "")
            key = _DAY.sub("…", error)
            if key != self._poll_problem:
                self._poll_problem = key
                self._emit(f"Polling failed: {error.rstrip('.')}.{_next_try(data.get('next_poll_at'))}")
        elif type == "poll.done" and not data.get("error") and self._poll_problem is not None:
            self._poll_problem = None
            self._emit("Polling works again.")
        elif type == "config.error":
            error = str(data.get("error") or "")
            if error != self._config_problem:
                self._config_problem = error
                self._emit(f"Config edit refused, the previous config stays: {error}")
        elif type == "config.reloaded" and self._config_problem is not None:
            self._config_problem = None
            self._emit(f"Config fixed and applied: {data.get('path', 'config.toml')}")

    def _emit(self, text: str) -> None:
        self._say("papertray: " + one_line(text))  # never let a server's text drive the terminal


def _next_try(value: object) -> str:
    if not isinstance(value, str):
        return ""
    try:
        when = parse_iso(value).astimezone()
    except ValueError:
        return ""
    return f" Next try at {when:%H:%M}."


async def follow(bus: EventBus, say: Callable[[str], None]) -> None:
    """Run until cancelled, from the first event still held (the first poll may already have failed)."""
    notices = TerminalNotices(say)
    async for event in bus.subscribe(0):
        notices.feed(event.type, event.data)
