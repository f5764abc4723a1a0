"""Which pystray backend the tray uses, what it cannot do, and whether a tray can be shown at all (for the tray and
`papertray doctor`). pystray is imported here, lazily, once: it raises on import when there is no display.

Backends: on Linux the gtk backend (PyGObject) gives a real menu, clicks and notifications; without PyGObject
pystray falls back to xorg, which docks but has no menu and ignores clicks. `choose_backend()` picks one
deliberately (PYSTRAY_BACKEND wins when set) and `backend_limits()` says what it cannot do (for doctor).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Mapping

log = logging.getLogger(__name__)

APP_TITLE = "papertray"

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


_prepared: str | bool | None = False  # False: not yet tried; None: ready; str: the reason there is no tray


def prepare() -> str | None:
    """Choose the backend and import pystray. None when a tray can be shown, else the reason (logged once)."""
    global _prepared
    if _prepared is not False:
        return _prepared  # type: ignore[return-value]
    reason = display_problem()
    if reason is None:
        backend = choose_backend()
        os.environ["PYSTRAY_BACKEND"] = backend  # pystray reads it at import
        try:
            if backend in ("gtk", "appindicator"):
                from gi.repository import GLib

                GLib.set_prgname(APP_TITLE)  # names the tray window "papertray" (WM_CLASS), not "python3"
            import pystray  # noqa: F401
        except Exception as exc:
            reason = f"the {backend} tray backend cannot start ({exc})"
        else:
            limits = backend_limits(backend)
            log.info("tray backend=%s%s", backend, f" limits={limits!r}" if limits else "")
    if reason is not None:
        log.warning("running without a tray: %s", reason)
    _prepared = reason
    return reason
