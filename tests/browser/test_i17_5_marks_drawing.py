"""Issue 17 item 5, the marking time: drawing a mark costs what it must and no more. Each mark's host carries an
inline `all: initial !important; …` style, which the browser serializes to some 500 longhands (10 kB); reading it
back for each of a page's 50 marks was half of their drawing time. Counted, not timed: the content script's own
world is watched while a card that arrives later (as on a single-page app) gets its mark, and the mark it gets is
the same plain host as every other."""

from __future__ import annotations

import pytest

from tests.browser.extension import MARK_HEIGHT, MARK_WIDTH, ExtensionBrowser
from tests.browser.test_with_daemon import HF_LIST, IDS, by_id, pair, wait_for
from tests.support.daemon import DaemonProcess

pytestmark = pytest.mark.browser

LATE_ID = "2507.99999"

# In the content script's isolated world only (its prototypes are its own): count reads of any inline style's
# cssText from now on.
COUNT_STYLE_READS = """(() => {
  const own = Object.getOwnPropertyDescriptor(CSSStyleDeclaration.prototype, 'cssText');
  globalThis.__styleReads = 0;
  Object.defineProperty(CSSStyleDeclaration.prototype, 'cssText', {
    configurable: true,
    get() { globalThis.__styleReads += 1; return own.get.call(this); },
    set(value) { own.set.call(this, value); },
  });
  return true;
})()"""

# The page (its own world) adds one more card, a copy of its first with another paper's id.
ADD_CARD = """([from, to]) => {
  const card = document.querySelector('article').cloneNode(true);
  for (const a of card.querySelectorAll('a[href]')) a.setAttribute('href', a.getAttribute('href').replace(from, to));
  for (const span of [...card.querySelectorAll('span')].filter((s) => s.style.width === '156px')) span.remove();
  document.querySelector('article').parentElement.append(card);
}"""


def test_i17_5_a_mark_is_drawn_without_reading_its_host_style_back(
    browser: ExtensionBrowser, daemon: DaemonProcess
) -> None:
    pair(browser, daemon)
    page, in_content_script = browser.open_in_content_world(HF_LIST)
    assert len(browser.marks(page)) == 50
    assert in_content_script(COUNT_STYLE_READS) is True
    page.evaluate(ADD_CARD, [IDS[0], LATE_ID])
    wait_for(lambda: LATE_ID in by_id(browser.marks(page)), page, "the late card's mark")
    late = by_id(browser.marks(page))[LATE_ID]
    assert (late.state, late.button) == ("unknown", "\u2606 Save")  # drawn like any mark (marks() checks the host)
    size = page.evaluate(
        "(w) => [...document.querySelectorAll('article')].at(-1).querySelector('span[style*=\"' + w + 'px\"]')"
        "?.getBoundingClientRect().toJSON()",
        MARK_WIDTH,
    )
    assert (size["width"], size["height"]) == (MARK_WIDTH, MARK_HEIGHT)
    assert in_content_script("globalThis.__styleReads") == 0
    assert browser.page_errors == []
