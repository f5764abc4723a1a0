"""The real daemon with `[arxiv] categories` (issue 13 item 5): the arXiv source is polled at start from the one
base PAPERTRAY_ARXIV_URL names, and shown in `status --json`, `status` and `papertray poll` beside Hugging Face's."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from tests.support.arxiv_server import ArxivServer, Item
from tests.support.daemon import DaemonProcess, run_cli
from tests.support.feed_server import FeedServer, make_day

TODAY = time.strftime("%Y-%m-%d", time.gmtime())


def arxiv_state(daemon: DaemonProcess, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _status, body = daemon.get("status")
        found = [s for s in body["sources"] if s["name"] == "arxiv"]
        if found and found[0]["last_poll_at"] and not found[0]["polling"]:
            return dict(found[0])
        time.sleep(0.1)
    raise AssertionError("the arXiv source was never polled")


async def test_i13_5_the_daemon_follows_arxiv_categories_and_status_lists_every_source(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[arxiv]\ncategories = ["cs.LG", "cs.CL"]\n')
    async with ArxivServer() as arxiv, FeedServer(days={TODAY: make_day(TODAY, 2)}) as hf:
        arxiv.announce("2026-12-01", [Item("2611.00001"), Item("2611.00002", kind="cross", categories=("cs.CL",))])
        daemon = DaemonProcess(home, PAPERTRAY_HF_URL=hf.url, PAPERTRAY_ARXIV_URL=arxiv.url)
        await asyncio.to_thread(daemon.start)
        try:
            state = await asyncio.to_thread(arxiv_state, daemon)
            assert state["error_count"] == 0 and state["last_success_at"] and state["next_poll_at"]
            assert state["extra"]["categories"] == ["cs.LG", "cs.CL"]
            assert [r.path for r in arxiv.listing_requests()] == ["/rss/cs.LG+cs.CL"]

            listed = await asyncio.to_thread(run_cli, home, "status", "--json", env=daemon.env)
            names = [s["name"] for s in json.loads(listed.stdout)["sources"]]
            assert names == ["hf", "arxiv"]
            text = await asyncio.to_thread(run_cli, home, "status", env=daemon.env)
            assert "arxiv  ok (cs.LG, cs.CL)" in text.stdout

            polled = await asyncio.to_thread(run_cli, home, "poll", env=daemon.env)
            assert polled.returncode == 0, polled.stdout + polled.stderr
            assert "arxiv: Nothing new since the last poll (the listing is unchanged)." in polled.stdout
            assert arxiv.listing_requests()[-1].status == 304
            doctor = await asyncio.to_thread(run_cli, home, "doctor", "--json", env=daemon.env)
            found = {c["name"]: c for c in json.loads(doctor.stdout) if c["name"].startswith("source ")}
            assert sorted(found) == ["source arxiv", "source hf"] and found["source arxiv"]["ok"]
            assert (
                "last success 20" in found["source arxiv"]["detail"]
                and "0 errors in a row" in found["source arxiv"]["detail"]
            )

            status, paper = daemon.get("papers/2611.00002")
            assert status == 200 and paper["sources"] == ["arxiv:cs.CL"], paper
        finally:
            await asyncio.to_thread(daemon.stop)


async def test_i13_1_categories_added_by_a_config_edit_are_followed_without_a_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("[arxiv]\ncategories = []\n")
    async with ArxivServer() as arxiv, FeedServer(days={TODAY: make_day(TODAY, 1)}) as hf:
        arxiv.announce("2026-12-01", [Item("2611.00001", categories=("math.OC",))])
        daemon = DaemonProcess(home, PAPERTRAY_HF_URL=hf.url, PAPERTRAY_ARXIV_URL=arxiv.url)
        await asyncio.to_thread(daemon.start)
        try:
            await asyncio.to_thread(daemon.after_first_poll)
            _status, body = daemon.get("status")
            assert [s["name"] for s in body["sources"]] == ["hf"] and arxiv.requests == []
            (home / "config.toml").write_text('[arxiv]\ncategories = ["math"]\n')
            state = await asyncio.to_thread(arxiv_state, daemon)
            assert state["error_count"] == 0 and state["extra"]["categories"] == ["math"]
            assert [r.path for r in arxiv.listing_requests()] == ["/rss/math"]
        finally:
            await asyncio.to_thread(daemon.stop)
