"""A source's state as the store keeps it between runs (`SourceState` plus the last day fetched whole), read back
with care: a field of the wrong type or shape becomes "unknown", never a crash at start."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from papertray.models import SourceState


def parse_day(text: str) -> date:
    """A `YYYY-MM-DD` day; ValueError with one sentence otherwise."""
    try:
        if not isinstance(text, str) or len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a day written like 2025-07-31.") from None


def state_record(state: SourceState, last_full_day: date | None) -> dict[str, Any]:
    """What the store keeps: the state as it will be after a restart (not polling) and the last full day."""
    return {
        "state": replace(state, polling=False).to_dict(),
        "last_full_day": last_full_day.isoformat() if last_full_day else None,
    }


def read_state(saved: Any, name: str) -> tuple[SourceState, date | None]:
    """The state and last full day `state_record` wrote, from whatever the store holds under the source's key."""
    if not isinstance(saved, dict):
        return SourceState(name=name), None
    raw: dict[str, Any] = saved["state"] if isinstance(saved.get("state"), dict) else {}

    def text(key: str) -> str | None:
        value = raw.get(key)
        return value if isinstance(value, str) and value else None

    def number(key: str) -> int:
        value = raw.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

    last_full: date | None = None
    if isinstance(saved.get("last_full_day"), str):
        try:
            last_full = parse_day(saved["last_full_day"])
        except ValueError:
            last_full = None
    state = SourceState(
        name=name,
        last_poll_at=text("last_poll_at"),
        last_success_at=text("last_success_at"),
        next_poll_at=text("next_poll_at"),
        error_count=number("error_count"),
        last_error=text("last_error"),
        last_error_at=text("last_error_at"),
        papers_last_poll=number("papers_last_poll"),
        skipped_entries=number("skipped_entries"),
        polling=False,
        extra=dict(raw["extra"]) if isinstance(raw.get("extra"), dict) else {},
    )
    return state, last_full
