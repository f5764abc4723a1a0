"""One number for "new" (issue 17, item 3): the tray, the toolbar badge, the popup and `papertray status` show
the same "new today" and "unseen", as the daemon's `Store.new_counts` defines them.

Before, within one minute the tray said 96, the badge 108, the popup "93 in all" and `status` 108: the tray
counted two calendar days, the badge every unseen paper, the popup the browser's today or else everything, and
`status` dismissed papers too. Here some papers are seen and one is dismissed, which split all four."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from papertray.events import EventBus
from papertray.store import Store
from papertray.tray import TrayState, tooltip
from papertray.tray_feed import snapshot
from tests.browser.extension import ExtensionBrowser
from tests.browser.test_with_daemon import IDS, pair, wait_for
from tests.support.daemon import DaemonProcess, run_cli

pytestmark = pytest.mark.browser


def tray_state(daemon: DaemonProcess) -> TrayState:
    """What the tray shows, from the daemon's own store (opened once the daemon has stopped and let go of it)."""

    async def read() -> TrayState:
        store = Store.open(daemon.home / "data", EventBus())
        try:
            return snapshot(store)
        finally:
            await store.close()

    # Playwright's sync API holds an event loop on this thread: read the store on a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result(timeout=60)


def test_i17_3_tray_badge_popup_and_status_show_the_same_new_number(
    browser: ExtensionBrowser, daemon: DaemonProcess
) -> None:
    pair(browser, daemon)
    assert daemon.post("seen", {"ids": IDS[:3]})[0] == 200
    assert daemon.request("PATCH", f"papers/{IDS[3]}", {"dismissed": True})[0] == 200
    expected = 50 - 3 - 1

    status = json.loads(run_cli(daemon.home, "status", "--json", env=daemon.env).stdout)
    assert status["new"] == {"day": "2025-07-31", "today": expected, "unseen": expected}
    said = run_cli(daemon.home, "status", env=daemon.env).stdout
    assert f"{expected} new today (2025-07-31) · {expected} unseen in all" in said

    page = browser.open(browser.url("popup/popup.html"))
    page.get_by_role("status").filter(has_text="is running").wait_for()
    # The badge's own refresh (its alarm fires now, as it does every 5 minutes).
    browser.sw("() => chrome.alarms.create('papertray-badge', { when: Date.now() + 50 })")
    wait_for(lambda: browser.sw("() => chrome.action.getBadgeText({})") == str(expected), page, "the badge")
    badge_title = browser.sw("() => chrome.action.getTitle({})")
    assert badge_title == f"papertray: {expected} new papers today · {expected} unseen in all"

    heading = page.locator("#new-heading")
    heading.filter(has_text="unseen").wait_for()
    numbers = [int(n) for n in re.findall(r"\d+", (heading.text_content() or "").split("2025-07-31")[-1])]
    assert numbers == [expected, expected], heading.text_content()

    daemon.stop()
    shown = tray_state(daemon)
    assert (shown.new_count, shown.unseen) == (expected, expected)
    assert tooltip(shown).startswith(f"papertray — {expected} new papers today · {expected} unseen in all")
