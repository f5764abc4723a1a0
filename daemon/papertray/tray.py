"""The tray icon and its menu. Owns pystray and Pillow; pystray is imported lazily (it raises on import when
there is no display), so importing this module is always safe.

Threads (design.md): the tray owns the main thread; the daemon's asyncio loop runs in one worker thread. The two
meet only through a `TrayBridge`:

    bridge = TrayBridge(
        poll_now=..., toggle_pause=..., pair_code=..., open_reading_list=..., open_config=...,
        open_paper=..., quit=...,
    )
    # worker thread (asyncio):  asyncio.create_task(tray_feed.follow(bridge, bus, lambda: tray_feed.snapshot(...)))
    # main thread:              if tray.prepare() is None: tray.run_tray(bridge)   # blocks until Quit
    #                           else: run without a tray (prepare() already logged why, once)

* State flows in: `bridge.publish(TrayState)` from any thread (a thread-safe queue); the tray redraws its icon,
  tooltip and menu from the newest state. `tray_feed.follow()` does this for you on every relevant bus event.
* Actions flow out: every callback is called on the tray's thread and must return quickly; cross into the
  loop with `loop.call_soon_threadsafe(...)` (or `asyncio.run_coroutine_threadsafe`). `pair_code()` is the one
  that returns a value: it is called on a helper thread, so it may wait for the loop (a few seconds at most).
  `quit()` is called after the icon has been asked to stop; `run_tray` returns once it has.
* `bridge.close()` (any thread) makes `run_tray` return, e.g. when the daemon stops on a signal.

Backends (which one, what it cannot do, whether a tray can be shown) live in `tray_backend`; the pairing code's
window in `tray_pairing`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from papertray.tray_backend import APP_TITLE, BACKEND_LIMITS, backend_limits, choose_backend, display_problem, prepare
from papertray.tray_pairing import PairingWindow
from papertray.tray_sources import TraySource
from papertray.wording import counted

# The backend decisions live in tray_backend.py; they are named here too, as callers (doctor, tests) know them.
__all__ = ["APP_TITLE", "BACKEND_LIMITS", "TrayApp", "TrayBridge", "TrayState", "backend_limits", "choose_backend"]
__all__ += ["display_problem", "prepare", "render_icon", "run_tray", "tooltip"]

log = logging.getLogger(__name__)

NEW_TODAY_LIMIT = 5
PAIR_CODE_SECONDS = 300
ICON_SIZE = 64

# ---------------------------------------------------------------------------------------------- the bridge


@dataclass(frozen=True, slots=True)
class TrayPaper:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class TrayState:
    """Everything the tray shows. Immutable: publish a new one when something changes. `new_count` is "new
    today" and `unseen` is every unseen paper, as `Store.new_counts` defines them for every surface."""

    new_count: int = 0
    new_today: tuple[TrayPaper, ...] = ()
    unseen: int = 0
    last_poll: str = ""  # what the last poll brought: "3 new, 2 matched, notified"
    has_rules: bool = True  # False on a first run: nothing would ever be notified, so the menu invites interests
    failing: tuple[str, ...] = ()  # one sentence per failing source or problem (config error, store problem)
    sources: tuple[TraySource, ...] = ()  # every source, failing or not: the "Sources" submenu (tray_sources)
    paused: bool = False
    mcp_writes: bool = False  # [mcp] allow_writes: may the user's assistant save, tag, note and dismiss?


MCP_READ_ONLY = "Assistants (MCP): read-only"
MCP_WRITES = "Assistants (MCP): may save, tag, note and dismiss"


@dataclass
class TrayBridge:
    """The only thing the tray and the daemon share. See the module docstring for which thread calls what."""

    poll_now: Callable[[], None]
    toggle_pause: Callable[[], None]
    pair_code: Callable[[], str]
    open_reading_list: Callable[[], None]
    open_config: Callable[[], None]
    open_paper: Callable[[str], None]
    quit: Callable[[], None]
    end_sessions: Callable[[], None] = lambda: None  # "End reading-list sessions": every open page must log in again
    open_inbox: Callable[[], None] = lambda: None  # "New today" → "Open the matches inbox"
    states: queue.Queue[TrayState | None] = field(default_factory=queue.Queue)

    def publish(self, state: TrayState) -> None:
        self.states.put(state)

    def close(self) -> None:
        self.states.put(None)


# ---------------------------------------------------------------------------------------------- the icon


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf", "arialbd.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def render_icon(state: TrayState, size: int = ICON_SIZE) -> Image.Image:
    """A sheet of paper; a badge with the number of new papers; a red mark when something is failing."""
    scale = size / 64
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ink = (120, 120, 120, 255) if state.paused else (37, 99, 235, 255)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return round(x0 * scale), round(y0 * scale), round(x1 * scale), round(y1 * scale)

    # The sheet with a folded corner, and lines of text.
    draw.polygon(
        [(p[0] * scale, p[1] * scale) for p in ((12, 4), (40, 4), (52, 16), (52, 60), (12, 60))],
        fill=(255, 255, 255, 255),
        outline=ink,
        width=max(1, round(3 * scale)),
    )
    draw.polygon([(p[0] * scale, p[1] * scale) for p in ((40, 4), (40, 16), (52, 16))], fill=ink)
    for y in (26, 34, 42, 50):
        draw.line(box(19, y, 45, y), fill=ink, width=max(1, round(3 * scale)))

    if state.new_count > 0:
        text = "99+" if state.new_count > 99 else str(state.new_count)
        radius = 15 if len(text) < 3 else 17
        cx, cy = 64 - radius, 64 - radius
        draw.ellipse(box(cx - radius, cy - radius, cx + radius, cy + radius), fill=(234, 88, 12, 255))
        font = _font(round((20 if len(text) < 3 else 14) * scale))
        draw.text((cx * scale, cy * scale), text, fill=(255, 255, 255, 255), font=font, anchor="mm")
    if state.failing:
        draw.ellipse(box(0, 0, 24, 24), fill=(220, 38, 38, 255), outline=(255, 255, 255, 255), width=2)
        draw.text((12 * scale, 12 * scale), "!", fill=(255, 255, 255, 255), font=_font(round(18 * scale)), anchor="mm")
    return image


def tooltip(state: TrayState) -> str:
    unseen = f" · {state.unseen} unseen in all" if state.unseen else ""
    parts = [f"{counted(state.new_count, 'new paper')} today{unseen}"]
    if not state.has_rules:
        parts.append("add your interests to be notified")
    if state.paused:
        parts.append("notifications paused")
    parts += list(state.failing[:2])
    return f"{APP_TITLE} — " + "; ".join(parts)


# ---------------------------------------------------------------------------------------------- the app


class TrayApp:
    """The pystray icon bound to a bridge. `run()` blocks on the calling (main) thread until Quit."""

    def __init__(self, bridge: TrayBridge) -> None:
        import pystray

        self.pystray = pystray
        self.bridge = bridge
        self.state = TrayState()
        self._pair_text: str | None = None
        self._pair_until = 0.0
        # python-xlib writes the xorg window title as latin-1 and raises on anything else.
        self._xorg = pystray.Icon.__module__.endswith("_xorg")
        self._closed = threading.Event()
        self.icon = pystray.Icon(APP_TITLE, render_icon(self.state), self._title(self.state), menu=self._menu())
        self.pairing = PairingWindow(self.backend, self.icon)

    @property
    def backend(self) -> str:
        return type(self.icon).__module__.rsplit("._", 1)[-1]

    # ------------------------------------------------------------------ menu

    def _menu(self) -> Any:
        item, menu = self.pystray.MenuItem, self.pystray.Menu
        return menu(
            item("Open reading list", self._call(self.bridge.open_reading_list), default=True),
            item(
                "Add your interests… (none yet, so nothing is notified)",
                self._call(self.bridge.open_inbox),
                visible=lambda _: not self.state.has_rules,
            ),
            item("New today", menu(self._new_today)),
            item("Poll now", self._call(self.bridge.poll_now)),
            item("Pause notifications", self._toggle_pause, checked=lambda _: self.state.paused),
            item(lambda _: self._pair_label(), self._pair),
            item("Open config", self._call(self.bridge.open_config)),
            item("End reading-list sessions", self._call(self.bridge.end_sessions)),
            item("Sources", menu(self._sources)),
            # Said, not switched: the setting is [mcp] allow_writes in config.toml ("Open config" is one line up).
            item(lambda _: MCP_WRITES if self.state.mcp_writes else MCP_READ_ONLY, None, enabled=False),
            item(
                lambda _: f"Last poll: {self.state.last_poll}",
                None,
                enabled=False,
                visible=lambda _: bool(self.state.last_poll),
            ),
            item(
                lambda _: f"⚠ {self.state.failing[0]}" if self.state.failing else "",
                None,
                enabled=False,
                visible=lambda _: bool(self.state.failing),
            ),
            menu.SEPARATOR,
            item("Quit", self._quit),
        )

    def _new_today(self) -> Iterator[Any]:
        if not self.state.new_today:
            yield self.pystray.MenuItem("Nothing new yet", None, enabled=False)
        for paper in self.state.new_today[:NEW_TODAY_LIMIT]:
            title = paper.title if len(paper.title) <= 70 else paper.title[:69] + "…"
            yield self.pystray.MenuItem(title or paper.id, self._call(self.bridge.open_paper, paper.id))
        # Last, so the newest papers stay where the pointer lands when the submenu opens.
        yield self.pystray.MenuItem("Open the matches inbox…", self._call(self.bridge.open_inbox))

    def _sources(self) -> Iterator[Any]:
        # Said, not clickable: each source's heading, then its last success, next poll, errors and last error.
        if not self.state.sources:
            yield self.pystray.MenuItem("Not known yet", None, enabled=False)
        for source in self.state.sources:
            yield self.pystray.MenuItem(source.title, None, enabled=False)
            for line in source.lines:
                yield self.pystray.MenuItem(f"    {line}", None, enabled=False)

    def _call(self, fn: Callable[..., None], *args: Any) -> Callable[[Any, Any], None]:
        def action(_icon: Any, _item: Any) -> None:
            try:
                fn(*args)
            except Exception:
                log.exception("tray action failed action=%s", getattr(fn, "__name__", fn))

        return action

    def _title(self, state: TrayState | str) -> str:
        text = tooltip(state) if isinstance(state, TrayState) else state
        return text.encode("latin-1", "replace").decode("latin-1") if self._xorg else text

    def _toggle_pause(self, _icon: Any, _item: Any) -> None:
        # Show the switch flipped at once; the daemon's next state confirms it.
        self.apply(replace(self.state, paused=not self.state.paused))
        self._call(self.bridge.toggle_pause)(_icon, _item)

    def _pair_label(self) -> str:
        if self._pair_text and time.monotonic() < self._pair_until:
            return self._pair_text
        return "Pair extension…"

    def _pair(self, _icon: Any, _item: Any) -> None:
        threading.Thread(target=self._fetch_pair_code, name="papertray-pair", daemon=True).start()

    def _fetch_pair_code(self) -> None:
        try:
            code = self.bridge.pair_code()
        except Exception as exc:
            log.warning("pairing code unavailable error=%s", exc)
            return
        self._pair_text = f"Pairing code: {code}"
        self._pair_until = time.monotonic() + PAIR_CODE_SECONDS
        # At once in a small window with Copy (tray_pairing), and in the menu and the tooltip; not with gtk's
        # icon.notify(), a synchronous D-Bus call on the GTK thread that freezes the tray for 25 s when no
        # notification server answers.
        self.pairing.show(code)
        self.icon.title = self._title(f"{APP_TITLE}: pairing code {code} (type it in the extension's options)")
        self.icon.update_menu()

    def _quit(self, _icon: Any, _item: Any) -> None:
        # Not icon.stop() here: it joins the state thread, which may be blocked on the queue. The state thread
        # stops the icon itself when it reads the close marker.
        self.bridge.close()
        try:
            self.bridge.quit()
        except Exception:
            log.exception("quit callback failed")

    # ------------------------------------------------------------------ state

    def apply(self, state: TrayState) -> None:
        self.state = state
        self.icon.icon = render_icon(state)
        self.icon.title = self._title(state)
        self.icon.update_menu()

    def _follow_states(self, icon: Any) -> None:
        icon.visible = True
        while True:
            state = self.bridge.states.get()
            try:  # coalesce a burst: only the newest state matters
                while True:
                    state = self.bridge.states.get_nowait()
            except queue.Empty:
                pass
            if state is None:
                self._closed.set()
                icon.stop()
                return
            self.apply(state)

    def run(self) -> None:
        if not self._xorg:
            try:
                self.icon.run(setup=self._follow_states)
            except Exception as exc:
                if not self._closed.is_set():
                    raise
                # pystray's gtk backend closes its last notification on the way out with a synchronous D-Bus
                # call, which raises when no notification server is running. We are quitting anyway.
                log.info("tray closed; pystray cleanup failed error=%s", exc)
            return
        # pystray's xorg loop now and then misses the DestroyNotify that ends it (3 stops in 10 here), which would
        # keep the daemon from exiting. It needs no main thread, so run it on a daemon thread and leave when asked.
        loop = threading.Thread(
            target=self.icon.run, kwargs={"setup": self._follow_states}, name="papertray-tray", daemon=True
        )
        loop.start()
        self._closed.wait()
        loop.join(timeout=3)
        if loop.is_alive():
            log.warning("the xorg tray loop did not stop; leaving it behind")

    def stop(self) -> None:
        self.bridge.close()


def run_tray(bridge: TrayBridge) -> bool:
    """Show the tray on this (main) thread until Quit or `bridge.close()`. False, at once, when there is none."""
    if prepare() is not None:
        return False
    TrayApp(bridge).run()
    return True
