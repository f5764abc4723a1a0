"""Backoff, jitter and the server-requested waits (Retry-After, RateLimit) as numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from papertray.backoff import BACKOFF_CAP_SECONDS, RETRY_BASE_SECONDS, backoff_delay, jittered
from papertray.sources.guard import host_label
from papertray.sources.politeness import parse_ratelimit_reset, parse_retry_after


def test_no_errors_no_backoff() -> None:
    assert backoff_delay(0) == 0.0


@pytest.mark.parametrize("errors", [1, 2, 3, 4, 5, 8])
def test_the_ceiling_doubles_with_each_error_and_the_delay_stays_in_its_upper_half(errors: int) -> None:
    ceiling = RETRY_BASE_SECONDS * 2 ** (errors - 1)
    assert backoff_delay(errors, rand=lambda: 0.0) == ceiling / 2
    assert backoff_delay(errors, rand=lambda: 1.0) == ceiling
    assert ceiling / 2 <= backoff_delay(errors) <= ceiling


def test_backoff_grows_until_the_six_hour_cap_and_never_passes_it() -> None:
    highs = [backoff_delay(n, rand=lambda: 1.0) for n in range(1, 40)]
    assert highs == sorted(highs)
    assert max(highs) == BACKOFF_CAP_SECONDS == 6 * 3600
    assert backoff_delay(10_000, rand=lambda: 1.0) == BACKOFF_CAP_SECONDS
    # jitter still applies at the cap, so many clients do not retry in step
    assert backoff_delay(10_000, rand=lambda: 0.0) == BACKOFF_CAP_SECONDS / 2


def test_base_and_cap_are_parameters() -> None:
    assert backoff_delay(3, base=0.1, cap=10, rand=lambda: 1.0) == pytest.approx(0.4)
    assert backoff_delay(30, base=0.1, cap=10, rand=lambda: 1.0) == 10


def test_the_interval_jitter_is_ten_percent_either_way() -> None:
    assert jittered(1800, rand=lambda: 0.0) == pytest.approx(1620)
    assert jittered(1800, rand=lambda: 1.0) == pytest.approx(1980)
    assert jittered(1800, rand=lambda: 0.5) == pytest.approx(1800)


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    now = datetime(2025, 7, 31, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120
    assert parse_retry_after(" 7 ", now=now) == 7
    assert parse_retry_after(format_datetime(now + timedelta(minutes=5), usegmt=True), now=now) == 300
    assert parse_retry_after("Thu, 31 Jul 2025 11:00:00 GMT", now=now) == 0  # already past: no wait
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("", now=now) is None
    assert parse_retry_after(None, now=now) is None


def test_ratelimit_header_reset_seconds() -> None:
    assert parse_ratelimit_reset('"api";r=0;t=42') == 42
    assert parse_ratelimit_reset('"pages";r=0;t=7, "api";r=10;t=99') == 99
    assert parse_ratelimit_reset('"api";r=0') is None
    assert parse_ratelimit_reset(None) is None


def test_host_label_names_the_host_a_user_knows() -> None:
    assert host_label("https://huggingface.co/api/daily_papers?date=2025-07-31") == "huggingface.co"
    assert host_label("http://127.0.0.1:8123/api/daily_papers") == "127.0.0.1:8123"
    assert host_label("https://huggingface.co:443/x") == "huggingface.co"
