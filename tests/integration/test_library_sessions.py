"""A reading-list tab outlives a daemon restart (an update, a reboot with autostart): the real daemon
(`papertray run --no-tray` as a subprocess) is stopped and started again on the same home and port, and the
page's session still opens the list. The file keeps only a hash of the session secret; a damaged file costs a
new login, never a crash. Every session can be ended at once from the command line."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support.daemon import DaemonProcess, run_cli
from tests.support.library_page import login, page_get

PAGE_LIST = "/library/api/papers"


def sessions_file(home: Path) -> Path:
    return home / "state" / "library-sessions.json"


def test_the_reading_list_session_survives_a_restart_and_the_file_holds_no_secret(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    daemon = DaemonProcess(home, port=port).start()
    try:
        session = login(daemon)
        assert page_get(daemon, session, PAGE_LIST)[0] == 200
    finally:
        daemon.stop()
    saved = sessions_file(home)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert session not in saved.read_text(), "the session secret itself is never written"

    daemon = DaemonProcess(home, port=port).start()
    try:
        assert page_get(daemon, session, PAGE_LIST)[0] == 200
        assert page_get(daemon, session + "x", PAGE_LIST)[0] == 401
    finally:
        daemon.stop()


def test_a_damaged_sessions_file_asks_for_a_new_login_and_is_kept_aside(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    daemon = DaemonProcess(home, port=port).start()
    try:
        session = login(daemon)
    finally:
        daemon.stop()
    sessions_file(home).write_text('{"schema": 2, "sessions": {"not a hash": 3}}')

    daemon = DaemonProcess(home, port=port).start()
    try:
        status, body, _ = page_get(daemon, session, PAGE_LIST)
        assert status == 401
        assert "Open the reading list from papertray" in json.loads(body)["error"]
        assert page_get(daemon, login(daemon), PAGE_LIST)[0] == 200
    finally:
        daemon.stop()
    assert list((home / "state").glob("library-sessions.json.corrupt-*")), "the damaged file is kept aside"


def test_s3_open_end_sessions_and_token_revoke_all_end_every_reading_list_session(tmp_path: Path) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, port=free_port()).start()
    try:
        first, second = login(daemon), login(daemon)
        assert page_get(daemon, first, PAGE_LIST)[0] == 200 and page_get(daemon, second, PAGE_LIST)[0] == 200
        ended = run_cli(home, "open", "--end-sessions")
        assert ended.returncode == 0, ended.stderr
        assert "Ended 2 reading-list sessions" in ended.stdout
        assert page_get(daemon, first, PAGE_LIST)[0] == 401 and page_get(daemon, second, PAGE_LIST)[0] == 401

        third = login(daemon)
        made = run_cli(home, "token", "create", "--name", "nightly")
        script = made.stdout.strip()
        revoked = run_cli(home, "token", "revoke", "--all")
        assert revoked.returncode == 0, revoked.stderr
        assert "Revoked 1 token and ended 1 reading-list session." in revoked.stdout
        assert page_get(daemon, third, PAGE_LIST)[0] == 401
        request = urllib.request.Request(daemon.base_url + "status", headers={"Authorization": f"Bearer {script}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401
        assert daemon.get("status")[0] == 200, "the command line keeps its own token"
    finally:
        daemon.stop()
    # Ended sessions stay ended after a restart.
    daemon = DaemonProcess(home, port=daemon.port).start()
    try:
        assert page_get(daemon, third, PAGE_LIST)[0] == 401
    finally:
        daemon.stop()
