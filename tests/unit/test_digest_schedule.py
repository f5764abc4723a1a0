"""Issue 15: when a digest is due (daily, weekly on Mondays) and how long a failed one waits to be retried."""

from __future__ import annotations

from datetime import datetime

from papertray.digest.schedule import backoff, latest_slot
from papertray.digest_settings import DigestSettings

DAILY = DigestSettings("daily", "08:00", "a@b.org", "h.org")
WEEKLY = DigestSettings("weekly", "08:00", "a@b.org", "h.org")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone()


def test_15_the_latest_daily_slot_is_today_after_the_time_and_yesterday_before() -> None:
    assert latest_slot(at("2026-03-04T09:00"), DAILY) == at("2026-03-04T08:00")
    assert latest_slot(at("2026-03-04T07:59"), DAILY) == at("2026-03-03T08:00")
    assert latest_slot(at("2026-03-04T08:00"), DAILY) == at("2026-03-04T08:00")


def test_15_a_weekly_digest_is_due_on_mondays() -> None:
    assert latest_slot(at("2026-03-05T09:00"), WEEKLY) == at("2026-03-02T08:00")  # Thursday → Monday
    assert latest_slot(at("2026-03-02T07:00"), WEEKLY) == at("2026-02-23T08:00")  # Monday before the time


def test_15_retries_back_off_from_a_minute_to_an_hour() -> None:
    assert [backoff(n) for n in (1, 2, 3, 7, 20)] == [60.0, 120.0, 240.0, 3600.0, 3600.0]
