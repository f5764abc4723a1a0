"""The tray's "Sources" submenu: every source papertray follows (Hugging Face's daily list, the arXiv listing of
the followed categories, the optional weekly, monthly and trending lists), each with its last success, next
poll, errors in a row and last error, from the same `SourceState`s `papertray status` and `doctor` show.

Times are clock times ("14:02", "30 Nov 09:00"), never "5 min ago": a relative time would need a timer to stay
true, and the tray redraws only when something happens (a poll starts or ends, a config reload).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from papertray.models import SourceState
from papertray.safe_text import one_line
from papertray.timestamps import parse_iso, utc_now
from papertray.wording import counted

ERROR_CHARS = 90  # a menu line wider than this pushes the whole menu across the screen

NAMES = {
    "hf": "Hugging Face daily papers",
    "hf:week": "Hugging Face weekly list",
    "hf:month": "Hugging Face monthly list",
    "hf:trending": "Hugging Face trending",
    "arxiv": "arXiv",
}


@dataclass(frozen=True, slots=True)
class TraySource:
    """One source in the menu: its heading ("arXiv cs.LG, cs.CL — ok") and the lines under it."""

    title: str
    lines: tuple[str, ...]


def clock(stamp: str | None, now: datetime) -> str:
    """A moment in local time: the time alone today, with the day otherwise; "never" when there is none."""
    if not stamp:
        return "never"
    try:
        when = parse_iso(stamp).astimezone()
    except ValueError:
        return one_line(stamp)
    if when.date() == now.astimezone().date():
        return when.strftime("%H:%M")
    return f"{when.day} {when.strftime('%b %H:%M')}"


def tray_source(state: SourceState, now: datetime) -> TraySource:
    name = NAMES.get(state.name, state.name)
    categories = state.extra.get("categories") if isinstance(state.extra, dict) else None
    if isinstance(categories, list) and categories:
        name = f"{name} {', '.join(map(str, categories))}"
    if state.polling:
        health = "polling now"
    elif state.error_count:
        health = "failing"
    else:
        health = "ok" if state.last_success_at else "not polled yet"
    lines = [
        f"last success {clock(state.last_success_at, now)} · next poll {clock(state.next_poll_at, now)}"
        f" · {counted(state.error_count, 'error')} in a row"
    ]
    if state.error_count and state.last_error:
        error = one_line(state.last_error)
        lines.append("last error: " + (error if len(error) <= ERROR_CHARS else error[: ERROR_CHARS - 1] + "…"))
    return TraySource(one_line(f"{name} — {health}"), tuple(lines))


def tray_sources(states: Sequence[SourceState], now: datetime | None = None) -> tuple[TraySource, ...]:
    moment = now or utc_now()
    return tuple(tray_source(state, moment) for state in states)
