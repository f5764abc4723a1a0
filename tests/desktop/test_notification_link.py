"""Security item 4 for notifications: a click on a notification about several papers opens the reading list
through a launcher file (real dunst, the real API application's login links, a real browser launcher), so neither
the browser's command line nor papertray's log holds a secret."""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
import webbrowser
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest

from papertray.api.library_routes import launcher_file
from papertray.app import build_app, serve
from papertray.config import Paths, load_config
from papertray.events import EventBus
from papertray.library import Library
from papertray.models import Paper
from papertray.notify import Notifier
from papertray.store import Store
from tests.desktop.conftest import until
from tests.support.desktop_session import DesktopSession

pytestmark = pytest.mark.desktop

RULES = '[[rules]]\nname = "sae-watch"\nkeywords = ["sparse autoencoder"]\n'
TODAY = "2026-11-26"


async def test_s4_a_notification_click_puts_no_secret_on_the_command_line_or_in_the_log(
    home: Path, tmp_path: Path, dunst: DesktopSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
    paths.ensure()
    paths.config_file.write_text(RULES)
    config = load_config(paths, env={})
    bus = EventBus()
    store = Store.open(paths.data_dir, bus)
    library = Library(lambda: config, store, bus)
    api = build_app(lambda: config, store, library=library)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$@" >> {opened}\n')
    browser.chmod(0o755)
    notifier = Notifier(
        lambda: config,
        store,
        bus,
        # What app.py's Daemon.reading_list_url does with the running API.
        reading_list_url=lambda: launcher_file(api, 9).as_uri(),
        clock=lambda: datetime.fromisoformat(f"{TODAY}T12:00:00").astimezone(),
        open_url=webbrowser.get(f"{browser} %s").open,
    )
    task = asyncio.create_task(notifier.run())
    try:
        await until(lambda: bus.subscriber_count == 1, "the notifier to subscribe")
        papers = [Paper(id=f"2511.0000{n}", title=f"A sparse autoencoder, part {n}", daily_date=TODAY) for n in (1, 2)]
        result = await store.add_papers(papers)
        bus.publish("poll.done", {"source": "hf", "new": [p.id for p in result.new]})
        await until(lambda: dunst.displayed_count() >= 1, "a notification on screen")
        dunst.run("dunstctl", "action", "0")
        await until(lambda: opened.exists(), "the browser to be opened")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await library.close()
        await store.close()
    argument = opened.read_text().strip()
    assert argument.startswith("file://") and "?" not in argument
    launcher = Path(urllib.parse.unquote(urllib.parse.urlsplit(argument).path))
    assert launcher.parent == paths.state_dir / "launch"
    once = re.search(r'name="once" value="([^"]+)"', launcher.read_text()).group(1)  # type: ignore[union-attr]
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert "notification clicked" in logged and launcher.name in logged
    assert once not in logged and once not in argument


async def test_i17_2_a_click_on_a_notification_about_several_papers_opens_the_matches_inbox(
    home: Path, tmp_path: Path, dunst: DesktopSession
) -> None:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
    paths.ensure()
    paths.config_file.write_text(RULES)
    config = load_config(paths, env={})
    bus = EventBus()
    store = Store.open(paths.data_dir, bus)
    library = Library(lambda: config, store, bus)
    api = build_app(lambda: config, store, library=library)
    runner, port = await serve(api)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$@" >> {opened}\n')
    browser.chmod(0o755)
    notifier = Notifier(
        lambda: config,
        store,
        bus,
        # What app.py's Daemon wires: the reading list for `papertray open`, the inbox for notifications.
        reading_list_url=lambda: launcher_file(api, port).as_uri(),
        inbox_url=lambda: launcher_file(api, port, "inbox").as_uri(),
        clock=lambda: datetime.fromisoformat(f"{TODAY}T12:00:00").astimezone(),
        open_url=webbrowser.get(f"{browser} %s").open,
    )
    task = asyncio.create_task(notifier.run())
    try:
        await until(lambda: bus.subscriber_count == 1, "the notifier to subscribe")
        papers = [
            Paper(id=f"2511.0000{n}", title=f"Sparse Autoencoders, part {n}", daily_date=TODAY, upvotes=n)
            for n in (1, 2)
        ]
        papers.append(Paper(id="2511.00003", title="Something else entirely", daily_date=TODAY))
        result = await store.add_papers(papers)
        bus.publish("poll.done", {"source": "hf", "new": [p.id for p in result.new]})
        await until(lambda: dunst.displayed_count() >= 1, "a notification on screen")
        dunst.run("dunstctl", "action", "0")
        await until(lambda: opened.exists(), "the browser to be opened")
        launcher = Path(urllib.parse.unquote(urllib.parse.urlsplit(opened.read_text().strip()).path))
        page = launcher.read_text()
        once = re.search(r'name="once" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert 'name="view" value="inbox"' in page

        # What the browser does with the launcher: post the form, get the inbox with its session, ask for data.
        async with aiohttp.ClientSession() as client:
            base = f"http://127.0.0.1:{port}"
            async with client.post(f"{base}/library/login", data={"once": once, "view": "inbox"}) as answer:
                assert answer.status == 200
                html = await answer.text()
            assert "<title>Matches · papertray</title>" in html
            sid = re.search(r'name="papertray-session" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]
            async with client.get(f"{base}/library/api/inbox", headers={"X-Papertray-Session": sid}) as answer:
                inbox = await answer.json()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.cleanup()
        await library.close()
        await store.close()
    # The inbox holds exactly the papers the notification was about (the reading list holds none of them).
    assert [p["id"] for p in inbox["papers"]] == ["2511.00002", "2511.00001"]
    assert inbox["papers"][0]["rules"][0]["rule"] == "sae-watch"
    assert inbox["papers"][0]["upvotes"] == 2
