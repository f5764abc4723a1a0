"""A hostile page where the content script runs (issue 11 item 1) learns nothing about the user's papers and changes
nothing: it pre-defines the element names, probes ids in every state, restyles the marks, clicks them from script,
hides a mark under a decoy for the user's real click, and hides links to papers it wants reported seen. What it
learned is read from the page's own world; what changed is read from the daemon's store through its API."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.extension import MARK_HEIGHT, MARK_WIDTH, ExtensionBrowser
from tests.browser.hostile.conftest import HIDDEN_FROM_EVERY_BROWSER, HIDDEN_FROM_HIT_TESTS, IDS, Probes, store
from tests.browser.test_with_daemon import by_id, pair, saved_ids, wait_for
from tests.support.daemon import DaemonProcess
from tests.support.https_pages import FixtureSite
from tests.support.marks import Mark

pytestmark = pytest.mark.browser


def open_marked(browser: ExtensionBrowser, url: str, count: int) -> tuple[Page, list[Mark]]:
    page = browser.open(url)
    assert browser.wait_marked(page) == {"marked": count, "ids": count}
    marks = browser.marks(page)
    assert len(marks) == count  # the marks are really there: what follows is not about an empty page
    return page, marks


@pytest.mark.parametrize("kind", ["probe", "csp"])
def test_s1_a_page_that_predefines_the_element_and_probes_ids_learns_nothing(
    browser: ExtensionBrowser,
    daemon: DaemonProcess,
    states: Probes,
    hostile: dict[str, str],
    kind: str,
    site: FixtureSite,
) -> None:
    pair(browser, daemon)
    ids = states.all()
    page, marks = open_marked(browser, hostile[kind], len(ids))
    shown = {m.id: (m.state, m.pressed) for m in marks}
    # The user sees every state (the marks work) ...
    assert shown == {
        states.new: ("new", False),
        states.saved: ("saved", True),
        states.read: ("read", False),
        states.seen: ("seen", False),
        states.unknown: ("unknown", False),
        states.old_saved: ("saved", True),
    }
    loot = page.evaluate("(ids) => probe(ids)", ids)
    # ... and the page got no mark upgraded to its class, no internals, no shadow root through its prototypes ...
    assert loot["upgraded"] == 0 and loot["internals"] == [] and loot["shadowRoots"] == 0
    # ... found no state word by searching the page's text, nothing in its timeline, markup or globals ...
    assert not any(loot["find"].values()), loot["find"]
    assert loot["timeline"] == [] and loot["userMarks"] == []
    assert loot["html"] is False and loot["globals"] == []
    # ... and every id it probed, known or not, in any state, looks exactly the same from the page.
    snapshots = loot["marks"]
    assert all(snapshots[pid] is not None for pid in ids), "a mark the page could not see is a membership answer"
    first = snapshots[ids[0]]
    for pid in ids[1:]:
        differing = {k for k in first if first[k] != snapshots[pid][k]}
        differing |= {k for k in first["computed"] if first["computed"][k] != snapshots[pid]["computed"].get(k)}
        assert differing == {"computed"} or not differing, (pid, differing)
    assert first["tag"] == "SPAN" and first["attributes"] == ["style"] and first["children"] == 0
    assert first["text"] == "" and first["inner"] == "" and first["selected"] == "" and first["shadowRoot"] == "null"
    assert first["reached"] == []  # no hit test handed the page a node inside a mark
    # The marks' words use only generic font families, which no @font-face of the page can stand in for.
    assert [path for _, path in site.requests if path.startswith("/font-probe/")] == []
    assert first["canAttach"] == "NotSupportedError"  # the page cannot put its own root in ours either
    assert (first["width"], first["height"]) == (MARK_WIDTH, MARK_HEIGHT)  # the marks' own styles apply
    # The strict page's policy blocks its own inline styles, and the browser says so; nothing else goes wrong.
    assert [e for e in browser.page_errors if "Content Security Policy" not in e] == []


def test_s1_page_css_and_inline_styles_cannot_hide_or_resize_a_mark(
    browser: ExtensionBrowser, daemon: DaemonProcess, states: Probes, hostile: dict[str, str]
) -> None:
    pair(browser, daemon)
    ids = states.all()
    page, _ = open_marked(browser, hostile["probe"], len(ids))
    before = page.evaluate("(ids) => probe(ids).marks", ids)
    page.evaluate("() => restyle()")
    page.wait_for_timeout(200)  # let the page's changes and the marks' answers settle
    after = page.evaluate("(ids) => probe(ids).marks", ids)
    for pid in ids:
        # Same box, same styles, the page's attributes gone again and its inline style replaced by ours.
        assert after[pid]["attributes"] == ["style"], after[pid]["attributes"]
        assert after[pid]["outer"] == before[pid]["outer"]
        for key in ("width", "height", "offsetWidth", "offsetHeight"):
            assert after[pid][key] == before[pid][key], (pid, key)
        for prop in ("display", "opacity", "visibility", "position", "transform", "width", "height"):
            assert after[pid]["computed"][prop] == before[pid]["computed"][prop], (pid, prop)
    # And the user still sees each mark and can use it.
    marks = by_id(browser.marks(page))
    browser.click(page, marks[states.new])
    wait_for(lambda: states.new in saved_ids(daemon), page, "the restyled mark to save on a real click")


def test_s1_programmatic_clicks_save_and_unsave_nothing(
    browser: ExtensionBrowser, daemon: DaemonProcess, states: Probes, hostile: dict[str, str]
) -> None:
    pair(browser, daemon)
    ids = states.all()
    before = store(daemon, ids)
    page, marks = open_marked(browser, hostile["probe"], len(ids))
    # Armed: a real click would count now, so nothing saved below means the page's clicks were refused.
    wait_for(lambda: all(browser.armed(page, m) for m in marks), page, "the marks to take clicks")
    assert page.evaluate("() => clickAll()") == len(ids)
    page.wait_for_timeout(1500)  # time for a save to reach the daemon, were one sent
    assert store(daemon, ids) == before
    assert {m.id: m.pressed for m in browser.marks(page)} == {m.id: m.pressed for m in marks}


def test_s1_a_decoy_over_a_mark_turns_no_real_click_into_a_save(
    browser: ExtensionBrowser, daemon: DaemonProcess, hostile: dict[str, str]
) -> None:
    pair(browser, daemon)
    page, marks = open_marked(browser, hostile["decoy"], 5)
    target = by_id(marks)
    # A sheet that lets the click through to the mark below: the user clicks "Claim your prize".
    page.evaluate(f"() => cover('{IDS[10]}', true, false)")
    browser.click(page, target[IDS[10]], wait_armed=False)
    # A sheet that vanishes as the button goes down, so the click lands on a mark the user never saw.
    page.evaluate(f"() => cover('{IDS[11]}', false, true)")
    browser.click(page, target[IDS[11]], wait_armed=False)
    # The mark inside a card the page made nearly transparent.
    page.evaluate(f"() => {{ document.querySelector('article[data-id=\"{IDS[12]}\"]').style.opacity = '0.01'; }}")
    page.wait_for_timeout(300)
    browser.click(page, target[IDS[12]], wait_armed=False)
    # The mark shrunk to a few pixels, where the user will click.
    page.evaluate(f"() => {{ document.querySelector('article[data-id=\"{IDS[14]}\"]').style.zoom = '0.05'; }}")
    page.wait_for_timeout(700)
    browser.click(page, target[IDS[14]], wait_armed=False)
    page.wait_for_timeout(1500)
    assert saved_ids(daemon) == set()
    # The same real click on a mark in plain view saves: the refusals above were the decoys'.
    browser.click(page, target[IDS[13]])
    wait_for(lambda: saved_ids(daemon) == {IDS[13]}, page, "the uncovered mark to save")


def test_s1_a_mark_slid_under_the_pointer_takes_no_click_until_it_has_stayed_there(
    browser: ExtensionBrowser, daemon: DaemonProcess, hostile: dict[str, str]
) -> None:
    pair(browser, daemon)
    page, marks = open_marked(browser, hostile["decoy"], 5)
    mark = by_id(marks)[IDS[10]]
    wait_for(lambda: browser.armed(page, mark), page, "the mark to take clicks where it is")
    # The user is about to click at (600, 300), on something of the page's; the page puts the mark there first.
    page.evaluate(f"() => slideUnder('{IDS[10]}', 600, 300)")
    page.mouse.click(600, 300)
    page.wait_for_timeout(1500)
    assert saved_ids(daemon) == set()
    # Once it has stayed where it is now for a moment, the user's click there counts.
    wait_for(lambda: browser.armed(page, mark), page, "the mark to take clicks where it is now")
    page.mouse.click(600, 300)
    wait_for(lambda: saved_ids(daemon) == {IDS[10]}, page, "the click on the settled mark to save")


def test_s1_links_the_user_cannot_see_are_not_reported_seen(
    browser: ExtensionBrowser, daemon: DaemonProcess, hostile: dict[str, str]
) -> None:
    pair(browser, daemon, seen_delay_ms=300)
    page, _ = open_marked(browser, hostile["invisible"], 10)
    hidden = set(HIDDEN_FROM_EVERY_BROWSER) | set(HIDDEN_FROM_HIT_TESTS)

    def seen() -> set[str]:
        return {pid for pid, (state, _, _) in store(daemon, IDS[20:30]).items() if state == "seen"}

    wait_for(lambda: IDS[20] in seen(), page, "the visible card to be reported seen")
    page.wait_for_timeout(2000)  # several seen delays and batches more
    assert seen() & hidden == set()
