"""The reading list at 305 papers (issue 17, item 6), in real headless Chromium against the real library routes,
with 305 real arXiv papers from the shared corpus: one line per paper (today 305 papers made an 89,753 px page),
"n of N", expand on demand, sort by upvotes, and a selection marked read, tagged, exported and removed with one
Undo. Screenshots of the compact and the expanded list, light and dark."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from papertray.models import Paper
from tests.browser.reading_list.test_reading_list import card, open_page, until
from tests.support.library_site import LibrarySite
from tests.support.paper_server import PaperServer
from tests.support.screenshots import screenshot_path

pytestmark = pytest.mark.browser

CORPUS = Path("/work/shared/fixtures/arxiv-corpus/papers.jsonl.gz")
COUNT = 305
WORD = "diffusion"


def corpus() -> list[dict[str, Any]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in itertools.islice(lines, COUNT)]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    if not CORPUS.exists():
        pytest.skip("the shared arXiv corpus is not on this machine")
    return corpus()


@pytest.fixture
def site(tmp_path: Path, records: list[dict[str, Any]]) -> Iterator[LibrarySite]:
    with PaperServer() as papers:
        for r in records:
            # arXiv's metadata only (as for a paper HF never listed): the upvotes given below stay the only ones.
            added = papers.add(r["id"], title=r["title"], authors=r["authors"], summary=r["abstract"], on_hf=False)
            added.published = f"{r['date']}T00:00:00Z"  # the day arXiv announced it, as the real API says
        with LibrarySite(tmp_path / "home", papers, download_pdfs=False) as s:
            s.call(
                s.store.add_papers(
                    [
                        Paper(
                            id=r["id"],
                            title=r["title"],
                            authors=tuple(r["authors"]),
                            summary=r["abstract"],
                            published_at=f"{r['date']}T00:00:00Z",
                            upvotes=n % 37,
                            sources=("arxiv:" + r["primary"],),
                        )
                        for n, r in enumerate(records)
                    ]
                )
            )
            s.call(s.store.update_states({r["id"]: {"saved": True} for r in records}))
            yield s


def matching(records: list[dict[str, Any]], word: str) -> list[str]:
    """What the page's own search finds: every word in the title, abstract, authors or id."""
    return [
        r["id"]
        for r in records
        if word in "\n".join([r["title"], r["abstract"], " ".join(r["authors"]), r["id"]]).lower()
    ]


async def heights(page: Page) -> list[int]:
    return list(await page.eval_on_selector_all("#list > li.card", "els => els.map(e => e.offsetHeight)"))


async def test_i17_6_three_hundred_papers_one_line_each_with_n_of_n(
    chromium: Browser, site: LibrarySite, records: list[dict[str, Any]]
) -> None:
    page, dialogs, problems = await open_page(chromium, site)
    await expect(page.locator("#count")).to_have_text(f"{COUNT} of {COUNT}")
    await expect(page.locator("#list")).to_have_class("list compact")
    rows = await heights(page)
    assert len(rows) == COUNT
    line = await page.evaluate("parseFloat(getComputedStyle(document.querySelector('#list .title')).lineHeight)")
    assert max(rows) < 2 * line + 16  # one line of text each, however long the title
    page_height = await page.evaluate("document.documentElement.scrollHeight")
    assert page_height < COUNT * (2 * line + 16) + 1000  # (today: 89,753 px for 305 papers)

    # Search: "n of N".
    found = matching(records, WORD)
    assert 0 < len(found) < COUNT
    await page.fill("#search", WORD)
    await expect(page.locator("#count")).to_have_text(f"{len(found)} of {COUNT}")
    await page.fill("#search", "")

    # One paper opens in place; the others stay one line.
    first = page.locator("#list > li.card").first
    await first.locator(".expand").click()
    await expect(first.locator(".expand")).to_have_attribute("aria-expanded", "true")
    await expect(first.locator(".abstract summary")).to_be_visible()
    await expect(first.locator(".tag-input")).to_be_visible()
    await expect(page.locator("#list > li.card").nth(1).locator(".tag-input")).to_be_hidden()

    # Sort by upvotes.
    await page.select_option("#sort", "upvotes-desc")
    top = max(records, key=lambda r: (records.index(r) % 37, -int(r["id"].replace(".", ""))))
    await expect(page.locator("#list > li.card").first).to_have_attribute("data-id", top["id"])

    # A selection: the matches of a search, marked read, tagged, exported, removed, and undone at once.
    await page.fill("#search", WORD)
    await page.click("#select-all")
    await expect(page.locator("#bulk-count")).to_have_text(f"{len(found)} of {len(found)} selected")
    await page.click("#bulk .bulk-read")
    await until(lambda: all(site.store.get_state(pid).read for pid in found))
    await page.fill("#bulk-tag", "generative")
    await page.press("#bulk-tag", "Enter")
    await until(lambda: all(site.store.get_state(pid).tags == ("generative",) for pid in found))
    async with page.expect_download() as info:
        await page.click("#bulk .bulk-export")
    exported = Path(await (await info.value).path()).read_text(encoding="utf-8")
    assert exported.count("@misc{") == len(found)
    assert all(f"eprint = {{{pid}}}" in exported for pid in found)
    await page.click("#bulk .bulk-remove")
    await until(lambda: not any(site.store.get_state(pid).saved for pid in found))
    await expect(page.locator("#toast-text")).to_have_text(f"Removed {len(found)} papers.")
    await page.fill("#search", "")
    await expect(page.locator("#count")).to_have_text(f"{COUNT - len(found)} of {COUNT - len(found)}")
    await page.click("#toast-undo")
    await until(lambda: all(site.store.get_state(pid).saved for pid in found))
    await expect(page.locator("#count")).to_have_text(f"{COUNT} of {COUNT}")
    assert all(site.store.get_state(pid).tags == ("generative",) for pid in found)

    # The whole list exported at once (more ids than one request line holds); the removed ones left the selection.
    await expect(page.locator("#bulk")).to_be_hidden()
    await page.click("#select-all")
    await expect(page.locator("#bulk-count")).to_have_text(f"{COUNT} of {COUNT} selected")
    async with page.expect_download() as info:
        await page.click("#bulk .bulk-export")
    assert Path(await (await info.value).path()).read_text(encoding="utf-8").count("@misc{") == COUNT
    await page.click("#bulk .bulk-clear")
    await expect(page.locator("#bulk")).to_be_hidden()

    # The expanded view, on demand.
    await page.click("#density")
    await expect(page.locator("#density")).to_have_attribute("aria-pressed", "false")
    await expect(card(page, found[0]).locator(".tag-input")).to_be_visible()
    assert dialogs == [] and problems == []


async def test_i17_6_screenshots_compact_and_expanded_light_and_dark(
    chromium: Browser, site: LibrarySite, tmp_path: Path
) -> None:
    """The compact pictures are the README's (`make screenshots`); the expanded ones stay with the test (the README
    shows the expanded list from test_reading_list_screenshot.py)."""
    for scheme in ("light", "dark"):
        context = await chromium.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
        try:
            page = await context.new_page()
            await page.goto(site.login_url())
            await page.wait_for_selector('body[data-ready="true"]')
            await page.locator("#list > li.card").nth(1).locator(".expand").click()
            await page.locator("#list > li.card").nth(2).locator(".select").check()
            suffix = "" if scheme == "light" else "-dark"
            await expect(page.locator("#list")).to_have_class("list compact")
            shot = screenshot_path(f"reading-list-compact{suffix}.png")
            await page.screenshot(path=str(shot), animations="disabled", caret="hide")
            assert shot.stat().st_size < 400_000
            await page.click("#density")
            await expect(page.locator("#list")).to_have_class("list")
            shot = tmp_path / f"reading-list-expanded{suffix}.png"
            await page.screenshot(path=str(shot), animations="disabled", caret="hide")
            assert shot.stat().st_size < 400_000
            background = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
            assert (background == "rgb(20, 22, 27)") == (scheme == "dark")
        finally:
            await context.close()
