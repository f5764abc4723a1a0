"""Desktop tier fixtures: a private X server (Xvfb) and D-Bus session bus for the whole run, plus a tray host
(trayer) and a notification server (dunst) per test. Every process is stopped by its pid at teardown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.desktop_session import DesktopSession, missing_tools


@pytest.fixture(scope="session")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopSession]:
    missing = missing_tools()
    if missing:
        pytest.skip(f"desktop tools missing: {', '.join(missing)} (apt: xvfb dbus trayer dunst xdotool imagemagick)")
    session = DesktopSession(tmp_path_factory.mktemp("desktop")).start()
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture
def desktop_env(desktop: DesktopSession, monkeypatch: pytest.MonkeyPatch) -> DesktopSession:
    """Point this process at the private display and bus (dbus-fast and GTK read them on connect)."""
    for key, value in desktop.env().items():
        if key in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
            monkeypatch.setenv(key, value)
    return desktop


@pytest.fixture
def dunst(desktop_env: DesktopSession, tmp_path: Path) -> Iterator[DesktopSession]:
    """A fresh dunst for this test. Its context menu ("dmenu") picks the action named in `pick` (a file)."""
    pick = tmp_path / "dmenu-pick"
    script = tmp_path / "dmenu.sh"
    script.write_text(f'#!/bin/sh\ngrep -i -m1 -F "$(cat {pick})"\n')
    script.chmod(0o755)
    desktop_env.start_dunst(dmenu=str(script))
    try:
        yield desktop_env
    finally:
        desktop_env.stop_dunst()


@pytest.fixture
def trayer(desktop: DesktopSession) -> int:
    """The tray host, started once and kept for the run (restarting trayer right after another one exited races
    for the tray selection). trayer itself sometimes exits when a docked icon goes away; then it is restarted,
    as a desktop session would, and the exit is printed."""
    return desktop.ensure_trayer()


async def until(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    """Await a blocking check (run off the event loop, so the loop keeps serving D-Bus) until it is truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await asyncio.to_thread(check)
        if result:
            return result
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.05)
