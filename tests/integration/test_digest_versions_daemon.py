"""Issue 15 items 1 and 2 on the real daemon: a saved paper's new version (found by the daily export-API check
against an arXiv fixture server) becomes "v2 of <title>" in the new-versions Atom feed, read by feedparser and by
newsboat, once, also after the user has opened it and the daemon restarted (a feed is history); the email digest
through a real SMTP server (aiosmtpd, STARTTLS, AUTH) has the New versions and the Trending groups (Hugging Face's
trending list, unseen papers only), each paper once, and the next digest does not send that version again.
arXiv's real spacing (3 s) is kept, so this takes a minute."""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import feedparser
import pytest

from papertray.timestamps import iso_z, utc_now
from tests.integration.conftest import TODAY
from tests.integration.test_digest_feeds import feed_urls, fetch
from tests.support.arxiv_daemon import CONFIG, library_pdfs
from tests.support.daemon import DaemonProcess, run_cli
from tests.support.desktop_session import wait_for
from tests.support.digest_papers import RULES, digest_day
from tests.support.feed_server import FeedServer, make_entry
from tests.support.library_page import login, page_get
from tests.support.paper_server import PaperServer
from tests.support.smtp_server import PASSWORD, USER, SmtpServer, make_certificate

SAVED = "2307.12345"
TITLE = "Sparse circuits in small transformers"
TRENDING = "2510.04242"  # on Hugging Face's trending list, not on today's Daily Papers
TRENDING_SEEN = "2510.04243"  # trending too, but the user has seen it
ENTRY = f"tag:papertray.local,2026:paper/{SAVED}/v2"


@dataclass
class World:
    home: Path
    arxiv: PaperServer
    hf: FeedServer
    smtp: SmtpServer
    env: dict[str, str]

    def start(self) -> DaemonProcess:
        return DaemonProcess(self.home, PAPERTRAY_HF_URL=self.hf.url, PAPERTRAY_ARXIV_URL=self.arxiv.url, **self.env)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    entries, _ = digest_day(TODAY)
    trending = [
        make_entry(TRENDING, "2025-10-06", title="Trending: a paper everyone reads", upvotes=310),
        make_entry(TRENDING_SEEN, "2025-10-06", title="Trending but already seen", upvotes=290),
    ]
    hf = FeedServer(days={TODAY: entries}, lists={"sort=trending": trending})
    await hf.start()
    cert, key = make_certificate(tmp_path)
    smtp = SmtpServer(cert, key).start()
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        CONFIG + RULES + '[sources]\nhf_lists = ["trending"]\n'
        f'[digest]\nschedule = "daily"\nat = "00:00"\nto = "me@example.org"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_user = "{USER}"\n'
    )
    env = {"PAPERTRAY_SMTP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(cert)}
    try:
        with PaperServer() as arxiv:
            arxiv.add(SAVED, title=TITLE, on_hf=False)
            yield World(home, arxiv, hf, smtp, env)
    finally:
        smtp.stop()
        await hf.stop()


def new_versions_feed(home: Path) -> Any:
    status, body = fetch(feed_urls(home)["new-versions"])
    assert status == 200, body
    parsed: Any = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def newsboat(reader: Path, url: str) -> list[str]:
    """Reload the feed in newsboat (its cache kept in `reader`) and return every item title it has stored."""
    reader.mkdir(exist_ok=True)
    (reader / "urls").write_text(url + "\n")
    (reader / "config").write_text("")
    env = {"HOME": str(reader), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb"}
    command = ["newsboat", "-u", str(reader / "urls"), "-c", str(reader / "cache.db"), "-C", str(reader / "config")]
    done = subprocess.run([*command, "-x", "reload"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(reader / "cache.db") as db:
        return [row[0] for row in db.execute("SELECT title FROM rss_item")]


def plain_text(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def groups(text: str) -> dict[str, list[str]]:
    """The digest's text part as {group: [paper lines]} (a group's name is the line above its `===` rule)."""
    lines = text.splitlines()
    found: dict[str, list[str]] = {}
    current = None
    for index, line in enumerate(lines):
        if index + 1 < len(lines) and lines[index + 1].startswith("===") and line:
            current = found.setdefault(line, [])
        elif line.startswith("* ") and current is not None:
            current.append(line[2:])
    return found


@pytest.mark.skipif(shutil.which("newsboat") is None, reason="newsboat is installed by .ci/install-system-deps")
async def test_i15_1_a_saved_papers_new_version_is_in_the_feed_once_and_the_email_has_new_versions_and_trending(
    world: World, tmp_path: Path
) -> None:
    home, reader = world.home, tmp_path / "reader"
    first = await asyncio.to_thread(world.start().start)
    try:
        assert (await asyncio.to_thread(first.post, "poll"))[0] == 200  # today's Daily Papers and the trending list
        assert (await asyncio.to_thread(first.post, "seen", {"ids": [TRENDING_SEEN]}))[0] == 200
        assert (await asyncio.to_thread(first.post, f"papers/{SAVED}/save"))[0] == 200
        await asyncio.to_thread(
            wait_for, lambda: library_pdfs(home, SAVED) == [f"{SAVED}v1.pdf"], "the v1 PDF", timeout=120
        )
        assert new_versions_feed(home).entries == []  # saving a paper announces no version it already had
    finally:
        await asyncio.to_thread(first.stop)

    world.arxiv.new_version(SAVED, updated=iso_z(utc_now() + timedelta(seconds=1)))  # v2, after the save
    second = await asyncio.to_thread(world.start().start)
    try:

        def found() -> bool:
            return [i["id"] for i in second.get("status")[1]["versions"]["new"]] == [SAVED]

        await asyncio.to_thread(wait_for, found, "v2 found by the daily check", timeout=120)
        feed = await asyncio.to_thread(new_versions_feed, home)
        assert [(e.id, e.title) for e in feed.entries] == [(ENTRY, f"v2 of {TITLE}")]
        hrefs = {link.href for link in feed.entries[0].links}
        assert {f"https://arxiv.org/abs/{SAVED}v2", f"https://arxiv.org/pdf/{SAVED}v2"} <= hrefs
        assert "new version v2 (you had v1)" in feed.entries[0].summary
        # The file copy, for readers that read files, has it too (rewritten when the version was found).
        file = home / "data" / "feeds" / "new-versions.atom"
        await asyncio.to_thread(wait_for, lambda: ENTRY.encode() in file.read_bytes(), "the feed file", timeout=30)
        url = (await asyncio.to_thread(feed_urls, home))["new-versions"]
        assert await asyncio.to_thread(newsboat, reader, url) == [f"v2 of {TITLE}"]

        sent = await asyncio.to_thread(run_cli, home, "digest", "send", "--now", env=second.env)
        assert sent.returncode == 0 and sent.stdout.startswith("Sent the digest"), sent.stdout + sent.stderr
        assert len(world.smtp.box.messages) == 1
        text = plain_text(world.smtp.box.messages[0])
        shown = groups(text)
        assert shown["New versions of your saved papers"] == [f"v2 of {TITLE}"]
        assert shown["Trending you have not seen"] == ["Trending: a paper everyone reads"]  # the seen one is left out
        assert shown["Rule matches"][0] == "Sparse autoencoder features in small models"
        papers = [title for items in shown.values() for title in items]
        assert len(papers) == len(set(papers)), shown  # each paper once across groups
        assert f"https://arxiv.org/pdf/{SAVED}v2" in text and "trending on Hugging Face" in text

        # The user opens v2 from the reading list: it is no longer new, but the feed (history) keeps it.
        v2_pdf = [f"{SAVED}v1.pdf", f"{SAVED}v2.pdf"]
        await asyncio.to_thread(wait_for, lambda: library_pdfs(home, SAVED) == v2_pdf, "the v2 PDF", timeout=120)
        session = await asyncio.to_thread(login, second)
        code, pdf, _ = await asyncio.to_thread(page_get, second, session, f"/library/pdf/{SAVED}")
        assert code == 200 and f"{SAVED}v2".encode() in pdf
        await asyncio.to_thread(wait_for, lambda: not found(), "v2 looked at", timeout=30)
    finally:
        await asyncio.to_thread(second.stop)

    third = await asyncio.to_thread(world.start().start)
    try:
        assert (await asyncio.to_thread(third.post, "poll"))[0] == 200
        assert third.get("status")[1]["versions"]["new"] == []
        feed = await asyncio.to_thread(new_versions_feed, home)
        assert [(e.id, e.title) for e in feed.entries] == [(ENTRY, f"v2 of {TITLE}")]
        assert await asyncio.to_thread(newsboat, reader, url) == [f"v2 of {TITLE}"]  # still one item, not two
        # A digest now has nothing it has not sent: the version went out already.
        again = await asyncio.to_thread(run_cli, home, "digest", "send", "--now", env=third.env)
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("Nothing new for a digest"), again.stdout
        assert len(world.smtp.box.messages) == 1
    finally:
        await asyncio.to_thread(third.stop)
