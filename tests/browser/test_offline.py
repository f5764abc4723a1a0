"""papertray not running is a normal state: pages stay untouched, the popup and options page say so and how to
start it, and nothing throws."""

from __future__ import annotations

import pytest

from tests.browser.extension import ExtensionBrowser
from tests.support.https_pages import FixtureSite
from tests.support.vault_js import VAULT_TOKEN

pytestmark = pytest.mark.browser


def test_popup_says_papertray_is_not_running_and_how_to_start_it(browser: ExtensionBrowser, dead_port: int) -> None:
    browser.set_storage({"port": dead_port})
    popup = browser.open(browser.url("popup/popup.html"))
    status = popup.get_by_role("status")
    status.filter(has_text="not running").wait_for()
    assert "papertray is not running." in status.inner_text()
    assert popup.locator("#status code").inner_text() == "papertray run"
    assert popup.locator("#new-section").is_hidden()
    assert browser.page_errors == []


def test_i17_4_pages_say_quietly_when_papertray_is_not_running(
    browser: ExtensionBrowser, site: FixtureSite, dead_port: int
) -> None:
    # Before (issue 17 item 4): no marks at all, as if the extension were not installed.
    browser.set_storage({"port": dead_port, "token": "a-token-from-an-earlier-pairing"})
    for url in ("https://huggingface.co/papers/date/2025-07-31", "https://arxiv.org/list/cs.LG/new"):
        page = browser.open(url)
        detail = browser.wait_marked(page)
        marks = browser.marks(page)
        assert detail["marked"] == detail["ids"] == len(marks) > 0
        # The same mark as in every other state (the harness checks its markup), saying papertray is off.
        assert {(m.state, m.text) for m in marks} == {("offline", "\u25cc Off")}
        assert all("not running" in m.label for m in marks)
        assert browser.shadow_hosts(page) == len(marks)  # nothing else added to the page
    # The toolbar says so too, quietly: a grey "off", and why in its tooltip.
    assert browser.sw("() => chrome.action.getBadgeText({})") == "off"
    assert "not running" in browser.sw("() => chrome.action.getTitle({})")
    assert browser.page_errors == []


def test_unpaired_extension_leaves_pages_alone_without_asking_anything(
    browser: ExtensionBrowser, site: FixtureSite, dead_port: int
) -> None:
    browser.set_storage({"port": dead_port})
    page = browser.open("https://arxiv.org/abs/2507.90002")
    assert browser.wait_marked(page) == {"marked": 0, "ids": 1}
    # The only call is the options page's health check (it opens on install, issue 17 item 9): the page asked nothing.
    asked = {url.split(f":{dead_port}", 1)[1] for url in browser.requests if f":{dead_port}/" in url}
    assert asked <= {"/api/v1/health"}, asked


def test_options_page_pairing_while_not_running_explains_instead_of_failing(
    browser: ExtensionBrowser, dead_port: int
) -> None:
    browser.set_storage({"port": dead_port})
    options = browser.open(browser.url("options/options.html"))
    options.get_by_role("status").filter(has_text="not running").first.wait_for()
    assert options.locator("#pair-state").inner_text() == "Not paired yet."
    options.get_by_label("Code from papertray pair").fill("K7QM-3XPA")
    options.get_by_role("button", name="Pair").click()
    alert = options.locator("#pair-result")
    alert.filter(has_text="not running").wait_for()
    assert "Start it with papertray run" in alert.inner_text()
    assert browser.sw("() => chrome.storage.local.get('token')") == {}
    assert browser.page_errors == []


def test_settings_are_checked_and_kept(browser: ExtensionBrowser, dead_port: int) -> None:
    options = browser.open(browser.url("options/options.html"))
    options.locator("#port").fill(str(dead_port))
    options.locator("#seen-delay").fill("0.4")
    options.get_by_role("button", name="Save settings").click()
    options.locator("#settings-result").filter(has_text="Saved.").wait_for()
    stored = browser.sw("() => chrome.storage.local.get(['port', 'seenDelayMs'])")
    assert stored == {"port": dead_port, "seenDelayMs": 400}
    options.locator("#port").evaluate("el => { el.min = ''; el.max = ''; }")  # past the form's own check
    options.locator("#port").fill("80")
    options.get_by_role("button", name="Save settings").click()
    options.locator("#settings-result").filter(has_text="whole number").wait_for()
    assert browser.sw("() => chrome.storage.local.get('port')") == {"port": dead_port}


def test_content_scripts_cannot_pair_or_change_settings(
    browser: ExtensionBrowser, site: FixtureSite, dead_port: int
) -> None:
    browser.set_storage({"port": dead_port})
    page = browser.open("https://arxiv.org/abs/2507.90002")
    browser.wait_marked(page)
    # A message as a content script on arxiv.org would send it, delivered through the real router.
    sender = {
        "id": "x",
        "url": "https://arxiv.org/abs/2507.90002",
        "tab": {"id": 1, "url": "https://arxiv.org/abs/2507.90002"},
    }
    for message in ({"type": "pair", "code": "X"}, {"type": "setSettings", "settings": {"port": 2000}},
                    {"type": "unpair"}, {"type": "getSettings"}):  # fmt: skip
        reply = browser.sw("([m, s]) => papertray.dispatch(m, s)", [message, sender])
        assert reply["ok"] is False and reply["kind"] == "refused", message
    assert browser.sw("() => chrome.storage.local.get('port')") == {"port": dead_port}


def test_the_harness_sees_uncaught_errors_in_the_service_worker(browser: ExtensionBrowser) -> None:
    # Guards the "no uncaught error" assertions of the other tests: they would catch one.
    browser.sw("() => { Promise.reject(new Error('deliberate')); }")
    browser.context.pages[0].wait_for_timeout(300)
    assert any("deliberate" in error for error in browser.page_errors)


def test_content_scripts_cannot_read_the_token(browser: ExtensionBrowser, site: FixtureSite, dead_port: int) -> None:
    browser.set_storage({"port": dead_port, "token": "the-pairing-token"})
    _, in_content_script = browser.open_in_content_world("https://arxiv.org/abs/2507.90002")
    assert in_content_script("typeof PapertrayHooks") == "object"  # we are in papertray's content-script world
    answer = in_content_script(
        "chrome.storage.local.get(null).then(x => JSON.stringify(x), e => 'refused: ' + e.message)"
    )
    assert answer.startswith("refused:"), answer


def test_popup_tells_another_program_on_the_port_from_papertray(browser: ExtensionBrowser, site: FixtureSite) -> None:
    # The fixture site's plain HTTP port answers 404 without papertray's identity header, like any other program.
    browser.set_storage({"port": site.http_port, "token": "t"})
    popup = browser.open(browser.url("popup/popup.html"))
    status = popup.get_by_role("status")
    status.filter(has_text="Another program").wait_for()
    assert f"Another program answers on port {site.http_port}" in status.inner_text()
    assert "Check the port in the options page." in status.inner_text()


def test_popup_says_when_papertray_speaks_another_api_version(browser: ExtensionBrowser, site: FixtureSite) -> None:
    site.future_api = "2"
    try:
        browser.set_storage({"port": site.http_port, "token": "t"})
        popup = browser.open(browser.url("popup/popup.html"))
        status = popup.get_by_role("status")
        status.filter(has_text="API version").wait_for()
        assert status.inner_text().startswith("papertray 9.0.0 speaks API version 2; this extension needs version 1.")
        assert "Update papertray or this extension" in status.inner_text()
    finally:
        site.future_api = None


def test_a_token_an_earlier_version_left_in_storage_local_moves_to_the_vault(
    browser: ExtensionBrowser, dead_port: int
) -> None:
    """Versions before the vault kept the token in storage.local, which Firefox's content scripts can read."""
    browser.set_storage({"port": dead_port, "token": "pt_from-an-earlier-version"})
    popup = browser.open(browser.url("popup/popup.html"))  # asks for the status, which reads the settings
    popup.get_by_role("status").filter(has_text="not running").wait_for()
    assert "token" not in browser.sw("() => chrome.storage.local.get(null)")
    assert browser.sw(VAULT_TOKEN) == "pt_from-an-earlier-version"


def test_i17_9_installing_the_extension_opens_its_options_page(browser: ExtensionBrowser) -> None:
    # The harness loads the extension into a fresh profile: a first install, as a user's.
    options = browser.url("options/options.html")
    deadline = 100
    while not any(p.url == options for p in browser.context.pages):
        deadline -= 1
        assert deadline > 0, [p.url for p in browser.context.pages]
        browser.context.pages[0].wait_for_timeout(100)
    page = next(p for p in browser.context.pages if p.url == options)
    page.get_by_role("heading", name="papertray options").wait_for()
    assert page.get_by_label("Code from papertray pair").is_visible()
