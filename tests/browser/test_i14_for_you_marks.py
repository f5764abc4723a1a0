"""Issue 14, the page side: "★ For you" on the mark of a top-ranked card (the same mark, its reasons only inside
the closed shadow root) and the opt-in dimming of the day's bottom half on HF and arXiv lists.

The daemon of this branch does not send ranking fields yet: these tests run against a real aiohttp server that
answers look-ups with them (tests/support/ranked_api.py), to the contract `rank` (0..1 within the day, or null),
`why` (short text) and `for_you` (in the day's top)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.browser.extension import ExtensionBrowser
from tests.browser.test_with_daemon import HF_LIST, IDS, by_id, wait_for
from tests.support.https_pages import UNKNOWN_IDS, FixtureSite
from tests.support.ranked_api import RankedApi
from tests.support.screenshots import screenshot_path

pytestmark = pytest.mark.browser

TOKEN = "pt_ranked-fixture-token"
WHY = "for you: quokkaformer, circuits"  # words in no fixture page
TOP = IDS[:5]
BOTTOM = IDS[25:]  # rank below one half


def ranks() -> dict[str, tuple[float | None, str, bool]]:
    table: dict[str, tuple[float | None, str, bool]] = {
        pid: (round(1 - i / 49, 3), WHY if pid in TOP else "", pid in TOP) for i, pid in enumerate(IDS)
    }
    table[IDS[10]] = (None, "", False)  # not ranked: never dimmed
    table |= {pid: (0.1, "", False) for pid in UNKNOWN_IDS}
    return table


@pytest.fixture
def ranked(site: FixtureSite) -> Iterator[RankedApi]:
    with RankedApi(TOKEN, ranks()) as api:
        yield api


# The page's own view of a card: the inline opacity of everything in it (what a page script can read).
OPACITIES = """() => Object.fromEntries([...document.querySelectorAll('article')].map((card) => {
  const id = card.querySelector('a[href^="/papers/"]').getAttribute('href').split('/')[2].split('#')[0];
  const page = [...card.querySelectorAll('*')].filter((el) => el.style.width !== '156px');  // not the mark host
  return [id, page.map((el) => el.style.opacity).filter(Boolean)];
}))"""
# The mark's own opacity as drawn: the product over its ancestors (the page can compute this for any element).
MARK_OPACITY = """(id) => {
  const card = [...document.querySelectorAll('article')].find((c) => c.querySelector(`a[href="/papers/${id}"]`));
  let node = [...card.querySelectorAll('span')].find((s) => s.style.width === '156px');
  let opacity = 1;
  for (; node; node = node.parentElement) opacity *= Number(getComputedStyle(node).opacity);
  return opacity;
}"""


def open_ranked(browser: ExtensionBrowser, ranked: RankedApi, url: str, **settings: object) -> Page:
    browser.set_storage({"port": ranked.port, "token": TOKEN, "seenDelayMs": 60_000, **settings})
    page = browser.open(url)
    browser.wait_marked(page)
    return page


def test_i14_top_ranked_cards_say_for_you_with_the_reasons_inside_the_mark(
    browser: ExtensionBrowser, ranked: RankedApi
) -> None:
    page = open_ranked(browser, ranked, HF_LIST)
    page.screenshot(path=screenshot_path("marks-for-you.png"))
    marks = by_id(browser.marks(page))
    assert len(marks) == 50
    for pid in TOP:
        assert marks[pid].text == "\u2605 For you", marks[pid]
        assert marks[pid].state == "new"
        assert marks[pid].label == f"papertray: new paper, not seen before; ranked for you: {WHY}"
        assert marks[pid].button == "\u2606 Save"
    assert all(marks[pid].text == "\u25cf New" for pid in IDS[5:])
    # The reasons are nowhere the page can read: not in its DOM, its text, or the mark hosts (closed shadow roots).
    assert "quokkaformer" not in page.content()
    assert "quokkaformer" not in page.evaluate("() => document.body.innerText")
    # Dimming is opt-in: off by default, nothing on the page is made translucent.
    assert all(v == [] for v in page.evaluate(OPACITIES).values())
    assert browser.page_errors == []


def test_i14_dimming_the_bottom_half_is_opt_in_and_keeps_the_marks_usable(
    browser: ExtensionBrowser, ranked: RankedApi
) -> None:
    browser.set_storage({"port": ranked.port, "token": TOKEN})
    options = browser.open(browser.url("options/options.html"))
    box = options.get_by_label("Dim the bottom half of each day, by your ranking, on Hugging Face and arXiv lists")
    box.wait_for()
    assert not box.is_checked()
    assert "can see which cards are dimmed" in options.locator("#dim-note").inner_text()
    box.check()
    options.get_by_role("button", name="Save settings").click()
    options.locator("#settings-result").filter(has_text="Saved.").wait_for()
    assert browser.sw("() => chrome.storage.local.get('dimRanked')") == {"dimRanked": True}

    page = open_ranked(browser, ranked, HF_LIST, seenDelayMs=60_000)
    page.evaluate("() => document.querySelectorAll('article')[22].scrollIntoView()")
    page.wait_for_timeout(200)
    page.screenshot(path=screenshot_path("marks-dimmed-bottom-half.png"))
    dimmed = page.evaluate(OPACITIES)
    for pid in IDS:
        if pid in BOTTOM:
            assert dimmed[pid] and set(dimmed[pid]) == {"0.45"}, pid
        else:
            assert dimmed[pid] == [], pid  # the top half, and the unranked card
    # The mark of a dimmed card is not dimmed, and takes a click.
    assert page.evaluate(MARK_OPACITY, BOTTOM[-1]) == 1
    target = by_id(browser.marks(page))[BOTTOM[-1]]
    browser.click(page, target)
    wait_for(lambda: by_id(browser.marks(page))[BOTTOM[-1]].pressed, page, "the dimmed card's paper to be saved")
    assert ranked.saved == {BOTTOM[-1]}

    # arXiv lists too: the <dt> (but its mark) and its <dd>.
    arxiv = open_ranked(browser, ranked, "https://arxiv.org/list/cs.LG/new")
    entries = arxiv.evaluate(
        """() => [...document.querySelectorAll('dl#articles dt')].map((dt) => [dt.querySelector('a[title=Abstract]').id,
             dt.nextElementSibling.style.opacity])"""
    )
    assert dict(entries) == {pid: "" for pid in IDS[:6]} | dict.fromkeys(UNKNOWN_IDS, "0.45")
    assert browser.page_errors == []
