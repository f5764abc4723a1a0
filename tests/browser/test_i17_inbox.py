"""The matches inbox (issue 17, item 2) in real Chromium with the real daemon: the popup's "New matches" opens it
through a one-time login; it lists the new papers the rules matched (rule, reason, upvotes), and Save, Dismiss
and "Mark all seen" reach papertray. Screenshots in light and dark are taken and checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from papertray.config import Paths, parse_config
from papertray.models import Paper
from papertray.rules import match
from tests.browser.extension import ExtensionBrowser
from tests.browser.test_with_daemon import pair, wait_for
from tests.support.daemon import DaemonProcess
from tests.support.https_pages import FixtureSite, feed_entries
from tests.support.screenshots import screenshot_path

pytestmark = pytest.mark.browser

RULES = """
[[rules]]
name = "interpretability"
keywords = ["sparse autoencoder", "mechanistic interpretability"]

[[rules]]
name = "state space"
keywords = ["state space model"]
exclude = ["survey"]
"""


def matched_ids() -> set[str]:
    """The fixture day's papers these rules match (titles and abstracts), by papertray's own matcher."""
    config = parse_config(RULES, Path("config.toml"), Paths.from_env({"PAPERTRAY_HOME": "/nonexistent"}), env={})
    papers = [
        Paper(
            id=e["paper"]["id"],
            title=e["paper"]["title"],
            summary=e["paper"].get("summary") or "",
            ai_keywords=tuple(e["paper"].get("ai_keywords") or ()),
        )
        for e in feed_entries(50)
    ]
    return {p.id for p in papers if match(p, config.rules)}


@pytest.fixture
def daemon(site: FixtureSite, daemon_home: Path) -> Iterator[DaemonProcess]:
    daemon_home.mkdir(parents=True, exist_ok=True)
    (daemon_home / "config.toml").write_text(RULES, encoding="utf-8")
    process = DaemonProcess(daemon_home, PAPERTRAY_HF_URL=site.feed_url).start()
    try:
        status, report = process.post("poll")
        assert status == 200 and len(report["new"]) == 50, report
        yield process
    finally:
        process.stop()


def mean_brightness(path: Path) -> float:
    image = Image.open(path).convert("L")
    histogram = image.histogram()
    return sum(level * count for level, count in enumerate(histogram)) / sum(histogram)


def test_i17_2_the_popup_opens_the_matches_inbox_and_its_actions_reach_papertray(
    browser: ExtensionBrowser, daemon: DaemonProcess
) -> None:
    expected = matched_ids()
    # "Sparse Autoencoders" and "State Space Models" in titles, found only through the plural; surveys excluded.
    assert {"2507.90015", "2507.90014", "2507.90044"} <= expected
    assert not {"2507.90020", "2507.90021"} & expected
    pair(browser, daemon)
    popup = browser.open(browser.url("popup/popup.html"))
    popup.get_by_role("status").filter(has_text="is running").wait_for()
    with browser.context.expect_page() as opened:
        popup.get_by_role("button", name="New matches").click()
    inbox = opened.value
    inbox.wait_for_url(f"http://127.0.0.1:{daemon.port}/library/inbox")
    cards = inbox.locator("#list li.match")
    cards.first.wait_for()
    assert set(cards.evaluate_all("cs => cs.map(c => c.dataset.id)")) == expected
    assert daemon.token not in inbox.content()
    sae = inbox.locator('li[data-id="2507.90015"]')
    assert "interpretability" in sae.locator(".why").inner_text()
    assert '"sparse autoencoder" in title' in sae.locator(".why").inner_text()
    assert "▲ 13" in sae.locator(".upvotes").inner_text()
    assert inbox.locator("#summary").inner_text() == f"{len(expected)} new matches waiting"

    light = screenshot_path("inbox-light.png")
    inbox.set_viewport_size({"width": 1000, "height": 760})
    inbox.screenshot(path=str(light), animations="disabled", caret="hide")
    inbox.emulate_media(color_scheme="dark")
    dark = screenshot_path("inbox-dark.png")
    inbox.screenshot(path=str(dark), animations="disabled", caret="hide")
    assert mean_brightness(light) > 180 > 80 > mean_brightness(dark)

    sae.get_by_role("button", name="Save Towards Principled").click()
    sae.locator('button.save[aria-pressed="true"]').wait_for()
    wait_for(lambda: daemon.get("papers/2507.90015")[1]["saved"] is True, inbox, "the save to reach papertray")
    mamba = inbox.locator('li[data-id="2507.90034"]')
    mamba.locator("button.dismiss").click()
    mamba.locator('button.dismiss[aria-pressed="true"]').wait_for()
    wait_for(lambda: daemon.get("papers/2507.90034")[1]["dismissed"] is True, inbox, "the dismissal")
    left = len(expected) - 2
    assert inbox.locator("#summary").inner_text() == f"{left} new matches waiting"

    inbox.get_by_role("button", name="Mark all seen").click()
    inbox.locator("#message").filter(has_text=f"Marked {left} papers seen.").wait_for()
    states = {pid: daemon.get(f"papers/{pid}")[1]["state"] for pid in expected - {"2507.90015", "2507.90034"}}
    assert set(states.values()) == {"seen"}, states
    inbox.reload()
    inbox.locator("#empty").filter(has_text="No new paper matches your rules").wait_for()
    assert browser.page_errors == []


def test_i17_1_with_no_rules_the_popup_invites_interests_and_the_inbox_form_writes_them(
    browser: ExtensionBrowser, site: FixtureSite, tmp_path: Path
) -> None:
    home = tmp_path / "fresh-home"
    process = DaemonProcess(home, PAPERTRAY_HF_URL=site.feed_url).start()
    try:
        assert process.post("poll")[0] == 200
        pair(browser, process)
        popup = browser.open(browser.url("popup/popup.html"))
        invite = popup.locator("#invite")
        invite.filter(has_text="You have no interests yet").wait_for()
        with browser.context.expect_page() as opened:
            popup.get_by_role("button", name="Add your interests").click()
        inbox = opened.value
        form = inbox.locator("#interests")
        form.wait_for()
        inbox.get_by_label("Topics, in a few words").fill("sparse autoencoder, mechanistic interpretability")
        inbox.get_by_role("button", name="Add my interests").click()
        inbox.locator("#message").filter(has_text='Added the rule "my interests" to config.toml').wait_for()
        # The daemon applies the edit and the inbox lists the stored papers the new rule matches.
        inbox.locator('li[data-id="2507.90015"]').wait_for(timeout=15_000)
        config = (home / "config.toml").read_text(encoding="utf-8")
        assert "# Interest rules: a new paper that matches a rule" in config  # the comments stay
        assert 'keywords = ["sparse autoencoder", "mechanistic interpretability"]' in config
        assert browser.page_errors == []
    finally:
        process.stop()
