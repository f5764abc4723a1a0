"""The core loop end to end: `papertray run --no-tray` as a subprocess against a fixture Daily Papers server,
driven through the real CLI (`poll`, `list`, `status`, `save`), across restarts."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.integration.conftest import TODAY
from tests.support.daemon import DaemonProcess, daemon_env, run_cli
from tests.support.feed_server import Fault, FeedServer, load_fixture_day

SYNTHETIC_IDS = sorted(entry["paper"]["id"] for entry in load_fixture_day())


@pytest.fixture
async def daemon(tmp_path: Path, today_feed: FeedServer) -> AsyncIterator[DaemonProcess]:
    process = DaemonProcess(tmp_path / "home", PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(process.start)
    yield process
    await asyncio.to_thread(process.stop)


async def cli(daemon: DaemonProcess, *args: str) -> Any:
    result = await asyncio.to_thread(run_cli, daemon.home, *args, env=daemon.env)
    return result


async def list_ids(daemon: DaemonProcess, *extra: str) -> list[str]:
    result = await cli(daemon, "list", "--json", *extra)
    assert result.returncode == 0, result.stderr
    return sorted(paper["id"] for paper in json.loads(result.stdout))


async def test_poll_then_list_shows_the_seed_day_and_a_restart_keeps_it(daemon: DaemonProcess) -> None:
    polled = await cli(daemon, "poll")
    assert polled.returncode == 0, polled.stdout + polled.stderr
    assert TODAY in polled.stdout

    assert await list_ids(daemon) == SYNTHETIC_IDS  # 53 papers, no duplicates
    assert await list_ids(daemon, "--state", "new") == SYNTHETIC_IDS

    await asyncio.to_thread(daemon.stop)
    await asyncio.to_thread(daemon.start)
    assert await list_ids(daemon) == SYNTHETIC_IDS


async def test_list_shows_titles_unwrapped(daemon: DaemonProcess) -> None:
    await cli(daemon, "poll")
    result = await cli(daemon, "list", "--json")
    papers = {p["id"]: p for p in json.loads(result.stdout)}
    first = load_fixture_day()[0]
    assert papers[first["paper"]["id"]]["title"] == " ".join(first["paper"]["title"].split())


async def test_save_from_any_id_form_and_unsave(daemon: DaemonProcess) -> None:
    await cli(daemon, "poll")
    paper_id = SYNTHETIC_IDS[0]
    saved = await cli(daemon, "save", f"https://arxiv.org/abs/{paper_id}v2")
    assert saved.returncode == 0, saved.stderr
    entry = next(e for e in load_fixture_day() if e["paper"]["id"] == paper_id)
    assert saved.stdout.strip() == f"Saved {paper_id}: {' '.join(entry['paper']['title'].split())}"
    unknown = await cli(daemon, "save", "2401.00001")  # not in any feed papertray has seen
    assert unknown.stdout.strip() == "Saved 2401.00001; its title and PDF follow once papertray has fetched them."
    assert (await cli(daemon, "unsave", "2401.00001")).returncode == 0
    assert await list_ids(daemon, "--state", "saved") == [paper_id]

    # The save is durable: it survives a crash of the daemon right after the acknowledgement.
    await asyncio.to_thread(daemon.kill)
    await asyncio.to_thread(daemon.start)
    assert await list_ids(daemon, "--state", "saved") == [paper_id]

    unsaved = await cli(daemon, "unsave", paper_id)
    assert unsaved.returncode == 0
    assert await list_ids(daemon, "--state", "saved") == []


async def test_save_rejects_what_is_not_a_paper_id(daemon: DaemonProcess) -> None:
    result = await cli(daemon, "save", "not a paper")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: 'not a paper' is not an arXiv id")


async def test_status_shows_a_failing_feed_and_the_next_good_poll_clears_it(
    daemon: DaemonProcess, today_feed: FeedServer
) -> None:
    await cli(daemon, "poll")
    today_feed.fail_day(TODAY, Fault.http(502))
    failed = await cli(daemon, "poll")
    assert failed.returncode == 1
    assert "502" in failed.stdout

    status = json.loads((await cli(daemon, "status", "--json")).stdout)
    source = status["sources"][0]
    assert source["error_count"] >= 1
    assert "502" in source["last_error"]
    human = await cli(daemon, "status")
    assert "failing" in human.stdout and "502" in human.stdout

    today_feed.heal()
    healed = await cli(daemon, "poll")
    assert healed.returncode == 0, healed.stdout
    status = json.loads((await cli(daemon, "status", "--json")).stdout)
    assert status["sources"][0]["error_count"] == 0
    assert status["sources"][0]["last_error"] is None
    assert await list_ids(daemon) == SYNTHETIC_IDS  # nothing lost, nothing doubled


async def test_a_second_daemon_for_the_same_home_is_refused(daemon: DaemonProcess) -> None:
    second = await asyncio.to_thread(run_cli, daemon.home, "run", "--no-tray", env=daemon.env, timeout=60)
    assert second.returncode == 1
    assert f"pid {daemon.proc.pid}" in second.stderr  # type: ignore[union-attr]
    assert f"port {daemon.port}" in second.stderr


async def test_sigterm_releases_the_port_and_removes_daemon_json(daemon: DaemonProcess) -> None:
    port = daemon.port
    assert await asyncio.to_thread(daemon.stop) == 0
    assert not (daemon.home / "state" / "daemon.json").exists()
    with socket.socket() as sock:
        # As a server binds: SO_REUSEADDR passes over TIME_WAIT remnants but never over a live listener.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))  # free again
    result = await asyncio.to_thread(run_cli, daemon.home, "status", env=daemon.env)
    assert result.returncode == 1
    assert "not running" in result.stderr


def test_first_run_creates_the_config_and_says_where_things_live(tmp_path: Path) -> None:
    process = DaemonProcess(tmp_path / "fresh", PAPERTRAY_HF_URL="http://127.0.0.1:9")
    process.start()
    try:
        output = process.output()
        assert (tmp_path / "fresh" / "config.toml").exists()
        assert f"Created {tmp_path / 'fresh' / 'config.toml'}" in output
        assert "papertray pair" in output
    finally:
        process.stop()


def test_an_invalid_config_stops_the_start_with_one_sentence(tmp_path: Path) -> None:
    home = tmp_path / "bad"
    home.mkdir()
    (home / "config.toml").write_text("[poll]\ninterval_minutes = 1\n")
    result = run_cli(home, "run", "--no-tray", env=daemon_env(home))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: {home / 'config.toml'}, line 2: [poll] 'interval_minutes' must be at least 5."
    )


def test_commands_other_than_run_say_when_papertray_is_not_running(tmp_path: Path) -> None:
    for args in (["status"], ["poll"], ["list"], ["save", "2307.12345"]):
        result = run_cli(tmp_path, *args, env=daemon_env(tmp_path / "none"))
        assert result.returncode == 1, args
        assert "papertray is not running (start it with `papertray run`)" in result.stderr, args


async def test_backfill_fetches_past_days_with_progress(daemon: DaemonProcess, today_feed: FeedServer) -> None:
    first = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    result = await cli(daemon, "backfill", "--since", first)
    assert result.returncode == 0, result.stderr
    assert "Backfilled 4 days" in result.stdout
    assert "backfill" in result.stderr  # the progress bar
    assert {first, TODAY} <= set(today_feed.days_requested())


def test_a_new_port_in_the_config_is_reported_until_the_restart_that_applies_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    first, second = free_port(), free_port()
    (home / "config.toml").write_text(f"[daemon]\nport = {first}\n")
    process = DaemonProcess(home, PAPERTRAY_HF_URL="http://127.0.0.1:9")
    del process.env["PAPERTRAY_PORT"]  # the file decides, as for a user
    process.start()
    try:
        assert process.port == first
        temp = home / ".config.toml.swp~"
        temp.write_text(f"[daemon]\nport = {second}\n")
        temp.replace(home / "config.toml")  # as an editor saves
        expected = (
            f"The port is now {second} in {home / 'config.toml'}; papertray keeps serving on {first} until it "
            "is restarted."
        )
        deadline = time.monotonic() + 15
        while True:
            result = run_cli(home, "status", env=process.env)
            if expected in result.stdout or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert expected in result.stdout, result.stdout
        assert process.get("health")[0] == 200  # still serving where the extension knows to look
    finally:
        process.stop()
    process.start()
    try:
        assert process.port == second
        assert "The port is now" not in run_cli(home, "status", env=process.env).stdout
    finally:
        process.stop()
