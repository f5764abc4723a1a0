"""Issue 13: a saved paper's new version told once on a real notification server (dunst over a private D-Bus
session bus), by the real daemon (`papertray run --no-tray`), whose daily check finds it through the export API
of a fixture arXiv; its PDF lands beside the old one; a restart tells nothing again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from papertray.timestamps import iso_z, utc_now
from tests.support.arxiv_daemon import library_pdfs, start_with_arxiv
from tests.support.desktop_session import DesktopSession, wait_for
from tests.support.paper_server import PaperServer

pytestmark = pytest.mark.desktop

PAPER = "2307.12345"
TITLE = "Sparse circuits in small transformers"


@pytest.fixture
def servers() -> Iterator[tuple[PaperServer, PaperServer]]:
    with PaperServer() as arxiv, PaperServer() as hf:
        arxiv.add(PAPER, title=TITLE, version=2, on_hf=False)
        yield arxiv, hf


def test_i13_2_v3_of_a_saved_paper_is_told_once_and_its_pdf_lands_beside_v2(
    tmp_path: Path, dunst: DesktopSession, servers: tuple[PaperServer, PaperServer]
) -> None:
    arxiv, hf = servers
    home = tmp_path / "home"
    # The daemon talks to this test's dunst, as a desktop session's daemon would.
    bus = {k: v for k, v in dunst.env().items() if k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
    first = start_with_arxiv(home, arxiv, hf, **bus)
    try:
        assert first.post(f"papers/{PAPER}/save")[0] == 200
        wait_for(lambda: library_pdfs(home, PAPER) == [f"{PAPER}v2.pdf"], "the v2 PDF", timeout=60)
    finally:
        first.stop()
    assert dunst.displayed_count() == 0  # saving a paper tells nothing about its versions

    arxiv.new_version(PAPER, updated=iso_z(utc_now() + timedelta(seconds=1)))  # arXiv announces v3
    second = start_with_arxiv(home, arxiv, hf, **bus)
    try:
        wait_for(lambda: dunst.displayed_count() >= 1, "the notification", timeout=60)
        wait_for(lambda: library_pdfs(home, PAPER) == [f"{PAPER}v2.pdf", f"{PAPER}v3.pdf"], "the v3 PDF", timeout=60)
        assert second.post("poll")[0] == 200  # another look after a poll: nothing more to tell
    finally:
        second.stop()
    shown = dunst.close_all_and_read()
    assert [(n["appname"], n["summary"]) for n in shown] == [("papertray", f"v3 of {TITLE} is out")]
    assert "beside v2" in shown[0]["body"]

    third = start_with_arxiv(home, arxiv, hf, **bus)
    try:
        assert third.post("poll")[0] == 200
        _, status = third.get("status")
        assert [(n["id"], n["version"], n["told"]) for n in status["versions"]["new"]] == [(PAPER, 3, True)]
    finally:
        third.stop()
    assert dunst.displayed_count() == 0 and len(dunst.history()) == 1  # told once, across restarts
