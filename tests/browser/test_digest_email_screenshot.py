"""Issue 15: the email digest as a mail client shows it. The message comes through a real SMTP server (aiosmtpd
with STARTTLS and AUTH); its HTML part, parsed with Python's email package, is rendered in real headless Chromium
with JavaScript off and every network request blocked (as a careful mail client does), and must still show the
papers. `make screenshots` writes the picture to docs/screenshots/digest-email.png."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from playwright.async_api import Route, async_playwright, expect

from tests.browser.extension import BASE_FLAGS
from tests.support.digest_world import DAY1, World, world_fixture  # noqa: F401 (the `world` fixture)
from tests.support.screenshots import screenshot_path
from tests.support.smtp_server import SmtpServer, make_certificate

pytestmark = pytest.mark.browser


async def test_screenshot_of_the_digest_email(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server = SmtpServer(cert, key).start()
    try:
        world.configure(server.port)
        assert (await world.service().send_now(force_empty=False)).status == "sent"
    finally:
        server.stop()
    message = email.message_from_bytes(server.box.messages[0], policy=email.policy.default)
    part = message.get_body(("html",))  # type: ignore[attr-defined]
    assert part is not None
    html = part.get_content()

    requests: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BASE_FLAGS)
        try:
            context = await browser.new_context(viewport={"width": 760, "height": 900}, java_script_enabled=False)

            async def block(route: Route) -> None:
                requests.append(route.request.url)
                await route.abort()

            await context.route("**/*", block)
            page = await context.new_page()
            await page.set_content(html)
            await expect(page.get_by_text("Sparse autoencoder features in small models")).to_be_visible()
            await expect(page.get_by_role("heading", name="Rule matches")).to_be_visible()
            await expect(page.get_by_text("Zoë Ångström-Łukasz").first).to_be_visible()
            await expect(page.get_by_role("link", name="PDF").first).to_have_attribute(
                "href", "https://arxiv.org/pdf/2603.01001"
            )
            # the hostile title is shown as text, not run or rendered as markup
            await expect(page.get_by_text("<script>alert(1)</script>", exact=False)).to_be_visible()
            await expect(page.get_by_text("<b>bold</b>", exact=False)).to_be_visible()
            assert await page.locator("script, img").count() == 0
            shot = screenshot_path("digest-email.png")
            await page.screenshot(path=str(shot), full_page=True, animations="disabled", caret="hide")
            assert shot.stat().st_size < 300_000
        finally:
            await browser.close()
    assert requests == []  # nothing fetched: no remote images, fonts or trackers
