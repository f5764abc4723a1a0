"""The reading list in real Chromium, light and dark (prefers-color-scheme emulated), compact and expanded (issue
17, item 8): axe-core finds no serious or critical violation, with a PDF to open, a read paper, tags, a paper
waiting to download, the selection bar, the Undo toast and the shortcuts' help on screen; the focus ring on Undo
and a hovered "Open PDF" keep their contrast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.reading_list.test_reading_list import card, until
from tests.support.axe import COLOURS, CONTRAST, RUN, axe_source, summary
from tests.support.library_site import LibrarySite
from tests.support.paper_server import PaperServer

pytestmark = pytest.mark.browser

IDS = ["2307.12345", "2310.00002", "2311.00003", "2312.00004"]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LibrarySite]:
    with PaperServer() as papers:
        for n, pid in enumerate(IDS):
            papers.add(pid, title=f"Paper {n}: sparse features", authors=["Ada Lovelace", "Alan Turing"])
        with LibrarySite(tmp_path / "home", papers) as s:
            for pid in IDS:
                s.call(s.store.update_state(pid, saved=True))
            s.call(s.store.update_state(IDS[1], read=True, tags=["interp", "vision"], note="Section 3."))
            for pid in IDS:
                s.wait_downloaded(pid)
            yield s


async def violations(page: Page) -> list[str]:
    assert await page.evaluate(axe_source()) == "object"
    return list(await page.evaluate(RUN))


async def contrast(page: Page, a: str, b: str) -> float:
    return float(await page.evaluate(CONTRAST, [a, b]))


async def test_i17_8_reading_list_light_and_dark_compact_and_expanded(chromium: Browser, site: LibrarySite) -> None:
    for scheme in ("light", "dark"):
        context = await chromium.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
        try:
            page = await context.new_page()
            await page.goto(site.login_url())
            await page.wait_for_selector('body[data-ready="true"]')
            # A paper still waiting for its PDF (as right after a save), drawn by the page's own styles.
            waiting = card(page, IDS[3]).locator(".download")
            await waiting.evaluate("el => { el.textContent = 'Waiting to download…'; el.classList.add('busy'); }")
            await card(page, IDS[2]).locator(".select").check()
            await expect(page.locator("#bulk")).to_be_visible()
            for view in ("expanded", "compact"):
                if view == "compact":
                    await page.click("#density")
                    await expect(page.locator("#list")).to_have_class("list compact")
                    await card(page, IDS[0]).locator(".expand").click()
                where = f"reading list ({scheme}, {view})"
                assert await violations(page) == [], f"{where}:\n{summary(await violations(page))}"

            # "Open PDF" hovered.
            pdf = card(page, IDS[0]).locator(".pdf")
            await pdf.hover()
            seen = await pdf.evaluate(COLOURS)
            assert await contrast(page, seen["text"], seen["background"]) >= 4.5, (scheme, seen)

            # Removal: the toast, its Undo focused, its ring visible against the toast.
            await card(page, IDS[0]).locator(".delete").click()
            await expect(page.locator("#toast-undo")).to_be_focused()
            await page.keyboard.press("Shift+Tab")
            await page.keyboard.press("Tab")
            await expect(page.locator("#toast-undo")).to_be_focused()
            seen = await page.locator("#toast-undo").evaluate(COLOURS)
            assert await contrast(page, seen["outline"], seen["ring"]) >= 3, (scheme, seen)
            assert await violations(page) == [], f"{scheme} with the toast:\n{summary(await violations(page))}"
            await page.keyboard.press("Enter")
            await until(lambda: site.store.get_state(IDS[0]).saved)

            await page.keyboard.press("?")
            await expect(page.locator("#help")).to_be_visible()
            assert await violations(page) == [], f"{scheme} with the help:\n{summary(await violations(page))}"
            await page.keyboard.press("Escape")
        finally:
            await context.close()
