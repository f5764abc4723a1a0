"""A Firefox user stays paired when Firefox clears data: across a browser restart (the extension installed for good,
not as a temporary add-on, which Firefox removes on close with its data; paired through the options page; Firefox
closed as a user closes it and started again on the same profile), checked with Firefox's defaults and with "Clear
cookies and site data every time you close Firefox" ticked in its settings (earlier versions: "Delete cookies and site
data when Firefox is closed"), the setting privacy-minded users pick; and after clearing all browsing data by hand.
A web page's own storage on huggingface.co is the witness that the clearing really ran: kept by a plain restart, gone
after the others. Firefox clears only http, https and file origins' storage (PrincipalsCollector, ClearDataService),
so the extension's own origin, where its vault is, keeps its data."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser_firefox.test_extension import HF_LIST, IDS, pair
from tests.support.daemon import DaemonProcess
from tests.support.firefox import FIREFOX, Firefox
from tests.support.https_pages import HOSTS, FixtureSite
from tests.support.vault_js import VAULT_TOKEN

pytestmark = pytest.mark.browser

Launch = Callable[[], Firefox]
PAIRED = "document.getElementById('pair-state').innerText === 'This browser is paired with papertray.'"

# The setting as Firefox 153 ESR words it in about:preferences#privacy (config/privacy.mjs, setting "deleteOnClose").
DELETE_ON_CLOSE = "Clear cookies and site data every time you close Firefox"
# Everything "Clear browsing data" can clear (sanitizeDialog.js: its boxes' ids), for the time range "Everything".
CLEAR_EVERYTHING_JS = """ChromeUtils.importESModule('resource:///modules/Sanitizer.sys.mjs').Sanitizer.sanitize(
  ['browsingHistoryAndDownloads', 'cookiesAndStorage', 'cache', 'siteSettings', 'formdata'],
  {ignoreTimespan: true, range: null}).then(() => true)"""
PREFS_JS = """['privacy.sanitize.sanitizeOnShutdown', 'privacy.clearOnShutdown_v2.cookiesAndStorage']
  .map((name) => Services.prefs.getBoolPref(name))"""

# The web page's own data on huggingface.co: one localStorage item and one IndexedDB record.
WRITE_SITE_DATA = """() => new Promise((resolve, reject) => {
  localStorage.setItem('witness', 'kept');
  const request = indexedDB.open('witness', 1);
  request.onupgradeneeded = () => request.result.createObjectStore('s');
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const tx = request.result.transaction('s', 'readwrite');
    tx.objectStore('s').put('kept', 'k');
    tx.oncomplete = () => { request.result.close(); resolve(true); };
    tx.onerror = () => reject(tx.error);
  };
})"""

READ_SITE_DATA = """() => new Promise((resolve) => {
  const stored = localStorage.getItem('witness');
  const request = indexedDB.open('witness');
  request.onupgradeneeded = () => request.transaction.abort();
  request.onerror = () => resolve({localStorage: stored, indexedDB: null});
  request.onsuccess = () => {
    const db = request.result;
    const read = db.transaction('s').objectStore('s').get('k');
    read.onsuccess = () => { db.close(); resolve({localStorage: stored, indexedDB: read.result ?? null}); };
  };
})"""


@pytest.fixture
def launch(site: FixtureSite, tmp_path: Path) -> Iterator[Launch]:
    """Start Firefox on one profile that outlives each run of it, the extension installed permanently (on the first
    run); every Firefox started is stopped at teardown."""
    if not FIREFOX.exists():
        pytest.skip(f"{FIREFOX} is not installed (.ci/install-system-deps installs firefox-esr)")
    started: list[Firefox] = []
    profile = tmp_path / "firefox-profile"

    def start() -> Firefox:
        browser = Firefox(hosts=HOSTS, tunnel_port=site.https_port, profile=profile, permanent=True)
        started.append(browser)
        return browser.start()

    yield start
    for browser in started:
        browser.stop()


def vault_token(firefox: Firefox) -> str:
    options = firefox.open(firefox.url("options/options.html"))
    token = str(options.call(VAULT_TOKEN))
    options.close()
    return token


def delete_data_on_close(firefox: Firefox) -> None:
    """Tick "Clear cookies and site data every time you close Firefox" in Firefox's settings, as a user does."""
    settings = firefox.open("about:preferences#privacy")
    box = "document.getElementById('deleteOnClose')"
    settings.wait_for(f"{box}?.label === {json.dumps(DELETE_ON_CLOSE)} && !{box}.disabled", "the setting")
    assert settings.evaluate(f"{box}.checked") is False
    settings.click(settings.locate("#deleteOnClose"))
    settings.wait_for(f"{box}.checked", "the box to be ticked")
    assert firefox.chrome_evaluate(PREFS_JS) == [True, True]  # clear on shutdown: cookies and storage
    settings.close()


def restart(launch: Launch, daemon: DaemonProcess, *, delete_on_close: bool) -> dict[str, str | None]:
    """Pair, leave a witness on huggingface.co, close Firefox, start it again; checks the pairing held and returns
    what is left of the witness."""
    first = launch()
    try:
        assert first.installed_now
        if delete_on_close:
            delete_data_on_close(first)
        installed = first.chrome_evaluate(
            f"AddonManager.getAddonByID('{first.extension_id}').then((a) => [a.isActive, a.temporarilyInstalled])"
        )
        assert installed == [True, False]  # installed for good, as from a file
        pair(first, daemon)
        token = vault_token(first)
        assert token.startswith("pt_")
        page = first.open(HF_LIST)
        assert page.wait_marked() == {"marked": 50, "ids": 50}
        assert page.call(WRITE_SITE_DATA) is True
        assert page.call(READ_SITE_DATA) == {"localStorage": "kept", "indexedDB": "kept"}
    finally:
        first.stop()
    assert first.closed_cleanly, first.output()  # it closed itself, so its shutdown work (clearing data) ran

    second = launch()
    try:
        assert not second.installed_now  # the same install, started by Firefox itself
        # The setting stayed as the user left it (what it clears is ticked by default; whether it runs is the switch).
        assert second.chrome_evaluate(PREFS_JS) == [delete_on_close, True]
        options = second.open(second.url("options/options.html"))
        options.wait_for(PAIRED, "the options page to say paired")
        assert options.call(VAULT_TOKEN) == token
        options.close()
        page = second.open(HF_LIST)
        # The lookups reach the daemon (the port setting was kept too) and authenticate with the kept token: every
        # card marked, as before the restart.
        assert page.wait_marked() == {"marked": 50, "ids": 50}
        assert [m.id for m in page.marks()] == IDS
        _, status = daemon.get("status")
        assert status["paired_extensions"] == 1  # no second pairing happened
        witness: dict[str, str | None] = page.call(READ_SITE_DATA)
        assert second.errors() == []
    finally:
        second.stop()
    return witness


def test_pairing_survives_a_restart(launch: Launch, daemon: DaemonProcess) -> None:
    witness = restart(launch, daemon, delete_on_close=False)
    assert witness == {"localStorage": "kept", "indexedDB": "kept"}  # a plain restart keeps site data


def test_pairing_survives_a_restart_that_deletes_cookies_and_site_data(launch: Launch, daemon: DaemonProcess) -> None:
    witness = restart(launch, daemon, delete_on_close=True)
    # The setting ran: the page's data on huggingface.co is gone, while the extension's vault was kept (above).
    assert witness == {"localStorage": None, "indexedDB": None}


def test_pairing_survives_clearing_all_browsing_data(firefox: Firefox, daemon: DaemonProcess) -> None:
    pair(firefox, daemon)
    token = vault_token(firefox)
    page = firefox.open(HF_LIST)
    assert page.wait_marked() == {"marked": 50, "ids": 50}
    assert page.call(WRITE_SITE_DATA) is True

    # What "Clear browsing data" does with every box ticked and the time range "Everything" (its Clear button calls
    # Sanitizer.sanitize with the ticked items).
    assert firefox.chrome_evaluate(CLEAR_EVERYTHING_JS) is True
    firefox.suspend_background()  # nothing the background kept in memory: the next lookups read the vault
    page.reload()
    assert page.call(READ_SITE_DATA) == {"localStorage": None, "indexedDB": None}  # the clearing ran
    assert page.wait_marked() == {"marked": 50, "ids": 50}
    options = firefox.open(firefox.url("options/options.html"))
    options.wait_for(PAIRED, "the options page to say paired")
    assert options.call(VAULT_TOKEN) == token
    assert firefox.errors() == []
