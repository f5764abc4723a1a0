"""The reading list by keyboard alone, in real headless Chromium against the real library routes (issue 17,
item 6): focus stays where the user was after a tag, a note, marking read and removing; it moves to Undo after a
removal and comes back with the paper; the shortcuts (`/`, `j`/`k`, `r`, `t`, `x`, `?`, Ctrl+Z); Copy BibTeX."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.reading_list.test_reading_list import card, open_page, until
from tests.support.library_site import LibrarySite
from tests.support.paper_server import PaperServer

pytestmark = pytest.mark.browser

WEATHER = "2310.00002"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LibrarySite]:
    with PaperServer() as papers:
        papers.add("2307.12345", title="Sparse Autoencoders Find Interpretable Features", authors=["Ada Lovelace"])
        papers.add(WEATHER, title="Diffusion Models for Weather", authors=["Grace Hopper"])
        papers.add("2311.00003", title="A Third Paper", authors=["Alan Turing"])
        with LibrarySite(tmp_path / "home", papers) as s:
            ids = ["2307.12345", WEATHER, "2311.00003"]
            for pid in ids:  # saved one after the other: "Newest saved" lists 2311.00003 first
                s.call(s.store.update_state(pid, saved=True))
            for pid in ids:
                s.wait_downloaded(pid)
            yield s


async def focused(page: Page) -> str:
    """Which element holds the focus: its card's id and its class (or id), e.g. '2310.00002 .note'."""
    return str(
        await page.evaluate(
            """() => {
              const el = document.activeElement;
              const li = el && el.closest("li.card");
              const what = el === li ? "card" : el.id ? "#" + el.id : "." + el.classList[0];
              return (li ? li.dataset.id + " " : "") + what;
            }"""
        )
    )


async def tab_to(page: Page, target: str, limit: int = 8) -> None:
    for _ in range(limit):
        if await focused(page) == target:
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}; the focus is on {await focused(page)}")


async def test_i17_6_tag_note_read_and_remove_by_keyboard_keep_the_focus(chromium: Browser, site: LibrarySite) -> None:
    page, dialogs, problems = await open_page(chromium, site)
    weather = card(page, WEATHER)
    await weather.locator(".tag-input").focus()

    # Two tags typed one after the other: the second used to go nowhere (the list was rebuilt under the field).
    await page.keyboard.type("climate")
    await page.keyboard.press("Enter")
    await page.keyboard.type("forecast")
    await page.keyboard.press("Enter")
    await until(lambda: site.store.get_state(WEATHER).tags == ("climate", "forecast"))
    assert await focused(page) == f"{WEATHER} .tag-input"
    await expect(weather.locator(".tag-list .tag > :first-child")).to_have_text(["climate", "forecast"])

    # On to the note, typed, then away: saved.
    await page.keyboard.press("Tab")
    assert await focused(page) == f"{WEATHER} .note"
    await page.keyboard.type("Check the ensemble in section 4")
    await page.keyboard.press("Tab")
    await until(lambda: site.store.get_state(WEATHER).note == "Check the ensemble in section 4")

    # Mark read from the keyboard: the button keeps the focus (and says what it does now).
    await tab_to(page, f"{WEATHER} .read-toggle")
    await page.keyboard.press("Enter")
    await until(lambda: site.store.get_state(WEATHER).read)
    await expect(weather.locator(".read-toggle")).to_have_text("Mark unread")
    assert await focused(page) == f"{WEATHER} .read-toggle"

    # Remove: the focus goes to Undo; Enter brings the paper back, with its tags, and the focus onto it.
    await tab_to(page, f"{WEATHER} .delete")
    await page.keyboard.press("Enter")
    await until(lambda: not site.store.get_state(WEATHER).saved)
    await expect(page.locator("#toast-undo")).to_be_focused()
    await page.keyboard.press("Enter")
    await until(lambda: site.store.get_state(WEATHER).saved)
    await expect(weather).to_be_focused()
    assert site.store.get_state(WEATHER).tags == ("climate", "forecast")
    assert dialogs == [] and problems == []


async def test_i17_6_shortcuts_and_their_help(chromium: Browser, site: LibrarySite) -> None:
    page, dialogs, problems = await open_page(chromium, site)
    order = await page.eval_on_selector_all("li.card", "els => els.map(e => e.dataset.id)")
    assert order == ["2311.00003", WEATHER, "2307.12345"]

    await page.keyboard.press("/")
    await expect(page.locator("#search")).to_be_focused()
    await page.keyboard.press("Escape")
    await page.keyboard.press("j")
    assert await focused(page) == "2311.00003 card"
    await page.keyboard.press("j")
    await page.keyboard.press("j")
    await page.keyboard.press("k")
    assert await focused(page) == f"{WEATHER} card"

    await page.keyboard.press("r")
    await until(lambda: site.store.get_state(WEATHER).read)
    assert await focused(page) == f"{WEATHER} card"

    await page.keyboard.press("t")
    assert await focused(page) == f"{WEATHER} .tag-input"
    await page.keyboard.type("later")
    await page.keyboard.press("Enter")
    await until(lambda: site.store.get_state(WEATHER).tags == ("later",))
    await page.keyboard.press("Escape")  # out of the field, back on its card: shortcuts work again
    assert await focused(page) == f"{WEATHER} card"

    # Remove by the selection, then Ctrl+Z.
    await page.keyboard.press("x")
    await expect(page.locator("#bulk")).to_be_visible()
    await expect(page.locator("#bulk-count")).to_have_text("1 of 3 selected")
    await page.click("#bulk .bulk-remove")
    await until(lambda: not site.store.get_state(WEATHER).saved)
    await expect(page.locator("li.card")).to_have_count(2)
    await page.keyboard.press("Control+z")
    await until(lambda: site.store.get_state(WEATHER).saved)
    await expect(page.locator("li.card")).to_have_count(3)

    await page.keyboard.press("Shift+?")
    help_box = page.locator("#help")
    await expect(help_box).to_be_visible()
    for key in ("/", "j / k", "r", "t", "Ctrl+Z", "?"):
        await expect(help_box.locator("dt kbd", has_text=key).first).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(help_box).to_be_hidden()
    assert dialogs == [] and problems == []


async def test_i17_6_copy_bibtex_copies_the_papers_entry_with_its_key(chromium: Browser, site: LibrarySite) -> None:
    page, _dialogs, problems = await open_page(chromium, site)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    await card(page, "2307.12345").locator(".copy-bib").click()
    await expect(page.locator("#toast-text")).to_contain_text("Copied the BibTeX")
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@misc{lovelace")
    assert "title = {{Sparse Autoencoders Find Interpretable Features}}" in copied
    assert "eprint = {2307.12345}" in copied
    key = site.store.get_state("2307.12345").cite_key
    assert copied.startswith(f"@misc{{{key},") and key.startswith("lovelace20")
    assert problems == []
