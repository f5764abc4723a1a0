"""The tray on a real X server (Xvfb) docked in a real tray host (trayer), on a private D-Bus bus.

The tray runs in its own process on its main thread, as in the daemon (tests/desktop/tray_harness.py); its
bridge actions come back as JSON lines. Menus are driven from code and, on the gtk backend, by real X input
(xdotool clicks and keys).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from papertray.timestamps import iso_z
from tests.conftest import REPO
from tests.support.desktop_session import DesktopSession, stop_process, wait_for
from tests.support.screenshots import screenshot_path

pytestmark = pytest.mark.desktop

STATE = {
    "new_count": 7,
    "new_today": [
        ["2511.00001", "Scaling sparse autoencoders to frontier models"],
        ["2511.00002", "World models that plan in latent space"],
    ],
    "failing": [],
    "paused": False,
}


class Tray:
    def __init__(self, desktop: DesktopSession, backend: str) -> None:
        self.desktop = desktop
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.desktop.tray_harness"],
            cwd=REPO,
            env=desktop.env(PYTHONPATH=f"{REPO / 'daemon'}:{REPO}", PYSTRAY_BACKEND=backend),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def send_line(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def send(self, **command: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def expect(self, key: str, timeout: float = 15.0) -> dict[str, Any]:
        """The next line carrying `key` (other lines are skipped; an error line fails the test)."""
        while True:
            line = self.lines.get(timeout=timeout)
            assert "error" not in line, line
            if key in line:
                return line

    def expect_submenu(self, path: list[str]) -> list[dict[str, Any]]:
        self.send(submenu=path)
        return [item for item in self.expect("submenu")["submenu"] if item["visible"]]

    def menu(self) -> list[dict[str, Any]]:
        self.send(menu=True)
        return [item for item in self.expect("menu")["menu"] if item["visible"]]

    def window(self, trayer: int) -> int:
        """The tray icon's X window, once it is docked in the tray host."""
        window = int(wait_for(lambda: self.desktop.window_ids("--class", "papertray")[:1], "the tray icon window")[0])
        wait_for(lambda: docked_in(self.desktop, trayer, window), "the icon to dock")
        return window

    def click(self, icon: int, button: int) -> None:
        # Move first and let the pointer settle: a press that arrives with its own motion event is sometimes
        # taken by the tray host rather than the icon.
        self.desktop.run("xdotool", "mousemove", "--window", str(icon), "12", "12")
        time.sleep(0.3)
        self.desktop.run("xdotool", "click", str(button))

    def open_menu(self, icon: int) -> int:
        """Right-click the icon (again, if the first click came before the icon took input); the menu's window."""

        def menu() -> list[int]:
            pairing = self.desktop.window_ids("--name", "pair the browser extension")  # the tray's other window
            return [w for w in self.desktop.window_ids("--class", "papertray") if w != icon and w not in pairing]

        for _attempt in range(3):
            self.click(icon, 3)
            try:
                return int(wait_for(menu, "the menu", timeout=5)[0])
            except TimeoutError:
                continue
        raise TimeoutError("the menu never opened")


@pytest.fixture
def gtk_tray(trayer: int, desktop_env: DesktopSession) -> Iterator[Tray]:
    pytest.importorskip("gi", reason="PyGObject is needed for the gtk backend")
    tray = Tray(desktop_env, "gtk")
    try:
        assert tray.expect("ready") == {"ready": "gtk"}
        yield tray
    finally:
        stop_process(tray.proc)


def docked_in(desktop: DesktopSession, trayer: int, window: int) -> bool:
    return hex(window) in desktop.tree(trayer)


@pytest.mark.xfail(
    reason="pystray 0.19.5's xorg backend (the fallback without PyGObject) failed to dock in about 1 run in 3 "
    "under trayer here; one more reason the gtk backend is chosen when it can be",
    strict=False,  # it passes in the other 2 runs in 3: an xpass is expected, not news (xfail_strict is on)
)
def test_xorg_backend_docks_without_a_menu(trayer: int, desktop_env: DesktopSession) -> None:
    tray = Tray(desktop_env, "xorg")
    try:
        assert tray.expect("ready") == {"ready": "xorg"}
        # pystray's xorg window class is "<name>SystemTrayIcon"; xdotool does not count it as visible.
        window = wait_for(
            lambda: desktop_env.window_ids("--classname", "papertraySystemTrayIcon", visible=False), "the xorg icon"
        )[0]
        wait_for(lambda: docked_in(desktop_env, trayer, window), "the xorg icon to dock")
        # The menu still works from code (the daemon's own calls), though xorg cannot show it.
        tray.send(activate=["Poll now"])
        assert tray.expect("action") == {"action": "poll_now"}
        tray.send(close=True)
        assert tray.expect("stopped") == {"stopped": True}
    finally:
        stop_process(tray.proc)


def test_gtk_tray_docks_and_menu_works_from_code_and_real_clicks(
    gtk_tray: Tray, trayer: int, desktop_env: DesktopSession
) -> None:
    desktop = desktop_env
    icon = gtk_tray.window(trayer)

    gtk_tray.send(state=STATE)
    assert gtk_tray.expect("applied") == {"applied": True}
    texts = [item["text"] for item in gtk_tray.menu()]
    assert texts[:7] == [
        "Open reading list",
        "New today",
        "Poll now",
        "Pause notifications",
        "Pair extension…",
        "Open config",
        "End reading-list sessions",
    ]
    assert texts[-1] == "Quit"

    # From code, as pystray's menu would call them.
    gtk_tray.send(activate=["Poll now"])
    assert gtk_tray.expect("action") == {"action": "poll_now"}
    gtk_tray.send(activate=["New today", "World models that plan in latent space"])
    assert gtk_tray.expect("action") == {"action": "open_paper", "id": "2511.00002"}
    gtk_tray.send(activate=["Pause notifications"])
    assert gtk_tray.expect("action") == {"action": "toggle_pause"}
    assert next(i for i in gtk_tray.menu() if i["text"] == "Pause notifications")["checked"] is True
    gtk_tray.send(activate=["End reading-list sessions"])
    assert gtk_tray.expect("action") == {"action": "end_sessions"}
    gtk_tray.send(activate=["Pair extension…"])
    wait_for(lambda: any(i["text"] == "Pairing code: K7Q-4MX" for i in gtk_tray.menu()), "the pairing code")

    # Real X input: a left click runs the default action (the reading list) ...
    gtk_tray.click(icon, 1)
    assert gtk_tray.expect("action") == {"action": "open_reading_list"}
    # ... a right click opens the menu; the keyboard picks its third entry, "Poll now".
    menu_window = gtk_tray.open_menu(icon)
    desktop.run("xdotool", "key", "--delay", "80", "Down", "Down", "Down", "Return")
    assert gtk_tray.expect("action") == {"action": "poll_now"}
    wait_for(lambda: menu_window not in desktop.window_ids("--class", "papertray"), "the menu to close")

    gtk_tray.send(activate=["Quit"])
    assert gtk_tray.expect("action") == {"action": "quit"}
    assert gtk_tray.proc.wait(15) == 0


def test_screenshot_of_the_tray_and_its_menu(gtk_tray: Tray, trayer: int, desktop_env: DesktopSession) -> None:
    desktop = desktop_env
    icon = gtk_tray.window(trayer)
    gtk_tray.send(state={**STATE, "failing": ["hf: the feed answered 503 Service Unavailable"]})
    assert gtk_tray.expect("applied") == {"applied": True}
    menu = gtk_tray.open_menu(icon)
    desktop.run("xdotool", "mousemove", "0", "400")  # no hover highlight in the picture
    boxes = [desktop.geometry(trayer), desktop.geometry(menu)]
    left = max(0, min(x for x, _, _, _ in boxes) - 8)
    top = max(0, min(y for _, y, _, _ in boxes))
    right = min(desktop.width, max(x + w for x, _, w, _ in boxes) + 8)
    bottom = min(desktop.height, max(y + h for _, y, _, h in boxes) + 8)
    shot = desktop.screenshot(screenshot_path("tray.png"), crop=(left, top, right - left, bottom - top))
    identify = desktop.run("identify", "-format", "%w %h", str(shot)).stdout.split()
    assert [int(v) for v in identify] == [right - left, bottom - top]
    # The picture is not blank: the icon and the menu put many colours on the grey panel.
    colours = int(desktop.run("identify", "-format", "%k", str(shot)).stdout)
    assert colours > 20
    desktop.run("xdotool", "key", "Escape")
    gtk_tray.send(close=True)
    assert gtk_tray.expect("stopped") == {"stopped": True}


def test_i13_the_tray_lists_every_source_with_its_last_success_next_poll_errors_and_last_error(
    gtk_tray: Tray,
) -> None:
    # Before: only a failing source reached the menu (one "⚠" line); an ok source, or the lists not polled yet,
    # were not in the tray at all. Now "Sources" lists each, from the SourceStates `status` shows.
    now = datetime.now(UTC).replace(microsecond=0)
    ok, soon = now - timedelta(minutes=12), now + timedelta(minutes=18)
    states = [
        {"name": "hf", "last_success_at": iso_z(ok), "next_poll_at": iso_z(soon)},
        {
            "name": "arxiv",
            "last_success_at": iso_z(now - timedelta(days=2)),
            "next_poll_at": iso_z(soon),
            "error_count": 3,
            "last_error": "arXiv answered 503 Service Unavailable for the listing of cs.LG+cs.CL; it is tried again.",
            "extra": {"categories": ["cs.LG", "cs.CL"]},
        },
        {"name": "hf:month"},
    ]
    gtk_tray.send(state={**STATE, "source_states": states})
    assert gtk_tray.expect("applied") == {"applied": True}
    assert "Sources" in [item["text"] for item in gtk_tray.menu()]
    items = gtk_tray.expect_submenu(["Sources"])
    lines = [item["text"].strip() for item in items]

    def local(moment: datetime) -> str:
        """The time alone today, with the day otherwise (also when "12 minutes ago" was yesterday)."""
        at = moment.astimezone()
        return f"{at:%H:%M}" if at.date() == datetime.now().astimezone().date() else f"{at.day} {at:%b %H:%M}"

    assert lines == [
        "Hugging Face daily papers — ok",
        f"last success {local(ok)} · next poll {local(soon)} · 0 errors in a row",
        "arXiv cs.LG, cs.CL — failing",
        f"last success {local(now - timedelta(days=2))} · next poll {local(soon)} · 3 errors in a row",
        "last error: arXiv answered 503 Service Unavailable for the listing of cs.LG+cs.CL; it is tried again.",
        "Hugging Face monthly list — not polled yet",
        "last success never · next poll never · 0 errors in a row",
    ]
    # Said, not clickable: the lines are the tray's status, like "Last poll".
    assert not any(item["enabled"] for item in items)


def test_no_display_means_no_tray(tmp_path: Path) -> None:
    env = {k: v for k, v in DesktopSession(tmp_path).env().items() if k != "DISPLAY"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.desktop.tray_harness"],
        cwd=REPO,
        env={**env, "PYTHONPATH": f"{REPO / 'daemon'}:{REPO}"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 3
    assert json.loads(result.stdout) == {"unavailable": "no display (DISPLAY is not set)"}
    assert result.stderr.count("running without a tray") <= 1


def test_threads_tray_on_main_loop_in_worker_quit_is_clean(
    trayer: int, desktop_env: DesktopSession, tmp_path: Path
) -> None:
    pytest.importorskip("gi", reason="PyGObject is needed for the gtk backend")
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.desktop.threads_harness"],
        cwd=REPO,
        env=desktop_env.env(PYTHONPATH=f"{REPO / 'daemon'}:{REPO}", PAPERTRAY_HOME=str(home)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    tray = Tray.__new__(Tray)  # reuse the line reader on this process
    tray.desktop, tray.proc, tray.lines = desktop_env, proc, queue.Queue()
    threading.Thread(target=tray._read, daemon=True).start()
    try:
        assert tray.expect("loop") == {"loop": "started"}
        icon = tray.window(trayer)
        # A paper arrives in the loop; the tray's "New today" follows through the queue; a real click on it
        # crosses back into the loop.
        tray.send_line("World models that plan")
        while tray.expect("state")["state"]["new_count"] != 1:
            pass
        time.sleep(0.3)  # the tray thread applies the state it was handed
        tray.open_menu(icon)
        desktop_env.run("xdotool", "key", "--delay", "80", "Down", "Down", "Right", "Return")
        opened = tray.expect("open")
        assert opened["open"].startswith("2511.")
        # Issue 17 item 2: "New today" also opens the matches inbox (its last entry, after the papers).
        tray.open_menu(icon)
        desktop_env.run("xdotool", "key", "--delay", "80", "Down", "Down", "Right", "Down", "Return")
        assert tray.expect("open") == {"open": "inbox"}
        tray.open_menu(icon)
        desktop_env.run("xdotool", "key", "--delay", "80", "Down", "Down", "Down", "Return")
        assert tray.expect("poll_now") == {"poll_now": True}
        tray.open_menu(icon)
        desktop_env.run("xdotool", "key", "--delay", "80", "Down", "Down", "Down", "Down", "Return")
        assert tray.expect("paused") == {"paused": True}
        tray.open_menu(icon)
        desktop_env.run("xdotool", "key", "--delay", "80", "Up", "Return")  # the last entry: Quit
        assert tray.expect("stopped") == {"stopped": "clean", "tray": True}
        assert proc.wait(15) == 0
    finally:
        stop_process(proc)


def test_i16_3_the_tray_menu_says_whether_the_assistant_may_write(gtk_tray: Tray) -> None:
    gtk_tray.send(state=STATE)
    assert gtk_tray.expect("applied") == {"applied": True}
    said = next(i for i in gtk_tray.menu() if i["text"].startswith("Assistants (MCP)"))
    assert said == {"text": "Assistants (MCP): read-only", "checked": None, "enabled": False, "visible": True}
    gtk_tray.send(state={**STATE, "mcp_writes": True})  # [mcp] allow_writes = true, after a config reload
    assert gtk_tray.expect("applied") == {"applied": True}
    texts = [i["text"] for i in gtk_tray.menu()]
    assert "Assistants (MCP): may save, tag, note and dismiss" in texts and "Assistants (MCP): read-only" not in texts


# Reads the X clipboard from another process, as the browser's options page would get it with Ctrl+V.
READ_CLIPBOARD = """
import gi
gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gtk
print(Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD).wait_for_text() or "")
"""


def test_i17_9_pair_extension_shows_the_code_at_once_in_a_window_with_copy(
    gtk_tray: Tray, trayer: int, desktop_env: DesktopSession
) -> None:
    desktop = desktop_env
    gtk_tray.window(trayer)
    assert desktop.window_ids("--name", "pair the browser extension") == []
    gtk_tray.send(activate=["Pair extension…"])
    # Before: the code went only into the menu's label and the tooltip, so the click seemed to do nothing.
    window = int(wait_for(lambda: desktop.window_ids("--name", "pair the browser extension")[:1], "the window")[0])
    x, y, width, height = desktop.geometry(window)
    assert 120 < width < 800 and 60 < height < 600, (width, height)
    desktop.screenshot(screenshot_path("tray-pairing-window.png"), crop=(x, y, width, height))
    gtk_tray.send(pairing_copy=True)
    assert gtk_tray.expect("copied") == {"copied": True}
    pasted = desktop.run(sys.executable, "-c", READ_CLIPBOARD).stdout.strip()
    assert pasted == "K7Q-4MX"
    # A second click shows the same window again (with the new code), not a second one.
    gtk_tray.send(activate=["Pair extension…"])
    time.sleep(0.5)
    assert desktop.window_ids("--name", "pair the browser extension") == [window]
