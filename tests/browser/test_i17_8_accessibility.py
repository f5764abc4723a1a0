"""The extension's popup and options page in real Chromium, light and dark (prefers-color-scheme emulated), against
the real daemon (issue 17, item 8): axe-core finds no serious or critical violation, a hovered primary button keeps
its text readable (it was about 1.3:1 in the dark), and the keyboard focus ring stands out (3:1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.extension import ExtensionBrowser
from tests.browser.test_with_daemon import IDS, pair
from tests.support.axe import COLOURS, CONTRAST, RUN, axe_source, summary
from tests.support.daemon import DaemonProcess

pytestmark = pytest.mark.browser

SCHEMES = ("light", "dark")


def axe_violations(page: Page) -> list[str]:
    assert page.evaluate(axe_source()) == "object"
    return list(page.evaluate(RUN))


def contrast(page: Page, a: str, b: str) -> float:
    return float(page.evaluate(CONTRAST, [a, b]))


def hovered_text_contrast(page: Page, selector: str) -> float:
    page.hover(selector)
    seen = page.eval_on_selector(selector, COLOURS)
    return contrast(page, seen["text"], seen["background"])


def ring_contrast(page: Page, selector: str) -> float:
    """Focus `selector` the way a keyboard does (focus-visible), and compare its outline with what is behind it."""
    page.focus(selector)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches(':focus-visible')"), selector
    seen = page.eval_on_selector(selector, COLOURS)
    assert seen["outlineStyle"] != "none", seen
    return contrast(page, seen["outline"], seen["ring"])


def test_i17_8_popup_and_options_light_and_dark(browser: ExtensionBrowser, daemon: DaemonProcess) -> None:
    pair(browser, daemon)
    assert daemon.post(f"papers/{IDS[0]}/save")[0] == 200
    popup = browser.open(browser.url("popup/popup.html"))
    popup.get_by_role("status").filter(has_text="is running").wait_for()
    popup.locator("#new-list li").first.wait_for()
    popup.locator("#saved-list li").first.wait_for()
    options = browser.open(browser.url("options/options.html"))
    options.locator("#pair-state").filter(has_text="paired with papertray").wait_for()
    for scheme in SCHEMES:
        for page, primary in ((popup, "#open-list"), (options, "#pair-button")):
            page.emulate_media(color_scheme=scheme)
            where = f"{page.url} ({scheme})"
            assert axe_violations(page) == [], f"{where}:\n{summary(axe_violations(page))}"
            assert hovered_text_contrast(page, primary) >= 4.5, where
            assert ring_contrast(page, primary) >= 3, where
            page.mouse.move(0, 0)
    assert browser.page_errors == []
