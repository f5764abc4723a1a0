"""Real headless Chromium (the system one, driven by Playwright) for the reading-list page. The page needs no
extension, so this conftest starts a plain browser; the extension's tests have their own conftest one level up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.browser.extension import BASE_FLAGS


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BASE_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()
