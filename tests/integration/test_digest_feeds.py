"""Issue 15: the digests as Atom feeds on loopback, read by feedparser and by a real feed reader (newsboat), and
the capability key that guards them: wrong, rotated or from a web page, refused; never in a log line."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.integration.conftest import TODAY
from tests.support.daemon import DaemonProcess, run_cli
from tests.support.digest_papers import HOSTILE_TITLE, RULES, digest_day
from tests.support.feed_server import FeedServer


def fetch(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def feed_urls(home: Path, action: str = "url") -> dict[str, str]:
    done = run_cli(home, "feeds", action, "--insecure-storage")
    assert done.returncode == 0, done.stderr
    urls = {}
    for line in done.stdout.splitlines():
        name, _, url = line.partition(" ")
        if url.strip().startswith("http://127.0.0.1:"):
            urls[name] = url.strip()
    assert set(urls) == {"matches", "saves", "today", "new-versions"}, done.stdout
    return urls


@pytest.fixture
async def polled(tmp_path: Path) -> AsyncIterator[tuple[DaemonProcess, dict[str, str]]]:
    entries, names = digest_day(TODAY)
    server = FeedServer(days={TODAY: entries})
    await server.start()
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(RULES)
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=server.url)
    await asyncio.to_thread(daemon.start)
    try:
        status, report = await asyncio.to_thread(daemon.post, "poll")
        assert status == 200, report
        yield daemon, names
    finally:
        await asyncio.to_thread(daemon.stop)
        await server.stop()


async def test_feeds_list_the_rule_matches_once_with_why_and_links(
    polled: tuple[DaemonProcess, dict[str, str]],
) -> None:
    daemon, names = polled
    urls = await asyncio.to_thread(feed_urls, daemon.home)
    status, body = await asyncio.to_thread(fetch, urls["matches"])
    assert status == 200, body
    parsed: Any = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    by_id = {entry.id: entry for entry in parsed.entries}
    assert set(by_id) == {
        f"tag:papertray.local,2026:paper/{names['match']}",
        f"tag:papertray.local,2026:paper/{names['hostile']}",
    }
    match = by_id[f"tag:papertray.local,2026:paper/{names['match']}"]
    assert match.title == "Sparse autoencoder features in small models"
    assert "SAE watch" in match.summary and "42 upvotes" in match.summary
    hrefs = {link.href for link in match.links}
    assert {
        f"https://arxiv.org/abs/{names['match']}",
        f"https://arxiv.org/pdf/{names['match']}",
        f"https://huggingface.co/papers/{names['match']}",
    } <= hrefs
    hostile = by_id[f"tag:papertray.local,2026:paper/{names['hostile']}"]
    assert "\r" not in hostile.title and "\n" not in hostile.title
    assert "<script>" in hostile.title  # kept as text (escaped in the XML), never as markup
    assert b"<script>" not in body

    # A second read gives the same ids: a reader never shows a paper twice.
    again: Any = feedparser.parse((await asyncio.to_thread(fetch, urls["matches"]))[1])
    assert [e.id for e in again.entries] == [e.id for e in parsed.entries]

    today: Any = feedparser.parse((await asyncio.to_thread(fetch, urls["today"]))[1])
    assert len(today.entries) == 5 and today.entries[0].title == "Sparse autoencoder features in small models"
    authors = [a.name for e in today.entries for a in e.authors]
    assert "Zoë Ångström-Łukasz" in authors

    # The same feeds as files, rewritten after the poll.
    files = daemon.home / "data" / "feeds"
    from_file: Any = feedparser.parse((files / "matches.atom").read_bytes())
    assert {e.id for e in from_file.entries} == set(by_id)
    assert sorted(p.name for p in files.iterdir()) == ["matches.atom", "new-versions.atom", "saves.atom", "today.atom"]


async def test_a_wrong_rotated_or_web_page_feed_request_is_refused_and_the_key_is_never_logged(
    polled: tuple[DaemonProcess, dict[str, str]],
) -> None:
    daemon, _ = polled
    urls = await asyncio.to_thread(feed_urls, daemon.home)
    key = urls["matches"].split("/")[4]
    assert len(key) >= 22  # at least 128 bits in URL-safe base64
    assert key not in (daemon.home / "state" / "feeds-key.json").read_text()  # stored hashed

    wrong = urls["matches"].replace(key, key[:-2] + ("AA" if not key.endswith("AA") else "BB"))
    assert (await asyncio.to_thread(fetch, wrong))[0] == 404
    from_page = await asyncio.to_thread(fetch, urls["matches"], Origin="https://evil.example")
    assert from_page[0] == 403 and b"web page" in from_page[1]
    no_cors = await asyncio.to_thread(fetch, urls["matches"], **{"Sec-Fetch-Site": "cross-site"})
    assert no_cors[0] == 403
    rebinding = await asyncio.to_thread(fetch, urls["matches"], Host="evil.example")
    assert rebinding[0] == 403

    assert (await asyncio.to_thread(feed_urls, daemon.home))["matches"] == urls["matches"]  # `url` keeps the key
    rotated = await asyncio.to_thread(feed_urls, daemon.home, "rotate")
    assert rotated["matches"] != urls["matches"]
    assert (await asyncio.to_thread(fetch, urls["matches"]))[0] == 404
    assert (await asyncio.to_thread(fetch, rotated["matches"]))[0] == 200

    new_key = rotated["matches"].split("/")[4]
    logged = (daemon.home / "logs" / "papertray.log").read_text() + daemon.output()
    assert key not in logged and new_key not in logged


@pytest.mark.skipif(shutil.which("newsboat") is None, reason="newsboat is installed by .ci/install-system-deps")
async def test_newsboat_lists_the_entries_of_the_loopback_feed(
    polled: tuple[DaemonProcess, dict[str, str]], tmp_path: Path
) -> None:
    daemon, _ = polled
    urls = await asyncio.to_thread(feed_urls, daemon.home)
    reader = tmp_path / "reader"
    reader.mkdir()
    (reader / "urls").write_text(urls["today"] + "\n")
    (reader / "config").write_text("")
    env = {"HOME": str(reader), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb"}
    command = ["newsboat", "-u", str(reader / "urls"), "-c", str(reader / "cache.db"), "-C", str(reader / "config")]
    reload = await asyncio.to_thread(
        subprocess.run, [*command, "-x", "reload"], env=env, capture_output=True, text=True, timeout=60
    )
    assert reload.returncode == 0, reload.stderr
    unread = await asyncio.to_thread(
        subprocess.run, [*command, "-x", "print-unread"], env=env, capture_output=True, text=True, timeout=60
    )
    assert unread.stdout.strip().startswith("5 unread"), unread.stdout + unread.stderr
    with sqlite3.connect(reader / "cache.db") as db:
        titles = {row[0] for row in db.execute("SELECT title FROM rss_item")}
    assert "Sparse autoencoder features in small models" in titles
    assert any("Bcc: victim@example.org" in t and "\n" not in t for t in titles)
    assert HOSTILE_TITLE not in titles  # the \r\n became a space


async def test_no_log_record_carries_a_feed_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """papertray runs without an access log; whatever is logged while feeds are read, right or wrong key, holds
    neither key."""
    import logging

    import aiohttp

    from papertray.api import CONTEXT
    from papertray.credentials import Credentials
    from papertray.digest.feed_key import rotate
    from tests.support.api_server import ApiServer

    caplog.set_level(logging.DEBUG)
    server = ApiServer(tmp_path / "home")
    await server.start()
    state = server.app[CONTEXT].paths.state_dir
    key = rotate(state, Credentials(state, insecure_file=True, env={}))
    try:
        async with aiohttp.ClientSession() as session:
            for candidate in (key, "wrong-key"):
                async with session.get(f"http://127.0.0.1:{server.port}/feeds/{candidate}/matches.atom") as resp:
                    assert resp.status == (200 if candidate == key else 404)
    finally:
        await server.stop()
    assert not [r for r in caplog.records if r.name == "aiohttp.access"]
    assert all(key not in r.getMessage() and "wrong-key" not in r.getMessage() for r in caplog.records)
