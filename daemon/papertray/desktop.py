"""`papertray run` with a tray icon (design.md "Threads"): the tray owns the main thread, asyncio runs the
daemon (`app.run_daemon`) in one worker thread, and they hand work over in both directions:

* tray -> daemon: each menu action calls a `Daemon` method that schedules its work on the loop with
  `call_soon_threadsafe` and returns at once (the pairing code alone waits, on a helper thread, for its answer);
* daemon -> tray: `tray_feed.follow` publishes `TrayState` snapshots through the bridge's thread-safe queue;
* signals reach only the main thread, which the tray owns: SIGINT / SIGTERM and Quit ask the daemon to stop,
  the tray closes when the worker ends, and an error that stopped the daemon is raised here, on the main
  thread, for the CLI to report.

Without a usable tray (`tray.prepare()` names why) the daemon runs on this thread after one sentence to `warn`.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import webbrowser
from collections.abc import Callable

from papertray import tray, tray_feed
from papertray.app import Daemon, run_daemon
from papertray.config import Config
from papertray.notify import paper_url


def run_with_tray(config: Config, ready: Callable[[Daemon], None], warn: Callable[[str], None]) -> int:
    """Run the daemon until Quit or a signal; `ready` is called (on the daemon's thread) once it serves."""
    reason = tray.prepare()
    if reason is not None:

        def ready_without_tray(daemon: Daemon) -> None:
            # Said once the daemon has started: a second `run` says only that papertray is already running.
            warn(f"papertray runs without a tray icon: {reason}.")
            ready(daemon)

        asyncio.run(run_daemon(config, on_ready=ready_without_tray))
        return 0

    started = threading.Event()
    holder: dict[str, Daemon] = {}
    failure: list[BaseException] = []

    def open_url(url: str) -> None:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    bridge = tray.TrayBridge(
        poll_now=lambda: holder["daemon"].spawn_threadsafe(lambda: holder["daemon"].poller.poll_now()),
        toggle_pause=lambda: holder["daemon"].spawn_threadsafe(lambda: holder["daemon"].notifier.toggle_pause()),
        pair_code=lambda: holder["daemon"].pair_code_blocking(),
        open_reading_list=lambda: open_url(holder["daemon"].reading_list_url()),
        open_config=lambda: open_url(config.paths.config_file.as_uri()),
        open_paper=lambda paper_id: open_url(paper_url(paper_id)),
        quit=lambda: holder["daemon"].request_stop(),
        end_sessions=lambda: holder["daemon"].end_reading_list_sessions(),
        open_inbox=lambda: open_url(holder["daemon"].inbox_url()),
    )

    def on_ready(daemon: Daemon) -> None:
        holder["daemon"] = daemon

        def state() -> tray.TrayState:
            return tray_feed.snapshot(
                daemon.store,
                source_states=daemon.poller.source_states,
                paused=lambda: daemon.notifier.paused,
                problems=daemon.problems,
                last_poll=lambda: daemon.notifier.last_notice,
                has_rules=lambda: bool(daemon.config().rules),
                mcp_writes=lambda: daemon.config().mcp_allow_writes,
            )

        daemon.spawn_threadsafe(lambda: tray_feed.follow(bridge, daemon.bus, state))
        ready(daemon)
        started.set()

    def worker() -> None:
        try:
            # Signals reach only the main thread, which the tray owns: Quit and SIGTERM go through the bridge.
            asyncio.run(run_daemon(config, on_ready=on_ready, install_signal_handlers=False))
        except BaseException as exc:  # reported on the main thread, where the CLI prints
            failure.append(exc)
        finally:
            started.set()
            bridge.close()

    thread = threading.Thread(target=worker, name="papertray-daemon")
    thread.start()
    started.wait()
    if "daemon" in holder:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: holder["daemon"].request_stop())
        tray.run_tray(bridge)
        holder["daemon"].request_stop()
    thread.join()
    if failure:
        raise failure[0]
    return 0
