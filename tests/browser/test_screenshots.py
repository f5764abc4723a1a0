"""The README's pictures, taken from the real thing: the real daemon holding papers in every state, the shipped
extension in Chromium, the fixture Hugging Face and arXiv pages. Each picture is checked for what it must show
(the right badge on the right card, in view); `make screenshots` writes them to docs/screenshots/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.extension import ExtensionBrowser
from tests.browser.test_with_daemon import HF_LIST, IDS, TITLES, pair
from tests.support.daemon import DaemonProcess
from tests.support.desktop_session import wait_for
from tests.support.https_pages import UNKNOWN_IDS, FixtureSite, feed_entries
from tests.support.marks import Mark
from tests.support.screenshots import screenshot_path

pytestmark = pytest.mark.browser

# The states the pictures show: the first cards of the day in a mix a user would have after a morning's reading.
SAVED = {IDS[1], IDS[4]}
READ = {IDS[2]}
SEEN = {IDS[3], IDS[6]}
EXPECTED = {pid: "new" for pid in IDS} | dict.fromkeys(SAVED, "saved") | dict.fromkeys(READ, "read")
EXPECTED |= dict.fromkeys(SEEN, "seen")
BADGES = {"new": "\u25cf New", "seen": "\u25cb Seen", "saved": "\u25cb Seen", "read": "\u2713 Read"}


@pytest.fixture
def todays_daemon(site: FixtureSite, daemon_home: Path) -> Iterator[DaemonProcess]:
    """The real daemon fed today's Daily Papers: the fixture feed with its daily date moved to today (UTC), so
    the popup lists them under "New today" as a user sees it in the morning."""
    if not find_spec("papertray.app"):
        pytest.skip("the daemon is not assembled on this branch yet")
    today = datetime.now(UTC).strftime("%Y-%m-%dT08:00:00.000Z")
    entries = feed_entries(50)
    for entry in entries:
        entry["paper"]["submittedOnDailyAt"] = today
        entry.pop("submittedOnDailyAt", None)
    feed = FixtureSite(site.cert, site.key)
    feed.pages = {"/api/daily_papers": ("application/json", json.dumps(entries).encode())}
    feed.start()
    process = DaemonProcess(daemon_home, PAPERTRAY_HF_URL=feed.feed_url).start()
    try:
        status, report = process.post("poll")
        assert status == 200 and len(report["new"]) == 50, report
        for pid in SAVED:
            assert process.post(f"papers/{pid}/save")[0] == 200
        for pid in READ:
            assert process.request("PATCH", f"papers/{pid}", {"read": True})[0] == 200
        assert process.post("seen", {"ids": sorted(SEEN)})[0] == 200
        yield process
    finally:
        process.stop()
        feed.stop()


def in_view(page: Page, browser: ExtensionBrowser, marks: list[Mark]) -> list[Mark]:
    """The marks whose button lies entirely inside the viewport: what the picture shows."""
    size = page.viewport_size
    assert size is not None
    cdp = browser.context.new_cdp_session(page)
    shown = []
    try:
        for mark in marks:
            quad = cdp.send("DOM.getBoxModel", {"backendNodeId": int(mark.ref)})["model"]["border"]
            xs, ys = quad[0::2], quad[1::2]
            if min(xs) >= 0 and min(ys) >= 0 and max(xs) <= size["width"] and max(ys) <= size["height"]:
                shown.append(mark)
    finally:
        cdp.detach()
    return shown


def shoot(page: Page, name: str) -> Path:
    path = screenshot_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    assert path.stat().st_size < 300_000, f"{name} is {path.stat().st_size} bytes"
    return path


def test_screenshots_of_marked_pages_and_the_popup(browser: ExtensionBrowser, todays_daemon: DaemonProcess) -> None:
    pair(browser, todays_daemon)  # the seen delay is a minute: nothing turns "seen" while the camera looks

    page = browser.open(HF_LIST)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert browser.wait_marked(page) == {"marked": 50, "ids": 50}
    marks = browser.marks(page)
    assert {m.id: m.state for m in marks} == EXPECTED
    assert all(m.text == BADGES[m.state] for m in marks)
    assert all(m.button == ("\u2605 Saved" if m.id in SAVED else "\u2606 Save") for m in marks)
    assert all(m.pressed == (m.id in SAVED) for m in marks)
    visible = in_view(page, browser, marks)
    # The first screenful shows every state, each badge on its own card and nowhere else.
    assert {m.state for m in visible} == {"new", "seen", "saved", "read"}, [(m.id, m.state) for m in visible]
    assert [m.id for m in visible] == IDS[: len(visible)]
    page.evaluate("() => document.activeElement?.blur()")
    shoot(page, "hf-papers.png")

    arxiv = browser.open("https://arxiv.org/list/cs.LG/new")
    arxiv.set_viewport_size({"width": 1280, "height": 800})
    browser.wait_marked(arxiv)
    marks = browser.marks(arxiv)
    known = [(pid, EXPECTED[pid]) for pid in IDS[:6]]
    assert [(m.id, m.state) for m in marks] == known + [(pid, "unknown") for pid in UNKNOWN_IDS]
    assert all(m.container == "DT" for m in marks)
    assert {m.id for m in in_view(arxiv, browser, marks)} >= set(IDS[:4])
    shoot(arxiv, "arxiv-list.png")

    # The morning's saves and read have trained the ranking (a few seconds after them): the popup's For you.
    wait_for(lambda: todays_daemon.get("rank")[1]["papers"], "the ranking's first model", timeout=120)
    popup = browser.open(browser.url("popup/popup.html"))
    popup.set_viewport_size({"width": 408, "height": 600})  # the body is 380px plus padding
    popup.get_by_role("status").filter(has_text="is running").wait_for()
    popup.locator("#saved-list li[data-id]").first.wait_for()
    popup.locator("#for-you-list li[data-id]").first.wait_for()
    expect(popup.locator("#invite")).to_be_visible()  # a first run: no rules yet, so the invitation too
    heading = popup.locator("#new-heading").text_content() or ""
    assert heading.startswith("New today: ") and heading.endswith("unseen in all"), heading  # the one "new" (17.3)
    rows = popup.locator("#new-list li")
    listed = rows.evaluate_all("rs => rs.map(r => r.dataset.id)")
    # Today's list holds only papers still new, each with a Save button.
    assert listed and all(EXPECTED[pid] == "new" for pid in listed)
    first = rows.first
    assert first.locator("a").text_content() == TITLES[listed[0]]
    assert first.get_by_role("button").text_content() == "Save"
    saved = popup.locator("#saved-list li").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert set(saved) == SAVED
    # The same one toggle as on the marks: pressed, it says "Saved".
    assert popup.locator("#saved-list li button").all_text_contents() == ["Saved"] * len(SAVED)
    # Chrome sizes a popup to its content (up to 600px): so does the picture, and everything fits in it.
    height = popup.evaluate("() => Math.ceil(document.body.getBoundingClientRect().bottom)")
    assert height <= 600
    popup.set_viewport_size({"width": 408, "height": height})
    expect(popup.get_by_role("button", name="Open reading list")).to_be_in_viewport(ratio=1)
    shoot(popup, "popup.png")
    assert browser.page_errors == []
