"""Firefox-tier fixtures: the fixture HTTPS site (session), a fresh headless Firefox ESR with the extension per test
(reaching the site under its real hostnames through a local CONNECT proxy), and the real daemon fed from the site's
Daily Papers JSON."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# The hostile pages and the probe papers' states, shared with the Chromium tier (test_hostile.py).
from tests.browser.hostile.conftest import hostile, states  # noqa: F401
from tests.support.daemon import DaemonProcess
from tests.support.firefox import FIREFOX, Firefox
from tests.support.https_pages import HOSTS, FixtureSite


@pytest.fixture
def firefox(site: FixtureSite) -> Iterator[Firefox]:
    if not FIREFOX.exists():
        pytest.skip(f"{FIREFOX} is not installed (.ci/install-system-deps installs firefox-esr)")
    browser = Firefox(hosts=HOSTS, tunnel_port=site.https_port).start()
    try:
        yield browser
    finally:
        browser.stop()


@pytest.fixture
def daemon(site: FixtureSite, tmp_path: Path) -> Iterator[DaemonProcess]:
    """The real daemon, its feed pointed at the fixture site and polled once: 50 new papers."""
    process = DaemonProcess(tmp_path / "papertray-home", PAPERTRAY_HF_URL=site.feed_url).start()
    try:
        status, report = process.post("poll")
        assert status == 200 and len(report["new"]) == 50, report
        yield process
    finally:
        process.stop()
