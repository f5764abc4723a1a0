"""`papertray run` as users start it: the real daemon with its tray icon on the main thread (Xvfb, trayer,
private D-Bus). The icon docks, its menu reaches the daemon, and Quit shuts everything down cleanly."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.desktop.test_tray import Tray, docked_in
from tests.support.desktop_session import DesktopSession, stop_process, wait_for

pytestmark = pytest.mark.desktop


@pytest.fixture
def papertray_run(trayer: int, desktop_env: DesktopSession, tmp_path: Path) -> Iterator[tuple[Tray, Path]]:
    pytest.importorskip("gi", reason="PyGObject is needed for the gtk backend")
    home = tmp_path / "home"
    # A user who has told papertray an interest: the menu without the first-run "Add your interests…" entry,
    # whose keyboard positions these tests walk (tests/browser/test_i17_inbox.py covers the invitation).
    home.mkdir()
    (home / "config.toml").write_text('[[rules]]\nname = "sae-watch"\nkeywords = ["sparse autoencoder"]\n')
    log = open(tmp_path / "run.log", "w")  # noqa: SIM115
    browser = tmp_path / "browser"  # records the command line papertray starts the browser with
    browser.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "browser-argv.txt"}\n')
    browser.chmod(0o755)
    proc = subprocess.Popen(
        [sys.executable, "-m", "papertray", "run"],
        cwd=REPO,
        env=desktop_env.env(
            PYTHONPATH=str(REPO / "daemon"),
            PAPERTRAY_HOME=str(home),
            PAPERTRAY_PORT="0",
            PAPERTRAY_HF_URL="http://127.0.0.1:9",  # nothing listens: the feed fails, the tray says so
            BROWSER=f"{browser} %s",
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    tray = Tray.__new__(Tray)
    tray.desktop, tray.proc = desktop_env, proc
    try:
        yield tray, home
    finally:
        stop_process(proc)
        log.close()


def _info(home: Path) -> dict[str, int]:
    return json.loads((home / "state" / "daemon.json").read_text())  # type: ignore[no-any-return]


def test_run_shows_the_tray_and_quit_from_its_menu_stops_cleanly(
    papertray_run: tuple[Tray, Path], trayer: int, desktop_env: DesktopSession
) -> None:
    tray, home = papertray_run
    wait_for(lambda: (home / "state" / "daemon.json").exists(), "daemon.json")
    port = _info(home)["port"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=10) as response:
        assert response.status == 200

    icon = tray.window(trayer)
    assert docked_in(desktop_env, trayer, icon)

    # Pause from the real menu reaches the daemon's notifier (kept in the store's meta).
    tray.open_menu(icon)
    desktop_env.run("xdotool", "key", "--delay", "80", "Down", "Down", "Down", "Down", "Return")
    meta = home / "data" / "meta.json"
    wait_for(lambda: meta.exists() and 'paused":true' in meta.read_text().replace(" ", ""), "pause to be stored")

    # Quit is the last entry of the menu.
    tray.open_menu(icon)
    desktop_env.run("xdotool", "key", "--delay", "80", "Up", "Return")
    assert tray.proc.wait(20) == 0
    assert not (home / "state" / "daemon.json").exists()
    with socket.socket() as sock:
        # As a server binds: SO_REUSEADDR passes over TIME_WAIT remnants but never over a live listener.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))  # the port is free again


def test_sigterm_stops_the_daemon_and_the_tray(
    papertray_run: tuple[Tray, Path], trayer: int, desktop_env: DesktopSession
) -> None:
    tray, home = papertray_run
    tray.window(trayer)
    wait_for(lambda: (home / "state" / "daemon.json").exists(), "daemon.json")
    tray.proc.terminate()
    assert tray.proc.wait(20) == 0
    assert not (home / "state" / "daemon.json").exists()
    assert not desktop_env.window_ids("--class", "papertray")


def _page_status(port: int, session: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/library/api/papers", headers={"X-Papertray-Session": session}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_s4_s3_the_trays_reading_list_has_no_secret_on_the_command_line_and_its_sessions_can_be_ended(
    papertray_run: tuple[Tray, Path], trayer: int, desktop_env: DesktopSession, tmp_path: Path
) -> None:
    tray, home = papertray_run
    icon = tray.window(trayer)
    wait_for(lambda: (home / "state" / "daemon.json").exists(), "daemon.json")
    port = _info(home)["port"]

    tray.open_menu(icon)
    desktop_env.run("xdotool", "key", "--delay", "80", "Down", "Return")  # "Open reading list"
    argv_file = tmp_path / "browser-argv.txt"
    argument = wait_for(lambda: argv_file.exists() and argv_file.read_text().strip(), "the browser to start")
    assert argument.startswith("file://") and "once" not in argument
    launcher = Path(urllib.parse.unquote(urllib.parse.urlsplit(argument).path))
    assert launcher.parent == home / "state" / "launch"
    once = re.search(r'name="once" value="([^"]+)"', launcher.read_text()).group(1)  # type: ignore[union-attr]
    log_text = "".join(p.read_text() for p in (home / "logs").glob("papertray.log*"))
    assert once not in log_text and once not in argument

    form = urllib.parse.urlencode({"once": once}).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/library/login", data=form, timeout=10) as response:
        session = re.search(rb'name="papertray-session" content="([^"]+)"', response.read()).group(1).decode()  # type: ignore[union-attr]
    assert not launcher.exists()
    assert _page_status(port, session) == 200

    # "End reading-list sessions", the seventh entry of the menu.
    tray.open_menu(icon)
    desktop_env.run("xdotool", "key", "--delay", "80", *["Down"] * 7, "Return")
    wait_for(lambda: _page_status(port, session) == 401, "the session to end")
