"""Issue 13: a saved paper's new version on the page, in real Chromium with the extension, against the real
daemon: "v3 new" beside Saved on the fixture Hugging Face and arXiv pages, inside the same mark (same box, same
size as every other state), once a feed brought the paper with a higher version than the user had."""

from __future__ import annotations

import copy
import json

import pytest

from tests.browser.extension import ExtensionBrowser
from tests.browser.test_with_daemon import HF_LIST, IDS, pair, wait_for
from tests.support.daemon import DaemonProcess
from tests.support.https_pages import FixtureSite, feed_entries

pytestmark = pytest.mark.browser

HF_PAPER, ARXIV_PAPER = IDS[0], IDS[1]  # the fixture site has an HF paper page for the one, an abs page for the other


def feed_with_versions(version: int) -> bytes:
    """The same Daily Papers answer, with both saved papers listed at `version` (as a replacement would)."""
    entries = copy.deepcopy(feed_entries(50))
    for entry in entries:
        if entry["paper"]["id"] in (HF_PAPER, ARXIV_PAPER):
            entry["paper"]["id"] = f"{entry['paper']['id']}v{version}"
    return json.dumps(entries).encode()


def test_i13_2_the_mark_says_v3_new_beside_saved_on_hf_and_arxiv_pages(
    browser: ExtensionBrowser, daemon: DaemonProcess, site: FixtureSite
) -> None:
    pair(browser, daemon)
    original = site.pages["/api/daily_papers"]
    try:
        # Hugging Face lists both papers at v2; the user saves them (v2 is what they have); then v3 comes.
        site.pages["/api/daily_papers"] = ("application/json", feed_with_versions(2))
        assert daemon.post("poll")[0] == 200
        for paper_id in (HF_PAPER, ARXIV_PAPER, IDS[2]):
            assert daemon.post(f"papers/{paper_id}/save")[0] == 200
        site.pages["/api/daily_papers"] = ("application/json", feed_with_versions(3))
        assert daemon.post("poll")[0] == 200
        options = browser.open(browser.url("options/options.html"))
        wait_for(
            lambda: daemon.post("lookup", {"ids": [HF_PAPER]})[1]["papers"][HF_PAPER].get("new_version") == 3,
            options,
            "the daemon to see the new version",
        )
        options.close()
    finally:
        site.pages["/api/daily_papers"] = original

    for url, paper_id in (
        (f"https://huggingface.co/papers/{HF_PAPER}", HF_PAPER),
        (f"https://arxiv.org/abs/{ARXIV_PAPER}", ARXIV_PAPER),
    ):
        page = browser.open(url)
        browser.wait_marked(page)
        [mark] = browser.marks(page)
        assert (mark.id, mark.state, mark.text, mark.button, mark.pressed) == (
            paper_id,
            "version",
            "\u25cf v3 new",
            "\u2605 Saved",
            True,
        )
        assert mark.label == "papertray: version 3 of this saved paper is new"

    # On the list, the mark with the news is the same size as every other mark.
    page = browser.open(HF_LIST)
    browser.wait_marked(page)
    marks = {m.id: m for m in browser.marks(page)}
    assert marks[HF_PAPER].text == marks[ARXIV_PAPER].text == "\u25cf v3 new"
    assert marks[IDS[2]].text == "\u25cb Seen" and marks[IDS[2]].button == "\u2605 Saved"  # saved, no new version
    sizes = page.evaluate(
        "() => [...document.querySelectorAll('article span')].filter(s => s.shadowRoot === null && s.style.width)"
        ".map(s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height])"
    )
    assert len({tuple(size) for size in sizes}) == 1, sizes
    assert browser.page_errors == []
