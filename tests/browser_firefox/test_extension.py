"""The shipped extension in real Firefox ESR against the real daemon: pairing through the options page, a mark with
the right state on every card of the Hugging Face and arXiv list pages (under their real hostnames), and one click
on a mark's button saving the paper in papertray."""

from __future__ import annotations

import re

import pytest

from tests.support.daemon import DaemonProcess, run_cli
from tests.support.firefox import EXTENSION_ORIGIN, Firefox, Mark, Tab, wait_until
from tests.support.https_pages import UNKNOWN_IDS, feed_entries

pytestmark = pytest.mark.browser

HF_LIST = "https://huggingface.co/papers/date/2025-07-31"
ARXIV_LIST = "https://arxiv.org/list/cs.LG/new"
IDS = [e["paper"]["id"] for e in feed_entries(50)]
CODE = re.compile(r"Pairing code: (\S+)")


def pair_with(options: Tab, daemon: DaemonProcess, code: str) -> None:
    """What a user does on the options page: the daemon's port, Save settings, then the code and Pair."""
    options.fill("#port", str(daemon.port))
    options.click(options.locate("#settings-form button[type=submit]"))
    options.wait_for("document.getElementById('settings-result').innerText === 'Saved.'", "the port to be saved")
    options.fill("#pair-code", code)
    options.click(options.locate("#pair-button"))
    options.wait_for("document.getElementById('pair-result').innerText !== 'Pairing…'", "the pairing answer")


def pair(firefox: Firefox, daemon: DaemonProcess) -> None:
    status, body = daemon.post("pair/code")
    assert status == 201, body
    options = firefox.open(firefox.url("options/options.html"))
    pair_with(options, daemon, body["code"])
    assert options.text("#pair-result") == "Paired."
    options.close()


def by_id(marks: list[Mark]) -> dict[str, Mark]:
    return {m.id: m for m in marks}


def saved_ids(daemon: DaemonProcess) -> set[str]:
    status, body = daemon.get("papers?state=saved&limit=100")
    assert status == 200
    return {p["id"] for p in body["papers"]}


def test_pairing_through_the_options_page(firefox: Firefox, daemon: DaemonProcess) -> None:
    options = firefox.open(firefox.url("options/options.html"))
    options.wait_for("document.getElementById('pair-state').innerText === 'Not paired yet.'", "the pairing state")

    # A wrong code is refused with a sentence and pairs nothing.
    pair_with(options, daemon, "WRNG-CODE")
    assert options.evaluate("document.getElementById('pair-result').classList.contains('error')") is True
    assert options.text("#pair-state") == "Not paired yet."

    # The code `papertray pair` prints, typed into the page.
    printed = run_cli(daemon.home, "pair", env=daemon.env)
    assert printed.returncode == 0, printed.stderr
    match = CODE.search(printed.stdout)
    assert match, printed.stdout
    pair_with(options, daemon, match.group(1))
    assert options.text("#pair-result") == "Paired."
    assert options.text("#pair-state") == "This browser is paired with papertray."
    options.wait_for("document.getElementById('status').innerText.includes('is running')", "the running status")

    _, status = daemon.get("status")
    assert status["paired_extensions"] == 1
    # The daemon pinned the token to this Firefox install's moz-extension origin, and says so.
    listed = run_cli(daemon.home, "token", "list", env=daemon.env)
    assert f"paired with {EXTENSION_ORIGIN}" in listed.stdout, listed.stdout
    assert firefox.errors() == []


def test_every_card_gets_the_right_state(firefox: Firefox, daemon: DaemonProcess) -> None:
    pair(firefox, daemon)
    assert daemon.post(f"papers/{IDS[1]}/save")[0] == 200
    assert daemon.request("PATCH", f"papers/{IDS[2]}", {"read": True})[0] == 200
    assert daemon.post("seen", {"ids": [IDS[3]]})[0] == 200
    expected = {pid: "new" for pid in IDS} | {IDS[1]: "saved", IDS[2]: "read", IDS[3]: "seen"}

    page = firefox.open(HF_LIST)
    assert page.wait_marked() == {"marked": 50, "ids": 50}
    marks = page.marks()
    assert [m.id for m in marks] == IDS  # one mark per card, in page order
    assert all(m.container == "ARTICLE" for m in marks)
    assert {m.id: m.state for m in marks} == expected
    readable = by_id(marks)
    assert readable[IDS[0]].text == "\u25cf New" and "new paper" in readable[IDS[0]].label
    assert readable[IDS[0]].button == "Save" and not readable[IDS[0]].pressed
    assert readable[IDS[1]].text == "\u2605 Saved" and readable[IDS[1]].label == "papertray: saved"
    assert readable[IDS[1]].button == "Unsave" and readable[IDS[1]].pressed
    assert readable[IDS[2]].text == "\u2713 Read"
    assert readable[IDS[3]].text == "\u25cb Seen"

    arxiv = firefox.open(ARXIV_LIST)
    assert arxiv.wait_marked() == {"marked": 6, "ids": 6 + len(UNKNOWN_IDS)}
    marks = arxiv.marks()
    assert [m.id for m in marks] == IDS[:6]  # papers papertray never saw stay unmarked
    assert all(m.container == "DT" for m in marks)
    assert {m.id: m.state for m in marks} == {pid: expected[pid] for pid in IDS[:6]}
    assert firefox.errors() == []


def test_one_click_on_a_card_saves_the_paper(firefox: Firefox, daemon: DaemonProcess) -> None:
    pair(firefox, daemon)
    page = firefox.open(HF_LIST)
    page.wait_marked()
    target = by_id(page.marks())[IDS[9]]
    assert target.button == "Save" and not target.pressed
    page.click(target.button_ref)
    wait_until(lambda: by_id(page.marks())[IDS[9]].state == "saved", "the card to show Saved")
    saved = by_id(page.marks())[IDS[9]]
    assert saved.text == "\u2605 Saved" and saved.button == "Unsave" and saved.pressed
    assert saved_ids(daemon) == {IDS[9]}
    assert page.url == HF_LIST  # the click did not follow the card's link

    page.reload()
    page.wait_marked()
    saved = by_id(page.marks())[IDS[9]]
    assert saved.state == "saved" and saved.pressed

    page.click(saved.button_ref)  # unsave: a paper the user saved has been seen, so it stays seen
    wait_until(lambda: by_id(page.marks())[IDS[9]].button == "Save", "the card to offer Save again")
    assert by_id(page.marks())[IDS[9]].state == "seen"
    assert saved_ids(daemon) == set()

    # The same on an arXiv listing: the mark appended to the entry's <dt> saves with one click.
    arxiv = firefox.open(ARXIV_LIST)
    arxiv.wait_marked()
    entry = by_id(arxiv.marks())[IDS[4]]
    assert entry.container == "DT" and entry.button == "Save"
    arxiv.click(entry.button_ref)
    wait_until(lambda: by_id(arxiv.marks())[IDS[4]].state == "saved", "the arXiv entry to show Saved")
    assert saved_ids(daemon) == {IDS[4]}
    assert arxiv.url == ARXIV_LIST
    assert firefox.errors() == []


def test_save_from_the_popup_updates_the_open_page(firefox: Firefox, daemon: DaemonProcess) -> None:
    pair(firefox, daemon)
    page = firefox.open(HF_LIST)
    page.wait_marked()
    popup = firefox.open(firefox.url("popup/popup.html"))
    popup.wait_for("document.getElementById('status').innerText.includes('is running')", "the running status")
    popup.wait_for("document.querySelectorAll('#new-list li[data-id]').length > 0", "the new papers")
    assert popup.evaluate("document.querySelectorAll('#new-list li').length") == 20
    assert popup.text("#new-heading") == "New papers (none today yet) \u00b7 50 in all"
    pid = popup.evaluate("document.querySelector('#new-list li').dataset.id")
    assert pid in IDS
    popup.click(popup.locate("#new-list li button"))
    popup.wait_for("document.querySelector('#new-list li button').getAttribute('aria-pressed') === 'true'", "Unsave")
    assert saved_ids(daemon) == {pid}
    # The worker tells every open tab; the Daily Papers page follows without a reload.
    wait_until(lambda: by_id(page.marks())[pid].state == "saved", "the open page to show the paper saved")
    assert firefox.errors() == []
