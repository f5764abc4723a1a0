"""Issue 16 with the real daemon: `papertray search` and GET /api/v1/search over a real poll, hostile queries
answered in one sentence, and the index surviving kill -9 of the daemon in the middle of an update."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.integration.conftest import TODAY
from tests.support.daemon import DaemonProcess, run_cli
from tests.support.feed_server import FeedServer, load_fixture_day, make_day

FIRST = load_fixture_day()[0]["paper"]


def search(daemon: DaemonProcess, query: str, **params: str) -> tuple[int, dict[str, object]]:
    path = "search?" + urllib.parse.urlencode({"q": query, **params})
    status, body = daemon.get(path)
    return status, body


def raw_status(daemon: DaemonProcess, query: str) -> int:
    """The status of a search whose answer may not be JSON (the HTTP parser's own refusals)."""
    url = daemon.base_url + "search?" + urllib.parse.urlencode({"q": query})
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {daemon.token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return err.code


def wait_until_found(daemon: DaemonProcess, query: str, count: int, timeout: float = 120.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    body: dict[str, object] = {}
    while time.monotonic() < deadline:
        status, body = search(daemon, query, limit="100")
        assert status == 200, body
        if body["total"] == count and not body["index"]["building"]:  # type: ignore[index]
            return body
        time.sleep(0.1)
    raise AssertionError(f"{query!r} never found {count} papers: {body}")


async def test_16_search_cli_and_api_answer_from_a_polled_daemon(tmp_path: Path, today_feed: FeedServer) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(daemon.start)
    try:
        await asyncio.to_thread(daemon.post, "poll")
        body = await asyncio.to_thread(wait_until_found, daemon, '"brain encoders"', 1)
        result = body["results"][0]  # type: ignore[index]
        assert result["id"] == FIRST["id"]
        assert {"text": "brain encoders", "hit": True} in [
            {"text": p["text"].lower(), "hit": p["hit"]} for p in result["snippet"]
        ]
        assert (await asyncio.to_thread(daemon.post, f"papers/{FIRST['id']}/save"))[0] == 200
        assert (await asyncio.to_thread(daemon.request, "PATCH", f"papers/{FIRST['id']}", {"note": "ask Zoë"}))[
            0
        ] == 200
        await asyncio.to_thread(wait_until_found, daemon, "zoe", 1)

        done = await asyncio.to_thread(run_cli, home, "search", "brain", "encod*", "--saved", env=daemon.env)
        assert done.returncode == 0, done.stderr
        assert FIRST["id"] in done.stdout and "[" in done.stdout and "\x1b" not in done.stdout
        done = await asyncio.to_thread(run_cli, home, "search", "zoe", "--json", env=daemon.env)
        assert [r["id"] for r in json.loads(done.stdout)["results"]] == [FIRST["id"]]
        done = await asyncio.to_thread(run_cli, home, "search", "zoe", "--state", "new", env=daemon.env)
        assert done.returncode == 0 and "No papers match." in done.stdout
        done = await asyncio.to_thread(run_cli, home, "search", "x" * 600, env=daemon.env)
        assert done.returncode == 1 and done.stderr.startswith("Error: A search is at most 500 characters")

        for hostile in ['a"b OR (c', '"unbalanced', "'; DROP TABLE docs; --", "NEAR(a b)", "x\x00\x1b[2J", "*", "^"]:
            status, answer = await asyncio.to_thread(search, daemon, hostile)
            assert status in (200, 400), (hostile, answer)
            if status == 400:
                assert str(answer["error"]).endswith(".") and "\n" not in str(answer["error"])
        status, answer = await asyncio.to_thread(search, daemon, "y" * 5_000)
        assert status == 400 and "at most 500 characters" in str(answer["error"])
        # 10 KB does not fit a request line at all: the server's parser refuses it (400), and the CLI says why.
        status = await asyncio.to_thread(raw_status, daemon, "y" * 10_240)
        assert status == 400
        done = await asyncio.to_thread(run_cli, home, "search", "z" * 10_240, env=daemon.env)
        assert done.returncode == 1 and done.stderr.startswith("Error: A search is at most 500 characters")
        status, answer = await asyncio.to_thread(search, daemon, "brain", state="gone")
        assert status == 400 and str(answer["error"]).startswith("state must be one of")
    finally:
        await asyncio.to_thread(daemon.stop)
    # (aiohttp itself logs its refusal of the 10 KB request line with a traceback at debug level: not ours.)
    assert "papertray/search" not in daemon.output() and "routes_search" not in daemon.output()


async def test_16_the_index_survives_kill_9_in_the_middle_of_an_update(tmp_path: Path) -> None:
    """SIGKILL while the index is part-way through a 3,000-paper poll: the next start opens the same file (no
    damage reported, nothing moved aside) and catches up, so every paper is found."""
    count = 3000
    feed = FeedServer(days={TODAY: make_day(TODAY, count)})
    await feed.start()
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=feed.url)
    index = home / "cache" / "search" / "index.sqlite3"
    try:
        await asyncio.to_thread(daemon.start)
        seen_partial = 0

        def kill_mid_update() -> int:
            # The daemon polls at start; watch the index file itself fill up and kill while it is partial.
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    with sqlite3.connect(f"file:{index}?mode=ro", uri=True, timeout=0.05) as conn:
                        indexed = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
                except sqlite3.Error:
                    indexed = 0
                if 0 < indexed < count:
                    daemon.kill()
                    return int(indexed)
                if indexed >= count:
                    return 0
                time.sleep(0.005)
            return 0

        seen_partial = await asyncio.to_thread(kill_mid_update)
        assert seen_partial, "the kill did not land during the update (the index filled up first)"
        await asyncio.to_thread(daemon.start)
        body = await asyncio.to_thread(wait_until_found, daemon, "study", count)
        assert body["total"] == count
        status, answer = await asyncio.to_thread(daemon.get, "status")
        assert status == 200 and not [p for p in answer["problems"] if "search" in p.lower()], answer["problems"]
        assert not list(index.parent.glob("*.corrupt-*"))
    finally:
        await asyncio.to_thread(daemon.stop)
        await feed.stop()


async def test_i16_4_a_corrected_abstract_is_searchable_after_the_next_poll_under_the_same_version_and_title(
    tmp_path: Path,
) -> None:
    entries = make_day(TODAY, 3)
    entries[1]["paper"]["summary"] = "We measure circadian drift in sleepy transformers."
    feed = FeedServer(days={TODAY: entries})
    await feed.start()
    daemon = DaemonProcess(tmp_path / "home", PAPERTRAY_HF_URL=feed.url)
    try:
        await asyncio.to_thread(daemon.start)
        await asyncio.to_thread(daemon.post, "poll")
        await asyncio.to_thread(wait_until_found, daemon, "circadian", 1)
        # arXiv-style correction: the abstract changes, the version and the title do not
        entries[1]["paper"]["summary"] = "We measure zeitgeber drift in sleepy transformers."
        status, report = await asyncio.to_thread(daemon.post, "poll")
        assert status == 200 and report["updated"] >= 1, report
        found = await asyncio.to_thread(wait_until_found, daemon, "zeitgeber", 1)
        assert found["results"][0]["id"] == entries[1]["paper"]["id"]  # type: ignore[index]
        await asyncio.to_thread(wait_until_found, daemon, "circadian", 0)  # the old text is gone from the index
    finally:
        await asyncio.to_thread(daemon.stop)
        await feed.stop()
