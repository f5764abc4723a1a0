"""Live configuration: watches the config *directory* (editors save by writing a temp file and renaming it over
config.toml, which a watch on the file itself would miss after the first save) and applies a valid edit within
a second. Owns asyncinotify.

Idle cost. A tray program should sleep until it has something to do (docs/benchmarks.md, "Idle"). On Linux the
watch is an inotify descriptor in the event loop's own epoll set: no thread and no timer, so an idle daemon is
not woken at all. Only the folder's own entries are watched (not sub-folders: with PAPERTRAY_HOME the logs
folder sits under it) and only events that finish a change (close after write, rename, create, delete,
chmod), never each write. Where inotify is missing (macOS, Windows, a full inotify table) the file's stat is
compared once a second instead: one wake-up a second, and an edit applies within about a second.

A valid edit: `config.load_config` builds a whole new Config, `on_change(config)` swaps it in, and
`config.reloaded` is published. An invalid edit keeps the previous config: the error sentence is logged,
published as `config.error` and kept in `current_error` (for `papertray status` and the tray) until a valid
edit clears it. A deleted config file is ignored (the running config stays; nothing is recreated under the
user's feet).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from papertray.config import Config, Paths, load_config
from papertray.errors import ConfigError
from papertray.events import EventBus

if TYPE_CHECKING:
    from asyncinotify import Inotify

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # where inotify is missing: how often the file's stat is compared


class ConfigWatcher:
    """Run `await watcher.run()` as a task; cancel it to stop watching."""

    def __init__(
        self,
        paths: Paths,
        on_change: Callable[[Config], None],
        bus: EventBus,
        *,
        env: Mapping[str, str] | None = None,
        debounce_ms: int = 50,
        poll_seconds: float = POLL_SECONDS,
        use_inotify: bool = True,
    ) -> None:
        self.paths = paths
        self.on_change = on_change
        self.bus = bus
        self.env = env
        self.debounce_ms = debounce_ms
        self.current_error: str | None = None
        self._applied_digest: bytes | None = self._digest()
        self.poll_seconds = poll_seconds
        self.use_inotify = use_inotify  # False: compare the stat every poll_seconds, as where inotify is missing
        self.ready = asyncio.Event()  # set once the watch is in place (tests wait on it)
        self.mode = ""  # "inotify" or "poll" once running
        self.wakeups = 0  # times the watch woke up: none while nothing changes, with inotify (tests count them)

    def _digest(self) -> bytes | None:
        try:
            return hashlib.sha256(self.paths.config_file.read_bytes()).digest()
        except OSError:
            return None

    def _stat(self) -> tuple[int, ...] | None:
        try:
            st = self.paths.config_file.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)

    async def run(self) -> None:
        folder = self.paths.config_dir
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        log.info("watching config path=%s", self.paths.config_file)
        again = False
        while True:
            inotify = _open_inotify(folder) if self.use_inotify else None
            if inotify is None:
                self.mode = "poll"
                self.ready.set()
                await self._poll(until_folder_exists=False)
                return
            with inotify:
                self.mode = "inotify"
                self.ready.set()
                if again:
                    self.reload()  # the folder came back, perhaps with another config in it
                await self._follow(inotify)
            # The folder itself was deleted or moved away: its watch is gone. Wait for it to be back.
            log.warning("config folder gone; checking for it every second path=%s", folder)
            again = True
            await self._poll(until_folder_exists=True)

    async def _follow(self, inotify: Inotify) -> None:
        """Reload after each burst of changes to the config file; return when the folder's watch has ended."""
        while True:
            event = await inotify.get()
            self.wakeups += 1
            if _watch_lost(event):
                return
            named = event.name is not None and event.name.name == self.paths.config_file.name
            if not (named or _overflowed(event)):
                continue
            # Editors and scripts change a file in several steps (create, write, rename): read once it settles,
            # or after a second of other files changing in the folder, whichever comes first.
            loop = asyncio.get_running_loop()
            latest = loop.time() + 1.0
            while (left := latest - loop.time()) > 0:
                try:
                    event = await asyncio.wait_for(inotify.get(), min(self.debounce_ms / 1000, left))
                except TimeoutError:
                    break
                self.wakeups += 1
                if _watch_lost(event):
                    self.reload()
                    return
            self.reload()

    async def _poll(self, *, until_folder_exists: bool) -> None:
        last = self._stat()
        while True:
            await asyncio.sleep(self.poll_seconds)
            self.wakeups += 1
            if until_folder_exists and self.paths.config_dir.is_dir():
                return
            now = self._stat()
            if now != last:
                last = now
                self.reload()

    def reload(self) -> bool:
        """Read the file now; apply it if it is valid and changed. Returns True when a new config was applied."""
        path: Path = self.paths.config_file
        if not path.exists():
            log.info("config file gone; keeping the running config path=%s", path)
            return False
        digest = self._digest()
        if digest is not None and digest == self._applied_digest and self.current_error is None:
            return False  # touched or rewritten with the same bytes
        try:
            config = load_config(self.paths, self.env, create=False)
        except ConfigError as exc:
            message = str(exc)
            if message != self.current_error:
                log.warning("config edit refused, keeping the previous config error=%s", message)
                self.bus.publish("config.error", {"error": message, "path": str(path)})
            self.current_error = message
            return False
        self._applied_digest = digest
        self.current_error = None
        try:
            self.on_change(config)
        except Exception:
            log.exception("applying the reloaded config failed path=%s", path)
            return False
        log.info("config reloaded path=%s rules=%d", path, len(config.rules))
        self.bus.publish("config.reloaded", {"path": str(path), "rules": [r.name for r in config.rules]})
        return True


def _open_inotify(folder: Path) -> Inotify | None:
    """An inotify watch on the folder's own entries, or None where inotify cannot be had (then poll)."""
    if sys.platform != "linux":
        return None
    try:
        from asyncinotify import Inotify, Mask
    except (ImportError, OSError, AttributeError):  # not installed, or a libc without inotify
        return None
    mask = (
        Mask.CLOSE_WRITE
        | Mask.MOVED_TO
        | Mask.MOVED_FROM
        | Mask.CREATE
        | Mask.DELETE
        | Mask.ATTRIB
        | Mask.DELETE_SELF
        | Mask.MOVE_SELF
        | Mask.ONLYDIR
    )
    try:
        inotify = Inotify()
    except OSError as exc:
        log.warning("inotify unavailable; checking the config every second reason=%s", exc)
        return None
    try:
        inotify.add_watch(folder, mask)
    except OSError as exc:  # e.g. the user's inotify watch limit is used up
        inotify.close()
        log.warning("cannot watch the config folder; checking the config every second reason=%s", exc)
        return None
    return inotify


def _watch_lost(event: Any) -> bool:
    from asyncinotify import Mask

    return bool(event.mask & (Mask.IGNORED | Mask.DELETE_SELF | Mask.MOVE_SELF))


def _overflowed(event: Any) -> bool:
    """The kernel dropped events: the config may have changed unseen."""
    from asyncinotify import Mask

    return bool(event.mask & Mask.Q_OVERFLOW)
