"""Live configuration: watches the config *directory* (editors save by writing a temp file and renaming it over
config.toml, which a watch on the file itself would miss after the first save) and applies a valid edit within
a second. Owns watchfiles.

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
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from papertray.config import Config, Paths, load_config
from papertray.errors import ConfigError
from papertray.events import EventBus

log = logging.getLogger(__name__)


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
    ) -> None:
        self.paths = paths
        self.on_change = on_change
        self.bus = bus
        self.env = env
        self.debounce_ms = debounce_ms
        self.current_error: str | None = None
        self._applied_digest: bytes | None = self._digest()
        self.ready = asyncio.Event()  # set once the watch is in place (tests wait on it)

    def _digest(self) -> bytes | None:
        try:
            return hashlib.sha256(self.paths.config_file.read_bytes()).digest()
        except OSError:
            return None

    def _is_config(self, _change: object, path: str) -> bool:
        return os.path.basename(path) == self.paths.config_file.name

    async def run(self) -> None:
        from watchfiles import awatch

        folder = self.paths.config_dir
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stop = asyncio.Event()
        log.info("watching config path=%s", self.paths.config_file)
        watcher = awatch(folder, watch_filter=self._is_config, debounce=self.debounce_ms, step=10, stop_event=stop)
        try:
            # The first `anext` starts the watch; give it a moment to be in place before announcing readiness.
            first = asyncio.ensure_future(anext(watcher))
            await asyncio.sleep(0.05)
            self.ready.set()
            await first
            self.reload()
            async for _changes in watcher:
                self.reload()
        finally:
            stop.set()

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
