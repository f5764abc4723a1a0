"""The composition root: builds every long-lived part from the config, serves the API on 127.0.0.1, runs
the poller (and, where present, notifications and the config watcher), and shuts all of it down in order.

Threads (design.md): with a tray, the tray owns the main thread and this runs in one worker thread; without,
asyncio runs on the main thread. Nothing here prints: `cli.py` reports what `run_daemon` raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from papertray import __version__
from papertray.api import create_api
from papertray.config import Config
from papertray.errors import PapertrayError
from papertray.events import EventBus
from papertray.poller import Poller
from papertray.runtime import DaemonInfo, InstanceLock
from papertray.store import Store, utc_now

log = logging.getLogger(__name__)


class ConfigHolder:
    """The one current Config; a reload swaps it whole. Long-lived parts hold this callable, not a Config."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self.error: str | None = None

    def __call__(self) -> Config:
        return self._config

    def swap(self, config: Config) -> None:
        self._config = config
        self.error = None


@dataclass
class Daemon:
    """A running daemon's parts, for the tray bridge and for tests that embed the daemon."""

    config: ConfigHolder
    bus: EventBus
    store: Store
    poller: Poller
    info: DaemonInfo | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    loop: asyncio.AbstractEventLoop | None = None

    def problems(self) -> list[str]:
        found = list(self.store.problems)
        if self.config.error:
            found.append(self.config.error)
        return found

    def request_stop(self) -> None:
        """Safe from any thread (the tray's Quit, a signal handler)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)


async def run_daemon(
    config: Config,
    *,
    on_ready: Callable[[Daemon], None] | None = None,
    install_signal_handlers: bool = True,
) -> None:
    """Run until SIGINT/SIGTERM or `Daemon.request_stop()`. Raises PapertrayError if it cannot start."""
    paths = config.paths
    paths.ensure()
    lock = InstanceLock(paths)
    lock.acquire()
    loop = asyncio.get_running_loop()
    bus = EventBus()
    bus.bind(loop)
    holder = ConfigHolder(config)
    store = Store.open(paths.data_dir, bus)
    for problem in store.problems:
        log.error("store problem: %s", problem)
    poller = Poller(holder, store, bus)
    daemon = Daemon(holder, bus, store, poller, loop=loop)
    runner: web.AppRunner | None = None
    tasks: list[asyncio.Task[None]] = []
    try:
        api = create_api(config=holder, store=store, bus=bus, poller=poller, paths=paths, problems=daemon.problems)
        runner = web.AppRunner(api, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        # Loopback only, by address: "localhost" depends on resolution and None means every interface.
        site = web.TCPSite(runner, host="127.0.0.1", port=config.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            raise PapertrayError(
                f"Port {config.port} on 127.0.0.1 is in use by another program ({exc.strerror}); "
                "set PAPERTRAY_PORT or [daemon] port in the config."
            ) from None
        port = _bound_port(runner) or config.port
        daemon.info = lock.publish(port, utc_now())
        log.info("papertray %s listening on 127.0.0.1:%s home=%s", __version__, port, paths.config_dir)
        tasks.append(asyncio.create_task(poller.run(), name="poller"))
        if install_signal_handlers:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, daemon.stop_event.set)
        if on_ready is not None:
            on_ready(daemon)
        await daemon.stop_event.wait()
        log.info("papertray stopping")
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if runner is not None:
            await runner.cleanup()
        await store.close()
        lock.release()
        log.info("papertray stopped")


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
