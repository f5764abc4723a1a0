"""timestamps.py: the one way papertray writes and reads moments."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from papertray.timestamps import file_stamp, iso_z, now_iso, parse_iso


def test_moments_are_written_in_utc_with_a_z_and_read_back() -> None:
    moment = datetime(2026, 6, 12, 10, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert iso_z(moment) == "2026-06-12T08:30:05Z"
    assert iso_z(moment, "milliseconds") == "2026-06-12T08:30:05.123Z"
    assert parse_iso("2026-06-12T08:30:05.123Z") == datetime(2026, 6, 12, 8, 30, 5, 123000, tzinfo=UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now_iso())
    assert file_stamp(moment) == "20260612T083005Z"
