"""Browser-tier fixtures: the fixture HTTPS site (session), a fresh Chromium with the extension per test, and
the real daemon fed from the fixture site's Daily Papers JSON."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright

from tests.browser.extension import ExtensionBrowser
from tests.conftest import free_port
from tests.support.daemon import DaemonProcess
from tests.support.https_pages import FixtureSite


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope, not session: sync Playwright keeps an event loop running on this thread while it lives,
    # which would break the asyncio tests of other tiers that run after the browser tests.
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright: Playwright, site: FixtureSite) -> Iterator[ExtensionBrowser]:
    b = ExtensionBrowser(playwright, site.resolver_rules())
    yield b
    b.close()


@pytest.fixture
def dead_port() -> int:
    """A loopback port nothing listens on: papertray "not running"."""
    return free_port()


@pytest.fixture
def daemon_home(tmp_path: Path) -> Path:
    return tmp_path / "papertray-home"


@pytest.fixture
def daemon(site: FixtureSite, daemon_home: Path) -> Iterator[DaemonProcess]:
    """The real daemon, its feed pointed at the fixture site and polled once: 50 new papers."""
    process = DaemonProcess(daemon_home, PAPERTRAY_HF_URL=site.feed_url).start()
    try:
        status, report = process.post("poll")
        assert status == 200 and len(report["new"]) == 50, report
        yield process
    finally:
        process.stop()
