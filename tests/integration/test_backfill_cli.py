"""`papertray backfill` against the real daemon (item 21): offline it stops at the first day with one sentence
and an honest summary, and a backfill's failures leave the regular schedule as it was."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.daemon import DaemonProcess, run_cli
from tests.support.feed_server import SYNTHETIC_DAY, Fault, FeedServer, make_day, shift

UNREACHABLE = "http://127.0.0.1:1"  # connection refused at once, as offline


def _source(daemon: DaemonProcess) -> dict[str, Any]:
    status, body = daemon.get("status")
    assert status == 200
    return dict(body["sources"][0])


def test_u21_offline_backfill_stops_at_the_first_day_and_leaves_the_schedule_alone(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with DaemonProcess(home, PAPERTRAY_HF_URL=UNREACHABLE, PAPERTRAY_ARXIV_URL=UNREACHABLE) as daemon:
        before = daemon.after_first_poll()
        assert before["error_count"] == 1
        since = (datetime.now(UTC).date() - timedelta(days=11)).isoformat()
        result = run_cli(home, "backfill", "--since", since, env=daemon.env)
        after = _source(daemon)
        restarted_env = daemon.env
    assert result.returncode == 1
    assert "Backfilled 0 of 12 days: 0 entries, 0 new papers." in result.stdout
    stopped = [line for line in result.stderr.splitlines() if line.startswith(("Stopped", "Failed"))]
    assert len(stopped) == 1, result.stderr
    assert stopped[0].startswith(f"Stopped at {since}: Cannot reach 127.0.0.1")
    assert "The 12 days from" in stopped[0]
    # the regular poll is still due when it was, with one error in a row: the backfill's are not counted
    assert after["error_count"] == 1
    assert after["next_poll_at"] == before["next_poll_at"]

    with DaemonProcess(home, **{k: restarted_env[k] for k in ("PAPERTRAY_HF_URL", "PAPERTRAY_ARXIV_URL")}) as again:
        assert _source(again)["next_poll_at"] == before["next_poll_at"]


async def test_u21_failed_backfill_days_are_listed_and_the_rest_fetched(tmp_path: Path) -> None:
    feed = FeedServer()
    await feed.start()
    try:
        days = [shift(SYNTHETIC_DAY, i) for i in range(3)]
        for day in days:
            feed.days[day] = make_day(day, 2)
        feed.fail_day(days[1], Fault.http(502))
        home = tmp_path / "home"
        with DaemonProcess(home, PAPERTRAY_HF_URL=feed.url, PAPERTRAY_ARXIV_URL=UNREACHABLE) as daemon:
            before = await asyncio.to_thread(daemon.after_first_poll)
            args = ("backfill", "--since", days[0], "--until", days[2])
            result = await asyncio.to_thread(run_cli, home, *args, env=daemon.env)
            after = _source(daemon)
    finally:
        await feed.stop()
    assert result.returncode == 1
    assert "Backfilled 2 of 3 days: 4 entries, 4 new papers." in result.stdout
    assert [line for line in result.stderr.splitlines() if line.startswith("Failed")] == [
        line for line in result.stderr.splitlines() if line.startswith(f"Failed {days[1]}: ")
    ]
    assert after["error_count"] == before["error_count"]
    assert after["next_poll_at"] == before["next_poll_at"]
