"""Issue 17 items 4 and 5 in Firefox ESR: the marks sit in the HF card's author/comment row (or pinned under it
when the row is full, on the real 2024-08-01 capture), and papertray stopping mid-visit is said by the marks."""

from __future__ import annotations

import pytest

from tests.browser.test_i17_marks_layout import MARK_BOXES
from tests.browser_firefox.test_extension import HF_LIST, IDS, by_id, pair
from tests.support.daemon import DaemonProcess
from tests.support.firefox import Firefox, wait_until
from tests.support.https_pages import HF_REAL_PATH

pytestmark = pytest.mark.browser

# Where every card's title, comment row and mark are, before and after the page's own script takes the marks out
# (Firefox has no layout-shift entries: the boxes themselves are compared).
LAYOUT = """(() => [...document.querySelectorAll('article')].map((card) => {
  const title = card.querySelector('h3'), comments = card.querySelector('a[href$="#community"]');
  return [title.getBoundingClientRect().top, comments.getBoundingClientRect().left,
          comments.getBoundingClientRect().top, card.getBoundingClientRect().height];
}))()"""


@pytest.mark.parametrize(
    ("path", "cards"), [(HF_REAL_PATH, 13), ("/papers/date/2025-07-31", 50)], ids=["real-hf-capture", "fixture"]
)
def test_i17_5_firefox_marks_sit_in_the_row_and_move_nothing(
    firefox: Firefox, daemon: DaemonProcess, path: str, cards: int
) -> None:
    pair(firefox, daemon)
    page = firefox.open(f"https://huggingface.co{path}")
    assert page.wait_marked()["marked"] == cards
    boxes = page.evaluate(f"({MARK_BOXES})()")
    assert len(boxes) == cards and all(boxes)
    for box in boxes:
        title, row, mark, card = box["title"], box["row"], box["mark"], box["card"]
        assert mark["top"] >= title["bottom"] - 1 and mark["bottom"] <= card["bottom"] - 1, box
        assert title["left"] - 1 <= mark["left"] and mark["right"] <= card["right"] - 1, box
        if box["inRow"]:
            assert row["top"] - 1 <= mark["top"] and mark["bottom"] <= row["bottom"] + 1, box
    with_marks = page.evaluate(LAYOUT)
    page.evaluate("""[...document.querySelectorAll('span')].filter((s) => s.style.width === '156px')
                      .forEach((s) => s.remove())""")
    assert page.evaluate(LAYOUT) == with_marks  # taking the marks out moves nothing: putting them in moved nothing
    wait_until(lambda: len(page.marks()) == cards, "the marks to be put back")
    assert page.evaluate(LAYOUT) == with_marks


def test_i17_4_firefox_marks_say_papertray_is_off_when_it_stops_mid_visit(
    firefox: Firefox, daemon: DaemonProcess
) -> None:
    pair(firefox, daemon)
    page = firefox.open(HF_LIST)
    page.wait_marked()
    assert by_id(page.marks())[IDS[0]].state == "new"
    daemon.stop()
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    wait_until(lambda: {m.state for m in page.marks()} == {"offline"}, "the marks to say papertray is off")
    assert by_id(page.marks())[IDS[0]].text == "\u25cc Off"
    assert firefox.errors() == []
