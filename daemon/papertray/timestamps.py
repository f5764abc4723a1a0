"""papertray's one way to write and read moments: UTC, ISO 8601 with a `Z` (`2026-06-12T08:30:00.000Z`), as every
file and API answer keeps them, and the compact stamp of file names (`20260612T083000Z`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Precision = Literal["seconds", "milliseconds"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime, timespec: Precision = "seconds") -> str:
    """`moment` in UTC as ISO 8601 with a `Z` (a naive moment is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def now_iso(timespec: Precision = "milliseconds") -> str:
    """Now, as `iso_z` writes it: what the store stamps on every write."""
    return iso_z(utc_now(), timespec)


def parse_iso(text: str) -> datetime:
    """An ISO 8601 moment as papertray writes it (a trailing `Z` is UTC); ValueError when it is not one."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def file_stamp(moment: datetime | None = None) -> str:
    """The compact UTC stamp of file names (`user.json.corrupt-20260612T083000Z`)."""
    return (moment or utc_now()).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
