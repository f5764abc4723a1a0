"""The tray's "Pair extension…": the code shown at once, in a small window with Copy, where it cannot be missed
(issue 17 item 9: a code only in the menu's label and the tooltip looked as if nothing had happened).

On the gtk backend the window is a Gtk.Window made on GTK's own thread (`GLib.idle_add`): the code in large
monospace, what to do with it, Copy (the clipboard) and Close. Elsewhere the backend's own notification says the
code (`icon.notify`, where pystray has one). A second "Pair extension…" replaces the window's code rather than
opening a second window.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

WINDOW_TITLE = "papertray: pair the browser extension"
HOW = "Type this code in the papertray extension's options page (Pairing). It works once, for 5 minutes."


class PairingWindow:
    """One small window per tray, shown again with each new code. Call `show(code)` from any thread."""

    def __init__(self, backend: str, icon: Any) -> None:
        self.backend = backend
        self.icon = icon
        self._window: Any = None
        self._code_label: Any = None
        self._code = ""
        self._lock = threading.Lock()

    def show(self, code: str) -> None:
        with self._lock:
            self._code = code
        if self.backend in ("gtk", "appindicator"):
            from gi.repository import GLib

            GLib.idle_add(self._show_gtk)
            return
        if getattr(self.icon, "HAS_NOTIFICATION", False):
            try:
                self.icon.notify(f"Pairing code: {code}\n{HOW}", WINDOW_TITLE)
            except Exception as exc:  # no notification server: the menu and the tooltip still say it
                log.warning("pairing code notification failed error=%s", exc)

    def copy(self) -> None:
        """Put the code on the clipboard (GTK's thread only)."""
        import gi

        gi.require_version("Gdk", "3.0")
        gi.require_version("Gtk", "3.0")
        from gi.repository import Gdk, Gtk

        clipboard = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)
        clipboard.set_text(self._code, -1)
        clipboard.store()

    def _show_gtk(self) -> bool:
        import gi

        gi.require_version("Gtk", "3.0")
        from gi.repository import GLib, Gtk

        with self._lock:
            code = GLib.markup_escape_text(self._code)
        if self._window is None:
            self._window = self._build(Gtk)
        self._code_label.set_markup(f'<span font_family="monospace" size="xx-large" weight="bold">{code}</span>')
        self._window.show_all()
        self._window.present()
        return False  # run once

    def _build(self, gtk: Any) -> Any:
        window = gtk.Window(title=WINDOW_TITLE)
        window.set_keep_above(True)
        window.set_resizable(False)
        window.set_border_width(16)
        box = gtk.Box(orientation=gtk.Orientation.VERTICAL, spacing=12)
        self._code_label = gtk.Label()
        self._code_label.set_selectable(True)
        how = gtk.Label(label=HOW)
        how.set_line_wrap(True)
        how.set_max_width_chars(40)
        buttons = gtk.Box(orientation=gtk.Orientation.HORIZONTAL, spacing=8)
        copy = gtk.Button(label="Copy")
        copy.connect("clicked", lambda _button: self.copy())
        close = gtk.Button(label="Close")
        close.connect("clicked", lambda _button: window.hide())
        buttons.pack_end(close, False, False, 0)
        buttons.pack_end(copy, False, False, 0)
        box.pack_start(self._code_label, False, False, 0)
        box.pack_start(how, False, False, 0)
        box.pack_start(buttons, False, False, 0)
        window.add(box)
        window.connect("delete-event", lambda *_: window.hide() or True)  # closing keeps it for the next code
        return window
