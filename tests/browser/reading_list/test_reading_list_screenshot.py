"""The README's picture of the reading list, taken from the real page: the real library routes and downloader
over a temp store, PDFs fetched from a local paper server, a morning's saves with tags, a note and a read paper.
The picture is checked for what it must show; `make screenshots` writes it to docs/screenshots/reading-list.png."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.support.https_pages import feed_entries
from tests.support.library_site import LibrarySite
from tests.support.paper_server import PaperServer
from tests.support.screenshots import screenshot_path

pytestmark = pytest.mark.browser

ENTRIES = feed_entries(6)
IDS = [e["paper"]["id"] for e in ENTRIES]
TAGS = {IDS[0]: ["neuro", "vision"], IDS[2]: ["efficiency"], IDS[3]: ["interp"]}
NOTE = (IDS[0], "Attention as routing: compare with the population receptive field maps in section 4.")
READ = IDS[1]


@pytest.fixture
def library(tmp_path: Path) -> Iterator[LibrarySite]:
    with PaperServer() as papers:
        for entry in ENTRIES:
            paper = entry["paper"]
            authors = [a["name"] for a in paper["authors"]]
            added = papers.add(paper["id"], title=paper["title"], authors=authors, summary=paper["summary"])
            added.published = paper["publishedAt"]  # the arXiv date that goes with the id, as the real API says
        with LibrarySite(tmp_path / "home", papers) as site:
            # Saved one after the other, oldest first, so "Newest saved" lists them in reverse. Save times have
            # millisecond resolution: two saves in the same millisecond would tie, so they are spaced apart.
            for pid in reversed(IDS):
                site.call(site.store.update_state(pid, saved=True))
                time.sleep(0.003)
            for pid, tags in TAGS.items():
                site.call(site.store.update_state(pid, tags=tags))
            site.call(site.store.update_state(NOTE[0], note=NOTE[1]))
            site.call(site.store.update_state(READ, read=True))
            for pid in IDS:
                site.wait_downloaded(pid)
            yield site


async def test_screenshot_of_the_reading_list(chromium: Browser, library: LibrarySite) -> None:
    context = await chromium.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        await page.goto(library.login_url())
        await page.wait_for_selector('body[data-ready="true"]')
        cards = page.locator("li.card")
        await expect(cards).to_have_count(len(IDS))
        assert await cards.evaluate_all("cs => cs.map(c => c.dataset.id)") == IDS
        first = page.locator(f'li.card[data-id="{IDS[0]}"]')
        await expect(first.locator(".title")).to_have_text(ENTRIES[0]["paper"]["title"])
        await expect(first.locator(".tag-list .tag > :first-child")).to_have_text(TAGS[IDS[0]])
        await expect(first.locator(".note")).to_have_value(NOTE[1])
        await expect(first.locator(".pdf")).to_be_visible()
        await expect(page.locator(f'li.card[data-id="{READ}"] .badge')).to_have_text("Read")
        await expect(first.locator(".badge")).to_have_text("Unread")
        # The picture shows the first card whole and the read one below it.
        await expect(first).to_be_in_viewport(ratio=1)
        await expect(page.locator(f'li.card[data-id="{READ}"] .badge')).to_be_in_viewport()
        shot = screenshot_path("reading-list.png")
        await page.screenshot(path=str(shot), animations="disabled", caret="hide")
        assert shot.stat().st_size < 300_000
        assert problems == []
    finally:
        await context.close()
