"""Issue 17 item 4: papertray stopping mid-visit is said quietly, by the page's marks and the toolbar, instead of
the marks going stale or vanishing; the marks come back when papertray does."""

from __future__ import annotations

import pytest

from tests.browser.extension import ExtensionBrowser
from tests.browser.test_with_daemon import HF_LIST, IDS, by_id, pair, wait_for
from tests.support.daemon import DaemonProcess

pytestmark = pytest.mark.browser


def test_i17_4_daemon_stopped_mid_visit_marks_and_toolbar_say_so(
    browser: ExtensionBrowser, daemon: DaemonProcess
) -> None:
    pair(browser, daemon)
    assert daemon.post(f"papers/{IDS[1]}/save")[0] == 200
    page = browser.open(HF_LIST)
    browser.wait_marked(page)
    marks = by_id(browser.marks(page))
    assert marks[IDS[0]].state == "new" and marks[IDS[1]].pressed
    daemon.stop()

    # The user comes back to the tab: the content script looks again and finds nobody there.
    page.evaluate("() => window.dispatchEvent(new Event('focus'))")
    wait_for(lambda: {m.state for m in browser.marks(page)} == {"offline"}, page, "the marks to say papertray is off")
    marks = by_id(browser.marks(page))
    assert len(marks) == 50 and marks[IDS[0]].text == "\u25cc Off"
    assert marks[IDS[1]].pressed  # what it last knew of the paper is kept: saved stays saved
    wait_for(lambda: browser.sw("() => chrome.action.getBadgeText({})") == "off", page, "the toolbar to say off")
    assert browser.page_errors == []
