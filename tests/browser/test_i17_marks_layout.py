"""Issue 17 item 5: marks sit in the card's existing author/comment row and move nothing on the page, measured
as the browser measures it (the page's own `layout-shift` entries, PerformanceObserver) in real Chromium, on the
real huggingface.co capture of 2024-08-01 and on the fixture pages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.extension import ExtensionBrowser
from tests.browser.test_with_daemon import pair, wait_for
from tests.support.daemon import DaemonProcess
from tests.support.https_pages import HF_REAL_PATH, FixtureSite

pytestmark = pytest.mark.browser

# Every layout shift since the navigation (buffered), summed as CLS sums them: shifts right after user input do
# not count. Read after the marks are drawn and the page had time to paint them.
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  const moved = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      total += entry.value;
      for (const s of entry.sources ?? []) moved.push(s.node?.nodeName ?? '?');
    }
  }).observe({ type: 'layout-shift', buffered: true });
  setTimeout(() => resolve({ total, moved: moved.slice(0, 8) }), 300);
})"""

MARK_BOXES = """() => [...document.querySelectorAll('article')].map((card) => {
  const title = card.querySelector('h3');
  const comments = card.querySelector('a[href$="#community"]');
  const mark = [...card.querySelectorAll('span')].find((s) => s.style.width === '156px');
  if (!title || !comments || !mark) return null;
  const box = (el) => el.getBoundingClientRect().toJSON();
  return { title: box(title), row: box(comments.parentElement), mark: box(mark), card: box(card),
           inRow: comments.parentElement.contains(mark) };
})"""


# The page's own script takes every mark out once all is painted; the content script puts them back (as after a
# re-render). Both happen after the first paint, so whatever the marks move is measured, however fast the first
# look-up was. A page finds the hosts by their inline size, the one thing it can see of them.
REMOVE_MARKS = """() => {
  const hosts = [...document.querySelectorAll('span')].filter((s) => s.style.width === '156px');
  for (const host of hosts) host.remove();
  return hosts.length;
}"""


def shift_after_marks(browser: ExtensionBrowser, page: Page) -> dict[str, Any]:
    count = browser.wait_marked(page)["marked"]
    page.wait_for_timeout(300)  # painted, marks and all
    assert page.evaluate(REMOVE_MARKS) == count
    deadline = 100
    while len(browser.marks(page)) < count:
        deadline -= 1
        assert deadline > 0, "the marks did not come back"
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)  # two frames at least after the marks went back in
    result: dict[str, Any] = page.evaluate(LAYOUT_SHIFT)
    return result


@pytest.mark.parametrize(
    ("path", "cards"),
    [(HF_REAL_PATH, 13), ("/papers/date/2025-07-31", 50)],
    ids=["real-hf-capture-2024-08-01", "fixture-hf-list"],
)
def test_i17_5_hf_marks_sit_in_the_author_row_and_shift_nothing(
    browser: ExtensionBrowser, daemon: DaemonProcess, site: FixtureSite, path: str, cards: int
) -> None:
    pair(browser, daemon)
    page = browser.open(f"https://huggingface.co{path}")
    shift = shift_after_marks(browser, page)
    marks = browser.marks(page)
    assert len(marks) == cards and all(m.container == "ARTICLE" for m in marks)
    # Before: each mark opened a 30 px line of its own under the title, pushing everything below it down.
    assert shift["total"] < 0.001, shift
    boxes = page.evaluate(MARK_BOXES)
    assert len(boxes) == cards and all(boxes), boxes
    for box in boxes:
        title, row, mark, card = box["title"], box["row"], box["mark"], box["card"]
        assert mark["top"] >= title["bottom"] - 1, box  # under the title, in the title's column, inside the card
        assert title["left"] - 1 <= mark["left"] and mark["right"] <= card["right"] - 1, box
        assert mark["bottom"] <= card["bottom"] - 1, box
        if box["inRow"]:  # in the author/comment row, on its line
            assert row["top"] - 1 <= mark["top"] and mark["bottom"] <= row["bottom"] + 1, box
        else:  # a row too full for it: pinned just under the row, lined up with the title
            assert abs(mark["left"] - title["left"]) <= 1 and row["bottom"] - 1 <= mark["top"] <= row["bottom"] + 4, box
    if path == HF_REAL_PATH:  # three cards a row at 1280 px: the rows of the capture are too full
        assert not any(box["inRow"] for box in boxes)
        # An older day's papers, which papertray never ingested, get a Save (issue 17 item 4), and a pinned mark
        # takes a real click like any other.
        assert {(m.state, m.button) for m in marks} == {("unknown", "\u2606 Save")}
        browser.click(page, marks[0])
        wait_for(lambda: browser.marks(page)[0].pressed, page, "the paper of an older day to be saved")
        assert daemon.get("papers?state=saved")[1]["papers"][0]["id"] == marks[0].id == "2407.21783"
    else:
        assert all(box["inRow"] for box in boxes)
    # The capture's own scripts, its app bundle and its images cannot load here (no network): only those errors.
    assert [e for e in browser.page_errors if "Failed to load resource" not in e and "front/build" not in e] == []


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/list/cs.LG/new",
        "https://huggingface.co/papers/{0}",
        "https://arxiv.org/abs/{1}",
        "https://arxiv.org/html/{2}v1",
    ],
    ids=["arxiv-list", "hf-paper", "arxiv-abs", "arxiv-html"],
)
def test_i17_5_marks_shift_nothing_on_the_other_fixture_pages(
    browser: ExtensionBrowser, daemon: DaemonProcess, site: FixtureSite, url: str
) -> None:
    from tests.browser.test_with_daemon import IDS

    pair(browser, daemon)
    page = browser.open(url.format(*IDS))
    shift = shift_after_marks(browser, page)
    assert browser.marks(page), "no mark drawn"
    assert shift["total"] < 0.001, shift
