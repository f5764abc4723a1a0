"""Which pystray backend the tray uses, and what each cannot do (for `papertray doctor`); whether a tray can be
shown at all here (a display). Pure decisions over the environment: importing pystray is tray.py's `prepare()`.

On Linux the gtk backend (PyGObject) gives a real menu, clicks and notifications; without PyGObject pystray falls
back to xorg, which docks but has no menu and ignores clicks. `choose_backend()` picks one deliberately
(PYSTRAY_BACKEND wins when set) and `backend_limits()` says what it cannot do.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping

BACKEND_LIMITS = {
    "gtk": "needs an XEmbed system tray (most desktops; GNOME Shell only with the AppIndicator extension)",
    "xorg": "no menu, no notifications and clicks are ignored (install PyGObject for the gtk backend)",
    "appindicator": "needs a StatusNotifierItem host, and a left click opens the menu instead of the reading list",
    "darwin": "",
    "win32": "",
    "dummy": "shows nothing",
}


def _gtk_available() -> bool:
    if importlib.util.find_spec("gi") is None:
        return False
    try:
        import gi

        gi.require_version("Gtk", "3.0")
    except (ImportError, ValueError):
        return False
    return True


def choose_backend(env: Mapping[str, str] | None = None, platform: str | None = None) -> str:
    """The pystray backend we use: PYSTRAY_BACKEND if set, gtk on Linux/BSD when PyGObject works, else xorg."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if env.get("PYSTRAY_BACKEND"):
        return env["PYSTRAY_BACKEND"]
    if platform == "darwin":
        return "darwin"
    if platform == "win32":
        return "win32"
    # appindicator is what pystray would pick once PyGObject is present, but it shows nothing without an SNI
    # host; gtk (XEmbed) works on the widest range of X11 trays and supports the default click action.
    return "gtk" if _gtk_available() else "xorg"


def backend_limits(backend: str) -> str:
    return BACKEND_LIMITS.get(backend, "unknown backend")


def display_problem(env: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no tray can be shown here, or None."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if platform in ("darwin", "win32"):
        return None
    if not env.get("DISPLAY"):
        if env.get("WAYLAND_DISPLAY"):
            return "Wayland without XWayland (DISPLAY is not set): the tray needs X11"
        return "no display (DISPLAY is not set)"
    return None
