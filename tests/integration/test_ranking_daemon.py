"""The "for you" ranking in a real daemon (issue 14): it learns from saves and dismissals made through the API,
a later day's order follows them, the ranking survives a restart, and a corrupt model file is set aside and
rebuilt from the signals with a message."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import TODAY
from tests.support.daemon import DaemonProcess, run_cli
from tests.support.feed_server import FeedServer, day_ids, make_entry

YESTERDAY = (date.fromisoformat(TODAY) - timedelta(days=1)).isoformat()
INTERP = "Sparse autoencoders reveal interpretable circuits in transformer language models"
VISION = "Diffusion models for semantic segmentation of street scenes"
OTHER = "Bounds on the chromatic number of sparse random graphs"


def entry(pid: str, day: str, title: str, author: str) -> dict[str, Any]:
    summary = f"{title}. We study this question with new experiments and analysis."
    return make_entry(
        pid, day, title=title, summary=summary, authors=[{"_id": author, "name": author, "hidden": False}]
    )


def days() -> dict[str, list[dict[str, Any]]]:
    past = day_ids(YESTERDAY, 9)
    today = day_ids(TODAY, 3)
    return {
        YESTERDAY: [entry(p, YESTERDAY, f"{INTERP} {i}", "Chris Olah") for i, p in enumerate(past[:3])]
        + [entry(p, YESTERDAY, f"{VISION} {i}", "Vic Vision") for i, p in enumerate(past[3:6])]
        + [entry(p, YESTERDAY, f"{OTHER} {i}", "Gus Graph") for i, p in enumerate(past[6:])],
        TODAY: [
            entry(today[0], TODAY, VISION + " at night", "Vic Vision"),
            entry(today[1], TODAY, OTHER + " again", "Gus Graph"),
            entry(today[2], TODAY, INTERP + " at scale", "Chris Olah"),
        ],
    }


@pytest.fixture
async def feed() -> AsyncIterator[FeedServer]:
    server = FeedServer(days=days())
    await server.start()
    yield server
    await server.stop()


def wait_for(daemon: DaemonProcess, ready: Any, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = daemon.get("rank/status")
        assert status == 200, body
        if ready(body):
            return dict(body)
        time.sleep(0.2)
    raise AssertionError(f"the ranking did not get there: {body}")


def for_you(daemon: DaemonProcess) -> list[dict[str, Any]]:
    status, body = daemon.get(f"rank?since={TODAY}")
    assert status == 200, body
    return list(body["papers"])


async def test_14_a_daemon_learns_from_saves_and_dismissals_and_keeps_it_across_restarts(
    tmp_path: Path, feed: FeedServer
) -> None:
    # The daemon is driven from a thread, so the feed server keeps answering on this test's loop.
    await asyncio.to_thread(scenario, tmp_path, feed)


def scenario(tmp_path: Path, feed: FeedServer) -> None:
    daemon = DaemonProcess(tmp_path / "home", PAPERTRAY_HF_URL=feed.url).start()
    try:
        daemon.after_first_poll()
        assert daemon.get("rank/status")[1]["state"] in ("off", "training")
        status, refused = daemon.get("rank?since=yesterday-ish")
        assert status == 400 and "YYYY-MM-DD" in refused["error"]
        assert for_you(daemon) == []  # nothing learned yet: no "for you" list rather than a made-up one
        past = day_ids(YESTERDAY, 9)
        for pid in past[:3]:
            assert daemon.post(f"papers/{pid}/save")[0] == 200
        for pid in past[3:6]:
            assert daemon.request("PATCH", f"papers/{pid}", {"dismissed": True})[0] == 200
        trained = wait_for(daemon, lambda s: s["trained_at"] is not None)
        assert trained["state"] == "learning" and trained["signals"] == 6
        papers = for_you(daemon)
        today = day_ids(TODAY, 3)
        assert papers[0]["id"] == today[2]  # the interpretability paper, listed last, comes first
        assert papers[-1]["id"] == today[0]  # the dismissed topic sinks to the bottom
        assert papers[0]["rank"] == 1 and papers[0]["why"].startswith("for you: ")
        status, why = daemon.get(f"papers/{today[2]}/why")
        assert status == 200 and why["reasons"] and why["reasons"][0]["weight"] > 0
        status, paper = daemon.get(f"papers/{today[2]}")
        assert status == 200 and paper["why"] == papers[0]["why"] and paper["score"] == papers[0]["score"]
        status, down = daemon.get(f"papers/{today[0]}/why")
        assert min(r["weight"] for r in down["reasons"]) < 0  # what pulled the vision paper down, with its sign

        # the command line says the same
        why_cli = run_cli(daemon.home, "why", today[2], env=daemon.env)
        assert why_cli.returncode == 0 and "score +" in why_cli.stdout and "still learning" in why_cli.stdout
        ranked = run_cli(daemon.home, "list", "--sort", "rank", "--since", TODAY, env=daemon.env)
        assert ranked.returncode == 0 and ranked.stdout.index(today[2]) < ranked.stdout.index(today[0])
        assert "for you: " in ranked.stdout and "learning (6 of 20 signals)" in ranked.stdout
        status_cli = run_cli(daemon.home, "rank", "status", env=daemon.env)
        assert status_cli.returncode == 0 and "learning" in status_cli.stdout
        exported = run_cli(daemon.home, "rank", "export", str(tmp_path / "model.json"), env=daemon.env)
        assert exported.returncode == 0 and json.loads((tmp_path / "model.json").read_text())["features"]
        evaluated = run_cli(daemon.home, "rank", "eval", env=daemon.env)
        assert evaluated.returncode == 0 and "Nothing to evaluate yet" in evaluated.stdout  # all saves are today's
        refused = run_cli(daemon.home, "dismiss", "not-an-id", env=daemon.env)
        assert refused.returncode != 0 and "is not an arXiv id" in refused.stderr

        daemon.stop()
        daemon.start()
        again = daemon.get("rank/status")[1]
        assert again["trained_at"] == trained["trained_at"]  # read back from the data folder, not retrained
        assert [p["id"] for p in for_you(daemon)] == [p["id"] for p in papers]
        dismissed = run_cli(daemon.home, "dismiss", today[2], env=daemon.env)
        assert dismissed.returncode == 0 and "Dismissed" in dismissed.stdout
        wait_for(daemon, lambda s: s["signals"] == 7)
        assert today[2] not in [p["id"] for p in for_you(daemon)]  # a dismissed paper leaves the For you list

        daemon.stop()
        model = tmp_path / "home" / "data" / "rank-model.json"
        model.write_bytes(b'{"format": "papertray-rank", "version": 1, "features": {"w:x": "broken"}}')
        daemon.start()
        rebuilt = wait_for(daemon, lambda s: s["trained_at"] is not None)
        assert rebuilt["signals"] == 7
        assert for_you(daemon)[0]["id"] == today[1]  # the interpretability paper is dismissed now
        assert list(model.parent.glob("rank-model.json.corrupt-*"))  # the damaged file is kept for the user
        assert "set aside" in daemon.output()
    finally:
        daemon.stop()


def many_days() -> dict[str, list[dict[str, Any]]]:
    past, today = day_ids(YESTERDAY, 24), day_ids(TODAY, 10)
    return {
        YESTERDAY: [entry(p, YESTERDAY, f"{INTERP} {i}", "Chris Olah") for i, p in enumerate(past[:12])]
        + [entry(p, YESTERDAY, f"{VISION} {i}", "Vic Vision") for i, p in enumerate(past[12:])],
        TODAY: [entry(p, TODAY, f"{VISION} part {i}", "Vic Vision") for i, p in enumerate(today[:4])]
        + [entry(p, TODAY, f"{OTHER} part {i}", "Gus Graph") for i, p in enumerate(today[4:8])]
        + [entry(p, TODAY, f"{INTERP} part {i}", "Chris Olah") for i, p in enumerate(today[8:])],
    }


async def test_i14_1_lookup_and_papers_answers_carry_rank_why_and_for_you_learned_through_the_api(
    tmp_path: Path,
) -> None:
    server = FeedServer(days=many_days())
    await server.start()
    try:
        await asyncio.to_thread(standing_scenario, tmp_path, server)
    finally:
        await server.stop()


def standing_scenario(tmp_path: Path, feed: FeedServer) -> None:
    daemon = DaemonProcess(tmp_path / "home", PAPERTRAY_HF_URL=feed.url).start()
    past, today = day_ids(YESTERDAY, 24), day_ids(TODAY, 10)
    try:
        daemon.after_first_poll()
        status, answer = daemon.post("lookup", {"ids": today})
        assert status == 200, answer
        for pid in today:  # nothing learned yet: the fields are there, and say nothing
            badge = answer["papers"][pid]
            assert (badge["rank"], badge["why"], badge["for_you"]) == (None, None, False)
        for pid in past[:3]:
            assert daemon.post(f"papers/{pid}/save")[0] == 200
        for pid in past[12:15]:
            assert daemon.request("PATCH", f"papers/{pid}", {"dismissed": True})[0] == 200
        wait_for(daemon, lambda s: s["signals"] == 6 and s["trained_at"] is not None)
        wait_scored = time.monotonic() + 60
        while time.monotonic() < wait_scored:
            badge = daemon.post("lookup", {"ids": [today[9]]})[1]["papers"][today[9]]
            if badge["why"] is not None:
                break
            time.sleep(0.2)
        # learning (6 of 20 signals): the reasons show, the rank and the mark wait for enough signals
        assert badge["why"].startswith("for you: ") and badge["rank"] is None and badge["for_you"] is False

        for pid in past[3:10]:
            assert daemon.post(f"papers/{pid}/save")[0] == 200
        for pid in past[15:22]:
            assert daemon.request("PATCH", f"papers/{pid}", {"dismissed": True})[0] == 200
        wait_for(daemon, lambda s: s["state"] == "ready" and s["signals"] == 20)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, answer = daemon.post("lookup", {"ids": today})
            if all(answer["papers"][pid]["rank"] is not None for pid in today):
                break
            time.sleep(0.2)
        badges = answer["papers"]
        # the two interpretability papers (listed last) are today's top fifth: marked for you, ranked first
        assert [pid for pid in today if badges[pid]["for_you"]] == today[8:]
        assert {badges[pid]["rank"] for pid in today[8:]} == {1.0, round(1 - 1 / 9, 4)}
        assert all(badges[pid]["why"].startswith("for you: ") for pid in today[8:])
        assert any(word in badges[today[9]]["why"] for word in ("autoencoders", "interpretable", "circuits"))
        assert all(0.0 <= badges[pid]["rank"] < 0.5 for pid in today[:4])  # the dismissed topic: bottom half

        status, listed = daemon.get(f"papers?since={TODAY}")
        assert status == 200, listed
        by_id = {p["id"]: p for p in listed["papers"]}
        for pid in today:
            assert {k: by_id[pid][k] for k in ("rank", "why", "for_you")} == {
                k: badges[pid][k] for k in ("rank", "why", "for_you")
            }
        status, one = daemon.get(f"papers/{today[9]}")
        assert status == 200 and one["for_you"] is True and one["rank"] == badges[today[9]]["rank"]

        # a dismissed paper is never marked for you, at once (before the ranker retrains)
        assert daemon.request("PATCH", f"papers/{today[9]}", {"dismissed": True})[0] == 200
        badge = daemon.post("lookup", {"ids": [today[9]]})[1]["papers"][today[9]]
        assert badge["for_you"] is False
    finally:
        daemon.stop()
