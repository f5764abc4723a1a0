"""The composition root: builds every long-lived part from the config, serves the API on 127.0.0.1, runs
the poller, notifications, the config watcher and the library's download queue, and shuts all of it down in
order.

`build_app` is the one place the application is put together, for the daemon, the test servers
(tests/support/api_server.py, library_site.py) and the benchmarks alike: the API over a store, with a cleanup
context that, when the app stops, cancels the loops `start_loops` began and closes the poller, the library and
the store, in that order. `serve` binds it to 127.0.0.1 as the daemon does. Every key the application holds is
in `api/keys.py`.

Threads (design.md): with a tray, the tray owns the main thread and this runs in one worker thread; without,
asyncio runs on the main thread. Nothing here prints: `cli.py` reports what `run_daemon` raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from papertray import __version__
from papertray.api import PollerLike, create_api
from papertray.api.guard import FailureLimiter
from papertray.api.keys import CONTEXT, LOOPS, SEARCH
from papertray.api.library_routes import end_sessions, launcher_file
from papertray.api.pairing import PairingCodes
from papertray.api.serving import start_runner
from papertray.arxiv_poller import ArxivPoller
from papertray.atomic import remove_stale_temp_files
from papertray.config import Config
from papertray.credentials import INSECURE_FILE, Credentials
from papertray.digest.ranked import ranked_items
from papertray.digest.service import DigestService
from papertray.errors import KeyringUnavailable, PapertrayError
from papertray.events import EventBus
from papertray.hf_lists import HfListsPoller
from papertray.library import Library
from papertray.notify import Notifier
from papertray.poller import Poller
from papertray.pollers import Pollers
from papertray.ranking.service import Ranker
from papertray.reload import ConfigWatcher
from papertray.runtime import DaemonInfo, InstanceLock, pid_alive
from papertray.search import SearchService
from papertray.sources.politeness import machine_limiter
from papertray.store import Store, utc_now
from papertray.version_check import VersionCheck
from papertray.versions import VersionWatcher

log = logging.getLogger(__name__)


class ConfigHolder:
    """The one current Config; a reload swaps it whole. Long-lived parts hold this callable, not a Config."""

    def __init__(self, config: Config) -> None:
        self._config = config

    def __call__(self) -> Config:
        return self._config

    def swap(self, config: Config) -> None:
        self._config = config


def build_app(
    config: Callable[[], Config],
    store: Store,
    *,
    poller: PollerLike | None = None,
    library: Library | None = None,
    digests: DigestService | None = None,
    ranker: Ranker | None = None,
    search: SearchService | None = None,
    problems: Callable[[], list[str]] = list,
    pairing: PairingCodes | None = None,
    limiter: FailureLimiter | None = None,
    versions: VersionWatcher | None = None,
    poll_notice: Callable[[Sequence[str]], str] | None = None,
) -> web.Application:
    """The papertray application over `store` (and its bus). Owns the parts it is given: the cleanup context
    closes them when the app stops (`runner.cleanup()`); no I/O until it starts."""
    app = create_api(
        config=config,
        store=store,
        bus=store.bus,
        poller=poller,
        paths=config().paths,
        problems=problems,
        limiter=limiter,
        pairing=pairing,
        library=library,
        digests=digests,
        ranker=ranker,
        search=search,
        versions=versions,
        poll_notice=poll_notice,
    )
    app[LOOPS] = set()
    app.cleanup_ctx.append(_lifetime)
    return app


def start_loops(app: web.Application, loops: Mapping[str, Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Start each long-running loop as a task of that name; the app's cleanup cancels them."""
    for name, run in loops.items():
        app[LOOPS].add(asyncio.create_task(run(), name=name))


async def serve(
    app: web.Application, *, port: int = 0, shutdown_timeout: float = 2.0, reuse_address: bool | None = None
) -> tuple[web.AppRunner, int]:
    """Serve `app` on 127.0.0.1 (by address: "localhost" depends on resolution, and None would mean every
    interface) with the API's connection limits; the runner and the bound port. If the app cannot start or the
    port cannot be bound, the runner is cleaned up (so the app's parts are closed) and the error raised."""
    runner = await start_runner(app, shutdown_timeout=shutdown_timeout)
    site = web.TCPSite(runner, host="127.0.0.1", port=port, reuse_address=reuse_address)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, _bound_port(runner) or port


async def close_parts(store: Store, poller: PollerLike | None, library: Library | None) -> None:
    """Close what `build_app` was given, in order: the poller and the library (their HTTP sessions) before the
    store, so a poll or a download still finishing can write."""
    if poller is not None:
        await poller.close()
    if library is not None:
        await library.close()
    await store.close()


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    yield
    loops = app[LOOPS]
    for task in loops:
        task.cancel()
    for task in loops:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    context = app[CONTEXT]
    search = app.get(SEARCH)
    if search is not None:  # before the store: its worker thread may still be reading papers
        await search.close()
    await close_parts(context.store, context.poller, context.library)


@dataclass
class Daemon:
    """A running daemon's parts, for the tray bridge and for tests that embed the daemon."""

    config: ConfigHolder
    bus: EventBus
    store: Store
    poller: Pollers  # every source: Hugging Face and the arXiv listings
    notifier: Notifier
    watcher: ConfigWatcher
    pairing: PairingCodes
    library: Library | None = None
    digests: DigestService | None = None
    search: SearchService | None = None
    api: web.Application | None = None
    info: DaemonInfo | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    loop: asyncio.AbstractEventLoop | None = None
    _background: set[asyncio.Task[Any]] = field(default_factory=set)  # tray-started work, cancelled at stop

    def problems(self) -> list[str]:
        found = self.store.current_problems()
        if self.api is not None:  # a token file moved aside at start is shown like the store's own files
            found.extend(self.api[CONTEXT].tokens.problems)
        if self.library is not None:
            found += self.library.problems
        if self.digests is not None:  # a digest that failed to send, in the server's words
            found += self.digests.problems()
        if self.search is not None:
            found += self.search.problems
        if self.watcher.current_error:
            found.append(self.watcher.current_error)
        config = self.config()
        if self.info is not None and config.port not in (0, self.info.port):
            # The extension and open pages know the running port; moving under them would cut them off.
            found.append(
                f"The port is now {config.port} in {config.paths.config_file}; papertray keeps serving on "
                f"{self.info.port} until it is restarted."
            )
        return found

    def reading_list_url(self, view: str = "") -> str:
        """What the tray and a notification click open: a launcher file (library_launch.py), so that neither the
        browser's command line nor the log holds a secret. `view="inbox"`: the matches inbox."""
        port = self.info.port if self.info else self.config().port
        if self.api is not None:
            return launcher_file(self.api, port, view).as_uri()
        return f"http://127.0.0.1:{port}/library/{view}"

    def inbox_url(self) -> str:
        """The matches inbox, for a notification about several papers and the tray's "New today"."""
        return self.reading_list_url("inbox")

    def end_reading_list_sessions(self) -> None:
        """The tray's "End reading-list sessions" (any thread)."""
        if self.loop is not None and self.api is not None and not self.loop.is_closed():
            api = self.api
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(lambda: end_sessions(api))

    # Called from the tray's thread: each hands its work to the event loop and returns at once.

    def spawn_threadsafe(self, make: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(lambda: self._spawn(make()))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def pair_code_blocking(self, timeout: float = 5.0) -> str:
        """A fresh pairing code, for the tray's menu (runs on a helper thread, waits for the loop)."""
        if self.loop is None:
            raise RuntimeError("the daemon is not running")

        async def mint() -> str:
            return self.pairing.new_code()[0]

        return asyncio.run_coroutine_threadsafe(mint(), self.loop).result(timeout)

    def request_stop(self) -> None:
        """Safe from any thread (the tray's Quit, a signal handler)."""
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
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
    holder = ConfigHolder(config)
    try:
        # Every commit first checks that this daemon still holds the data folder it locked.
        store = Store.open(paths.data_dir, bus, guard=lock.data_lock.check)
    except BaseException:  # data from a newer papertray: refused in one sentence, nothing touched
        lock.release()
        raise
    for problem in store.problems:
        log.error("store problem: %s", problem)
    remove_stale_temp_files(paths.state_dir, alive=pid_alive)  # (the store cleans its own folder at open)
    secrets = Credentials(paths.state_dir, insecure_file=(paths.state_dir / INSECURE_FILE).exists())

    def hf_token() -> str | None:
        try:
            return secrets.get("hf_token")
        except KeyringUnavailable:  # no keyring means no stored token; `papertray doctor` says why
            return None

    # One limiter for every client (arXiv's terms hold for the whole machine): the pollers', the library's and
    # the version check's requests to any arXiv host share one 3-second, one-at-a-time slot; Hugging Face's
    # daily list and its weekly/monthly/trending lists share that host's slot.
    limiter = machine_limiter(lambda: holder().arxiv_url)
    hf_poller = Poller(holder, store, bus, limiter=limiter, hf_token=lambda: asyncio.to_thread(hf_token))
    arxiv_poller = ArxivPoller(holder, store, bus, limiter=limiter)
    poller = Pollers(hf_poller, arxiv_poller, HfListsPoller(holder, store, bus, limiter=limiter))
    watcher = ConfigWatcher(paths, holder.swap, bus)
    pairing = PairingCodes()
    daemon: Daemon
    ranker = Ranker(store, bus, lambda: holder().rules, paths.data_dir, log=log.warning)
    notifier = Notifier(
        holder,
        store,
        bus,
        reading_list_url=lambda: daemon.reading_list_url(),
        inbox_url=lambda: daemon.inbox_url(),
        for_you=ranker.standings.for_you,
    )
    library = Library(holder, store, bus, limiter=limiter)
    # Saved papers' new versions: noticed from any source, checked daily through the export API (the library's
    # guarded client, so the shared limiter), announced once through the notifier, their PDFs queued.
    versions = VersionWatcher(store, bus, enqueue=library.enqueue, announce=notifier.send_now)
    version_check = VersionCheck(holder, store, bus, library.http)
    digests = DigestService(
        holder,
        store,
        bus,
        secrets,
        next_poll_at=lambda: hf_poller.source_states()[0].next_poll_at,
        ranked=ranked_items(ranker.standings),
        versions=versions.history,  # the "new versions" feed and email group
    )
    # The search index is derived (papertray.search): it lives in the cache folder and never stops a start.
    search = SearchService(paths.cache_dir / "search", store, bus, pdf_path=library.pdf_path)
    daemon = Daemon(
        holder,
        bus,
        store,
        poller,
        notifier,
        watcher,
        pairing,
        library=library,
        digests=digests,
        search=search,
        loop=loop,
    )
    api: web.Application | None = None
    runner: web.AppRunner | None = None
    try:
        api = daemon.api = build_app(
            holder,
            store,
            poller=poller,
            library=library,
            digests=digests,
            ranker=ranker,
            problems=daemon.problems,
            pairing=pairing,
            search=search,
            versions=versions,
            poll_notice=notifier.poll_notice,
        )
        try:
            runner, port = await serve(api, port=config.port, reuse_address=True)
        except OSError as exc:
            who = await asyncio.to_thread(_port_holder, config.port) or f"another program ({exc.strerror})"
            raise PapertrayError(
                f"Port {config.port} on 127.0.0.1 is in use by {who}; "
                "set PAPERTRAY_PORT or [daemon] port in the config."
            ) from None
        daemon.info = lock.publish(port, utc_now())
        log.info("papertray %s listening on 127.0.0.1:%s home=%s", __version__, port, paths.config_dir)
        start_loops(
            api,
            {
                "poller": poller.run,
                "notifier": notifier.run,
                "ranker": ranker.run,
                "config-watcher": watcher.run,
                "library": library.run,
                "digests": digests.run,
                "search": search.run,
                "versions": versions.run,
                "version-check": version_check.run,
            },
        )
        if install_signal_handlers:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, daemon.stop_event.set)
        if on_ready is not None:
            on_ready(daemon)
        await daemon.stop_event.wait()
        log.info("papertray stopping")
    finally:
        for task in daemon._background:
            task.cancel()
        for task in list(daemon._background):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if runner is not None:
            await runner.cleanup()  # the app's cleanup context: loops cancelled, poller, library, store closed
        elif api is None:  # the app was never built (`serve` closes the parts itself when it fails)
            await close_parts(store, poller, library)
        lock.release()
        log.info("papertray stopped")


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None


def _port_holder(port: int) -> str | None:
    """'another papertray (…)' when a papertray answers on `port`, with its pid and home when it is the default
    home's (the usual case: a PAPERTRAY_HOME run meets the everyday one); None when something else holds it."""
    from papertray.config import Paths
    from papertray.runtime import papertray_version_on, pid_alive, read_daemon_info

    version = papertray_version_on(port)
    if version is None:
        return None
    default = Paths.from_env({})
    info = read_daemon_info(default)
    if info is not None and info.port == port and pid_alive(info.pid):
        return f"another papertray ({version}, pid {info.pid}, home {default.config_dir})"
    return f"another papertray ({version}, for another home)"
