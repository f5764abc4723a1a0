"""Issue 17 item 5: a page reloaded in the same tab is marked from the service worker's memory of its last
look-up, without waiting for the daemon; the daemon's own answer follows and corrects what changed elsewhere,
and no other tab or address is ever answered from that memory (how fast marks appear must not tell a page what
other pages the user opened)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.browser.extension import ExtensionBrowser
from tests.browser.test_with_daemon import HF_LIST, IDS, by_id, pair, wait_for
from tests.support.daemon import DaemonProcess

pytestmark = pytest.mark.browser


@contextmanager
def frozen(daemon: DaemonProcess) -> Iterator[None]:
    """The daemon busy (stopped by SIGSTOP): connections are accepted by the kernel but nothing answers."""
    assert daemon.proc is not None
    os.kill(daemon.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(daemon.proc.pid, signal.SIGCONT)


def test_i17_5_a_reload_is_marked_without_waiting_for_the_daemon(
    browser: ExtensionBrowser, daemon: DaemonProcess
) -> None:
    pair(browser, daemon)
    assert daemon.post(f"papers/{IDS[1]}/save")[0] == 200
    page = browser.open(HF_LIST)
    browser.wait_marked(page)
    with frozen(daemon):
        page.reload()
        assert browser.wait_marked(page)["marked"] == 50
        marks = by_id(browser.marks(page))
        # The states it was last told, not "◌ Off" after the look-up timed out.
        assert {m.state for i, m in marks.items() if i != IDS[1]} == {"new"}
        assert marks[IDS[1]].pressed
    assert browser.page_errors == []


def test_i17_5_a_change_made_elsewhere_shows_after_the_answer_from_memory(
    browser: ExtensionBrowser, daemon: DaemonProcess
) -> None:
    pair(browser, daemon)
    page = browser.open(HF_LIST)
    browser.wait_marked(page)
    assert not by_id(browser.marks(page))[IDS[0]].pressed
    assert daemon.post(f"papers/{IDS[0]}/save")[0] == 200  # saved outside the browser (the CLI, the reading list)
    page.reload()
    browser.wait_marked(page)
    wait_for(lambda: by_id(browser.marks(page))[IDS[0]].pressed, page, "the paper saved elsewhere to show saved")
    assert browser.page_errors == []


def test_i17_5_another_tab_is_never_answered_from_memory(browser: ExtensionBrowser, daemon: DaemonProcess) -> None:
    pair(browser, daemon)
    first = browser.open(HF_LIST)
    browser.wait_marked(first)
    with frozen(daemon):
        second = browser.open(HF_LIST)  # the same address in a new tab: it must wait for the daemon like any page
        browser.wait_marked(second)
        assert {m.state for m in browser.marks(second)} == {"offline"}
