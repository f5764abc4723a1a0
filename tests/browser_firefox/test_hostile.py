"""The hostile pages of tests/browser/hostile/ in Firefox, where they apply (issue 11 item 1): a page that pre-defines
the element names and probes ids in every state learns nothing, its clicks from script change nothing, a decoy over
a mark turns no real click into a save, and links it hides are not reported seen. Firefox has no
IntersectionObserver v2: for "seen", sheets that let the pointer through are caught only by Chromium's occlusion
tracking (the Chromium tier tests those)."""

from __future__ import annotations

import pytest

from tests.browser.hostile.conftest import HIDDEN_FROM_EVERY_BROWSER, IDS, Probes, store
from tests.browser_firefox.test_extension import pair
from tests.support.daemon import DaemonProcess
from tests.support.firefox import Firefox, Tab, wait_until
from tests.support.https_pages import FixtureSite
from tests.support.marks import Mark

pytestmark = pytest.mark.browser


def open_marked(firefox: Firefox, url: str, count: int) -> tuple[Tab, list[Mark]]:
    page = firefox.open(url)
    assert page.wait_marked() == {"marked": count, "ids": count}
    marks = page.marks()
    assert len(marks) == count  # the marks are really there
    return page, marks


def test_s1_firefox_a_page_that_predefines_the_element_and_probes_ids_learns_nothing(
    firefox: Firefox, daemon: DaemonProcess, states: Probes, hostile: dict[str, str], site: FixtureSite
) -> None:
    pair(firefox, daemon)
    ids = states.all()
    page, marks = open_marked(firefox, hostile["probe"], len(ids))
    assert {m.id: (m.state, m.pressed) for m in marks} == {
        states.new: ("new", False),
        states.saved: ("saved", True),
        states.read: ("read", False),
        states.seen: ("seen", False),
        states.unknown: ("unknown", False),
        states.old_saved: ("saved", True),
    }
    loot = page.call("(ids) => probe(ids)", ids)
    assert loot["upgraded"] == 0 and loot["internals"] == [] and loot["shadowRoots"] == 0
    assert not any(loot["find"].values()), loot["find"]
    assert loot["timeline"] == [] and loot["userMarks"] == []
    assert loot["html"] is False and loot["globals"] == []
    first = loot["marks"][ids[0]]
    for pid in ids[1:]:
        other = loot["marks"][pid]
        assert other is not None, pid
        assert {k for k in first if k != "computed" and first[k] != other[k]} == set(), pid
        assert {k for k in first["computed"] if first["computed"][k] != other["computed"].get(k)} == set(), pid
    assert first["tag"] == "SPAN" and first["attributes"] == ["style"] and first["text"] == ""
    assert first["reached"] == []  # no hit test (caretPositionFromPoint included) handed the page a node inside
    assert [path for _, path in site.requests if path.startswith("/font-probe/")] == []  # no page font used
    assert firefox.errors() == []


def test_s1_firefox_programmatic_clicks_save_and_unsave_nothing(
    firefox: Firefox, daemon: DaemonProcess, states: Probes, hostile: dict[str, str]
) -> None:
    pair(firefox, daemon)
    ids = states.all()
    before = store(daemon, ids)
    page, _ = open_marked(firefox, hostile["probe"], len(ids))
    # Armed: a real click would count now, so nothing saved below means the page's clicks were refused.
    wait_until(lambda: all(m.armed for m in page.marks()), "the marks to take clicks")
    assert page.evaluate("clickAll()") == len(ids)
    page.evaluate("new Promise((done) => setTimeout(done, 1500))")  # time for a save to arrive, were one sent
    assert store(daemon, ids) == before
    # The user's own click still works on the same page.
    new = next(m for m in page.marks() if m.id == states.new)
    page.click_mark(new)
    wait_until(lambda: store(daemon, [states.new])[states.new][1], "the user's click to save")


def test_s1_firefox_links_the_user_cannot_see_are_not_reported_seen(
    firefox: Firefox, daemon: DaemonProcess, hostile: dict[str, str]
) -> None:
    pair(firefox, daemon, seen_delay_s=0.3)
    page, _ = open_marked(firefox, hostile["invisible"], 10)

    def seen() -> set[str]:
        return {pid for pid, (state, _, _) in store(daemon, IDS[20:30]).items() if state == "seen"}

    wait_until(lambda: IDS[20] in seen(), "the visible card to be reported seen")
    page.evaluate("new Promise((done) => setTimeout(done, 2500))")  # several seen delays and re-checks more
    assert seen() & set(HIDDEN_FROM_EVERY_BROWSER) == set()


def test_s1_firefox_a_decoy_over_a_mark_turns_no_real_click_into_a_save(
    firefox: Firefox, daemon: DaemonProcess, hostile: dict[str, str]
) -> None:
    pair(firefox, daemon)
    page, marks = open_marked(firefox, hostile["decoy"], 5)
    target = {m.id: m for m in marks}
    wait_until(lambda: all(m.armed for m in page.marks()), "the marks to take clicks")
    # A sheet that lets the click through to the mark below: the user clicks "Claim your prize". Firefox cannot
    # track occlusion; the click itself looks under such sheets.
    page.evaluate(f"cover('{IDS[10]}', true, false)")
    page.click_mark(target[IDS[10]], wait_armed=False)
    # The mark inside a card the page made nearly transparent.
    page.evaluate(f"document.querySelector('article[data-id=\"{IDS[12]}\"]').style.opacity = '0.01'")
    page.click_mark(target[IDS[12]], wait_armed=False)
    # The mark shrunk to a few pixels, where the user will click (armed before, at full size).
    page.evaluate(f"document.querySelector('article[data-id=\"{IDS[14]}\"]').style.zoom = '0.05'")
    page.click_mark(target[IDS[14]], wait_armed=False)
    page.evaluate("new Promise((done) => setTimeout(done, 1500))")
    untouched = ("new", False, False)
    assert store(daemon, [IDS[10], IDS[12], IDS[14]]) == dict.fromkeys([IDS[10], IDS[12], IDS[14]], untouched)
    # The decoy is put back as the page left it: the check changed nothing the page can see.
    assert page.evaluate(
        "document.querySelector('div[data-own]').getAttribute('style').includes('pointer-events: none')"
    )
    # The same real click on a mark in plain view saves: the refusals above were the decoys'.
    page.click_mark(target[IDS[13]])
    wait_until(lambda: store(daemon, [IDS[13]])[IDS[13]][1], "the uncovered mark to save")


def test_s1_firefox_page_css_and_inline_styles_cannot_hide_or_resize_a_mark(
    firefox: Firefox, daemon: DaemonProcess, states: Probes, hostile: dict[str, str]
) -> None:
    pair(firefox, daemon)
    ids = states.all()
    page, _ = open_marked(firefox, hostile["probe"], len(ids))
    before = page.call("(ids) => probe(ids).marks", ids)
    page.evaluate("restyle()")
    page.evaluate("new Promise((done) => setTimeout(done, 200))")  # the page's changes and the marks' answers
    after = page.call("(ids) => probe(ids).marks", ids)
    for pid in ids:
        assert after[pid]["attributes"] == ["style"], after[pid]["attributes"]
        assert after[pid]["outer"] == before[pid]["outer"]
        for key in ("width", "height", "offsetWidth", "offsetHeight"):
            assert after[pid][key] == before[pid][key], (pid, key)
        for prop in ("display", "opacity", "visibility", "position", "transform", "width", "height"):
            assert after[pid]["computed"][prop] == before[pid]["computed"][prop], (pid, prop)
    # And the user still sees each mark and can use it.
    new = next(m for m in page.marks() if m.id == states.new)
    page.click_mark(new)
    wait_until(lambda: store(daemon, [states.new])[states.new][1], "the restyled mark to save on a real click")
