"""A reading-list tab outlives a daemon restart (an update, a reboot with autostart): the real daemon
(`papertray run --no-tray` as a subprocess) is stopped and started again on the same home and port, and the
page's cookie still opens the list. The file keeps only a hash of the cookie; a damaged file costs a new
login, never a crash."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.conftest import free_port
from tests.support.daemon import DaemonProcess
from tests.support.library_page import login, page_get

PAGE_LIST = "/library/api/papers"


def sessions_file(home: Path) -> Path:
    return home / "state" / "library-sessions.json"


def test_the_reading_list_session_survives_a_restart_and_the_file_holds_no_cookie(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    daemon = DaemonProcess(home, port=port).start()
    try:
        cookie = login(daemon)
        assert page_get(daemon, cookie, PAGE_LIST)[0] == 200
    finally:
        daemon.stop()
    saved = sessions_file(home)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert cookie.split("=", 1)[1] not in saved.read_text(), "the cookie itself is never written"

    daemon = DaemonProcess(home, port=port).start()
    try:
        assert page_get(daemon, cookie, PAGE_LIST)[0] == 200
        assert page_get(daemon, cookie + "x", PAGE_LIST)[0] == 401
    finally:
        daemon.stop()


def test_a_damaged_sessions_file_asks_for_a_new_login_and_is_kept_aside(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    daemon = DaemonProcess(home, port=port).start()
    try:
        cookie = login(daemon)
    finally:
        daemon.stop()
    sessions_file(home).write_text('{"schema": 1, "sessions": {"not a hash": 3}}')

    daemon = DaemonProcess(home, port=port).start()
    try:
        status, body, _ = page_get(daemon, cookie, PAGE_LIST)
        assert status == 401
        assert "Open the reading list from papertray" in json.loads(body)["error"]
        assert page_get(daemon, login(daemon), PAGE_LIST)[0] == 200
    finally:
        daemon.stop()
    assert list((home / "state").glob("library-sessions.json.corrupt-*")), "the damaged file is kept aside"
