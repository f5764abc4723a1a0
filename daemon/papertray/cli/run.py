"""`papertray run`: the daemon in the foreground, with a tray icon when the desktop has one.

design.md "Threads": with a tray, the tray owns the main thread and asyncio runs the daemon in one worker
thread; without one, asyncio runs on the main thread.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from papertray import __version__
from papertray.cli.args import port_arg
from papertray.cli.console import Commands, Console
from papertray.cli.status import files_block
from papertray.config import Config, Paths, load_config


def add_run(commands: Commands) -> None:
    run = commands.add_parser("run", help="run the daemon in the foreground (with a tray icon when possible)")
    run.add_argument("--no-tray", action="store_true", help="run without a tray icon")
    run.add_argument("--port", type=port_arg, help="API port on 127.0.0.1, 0 for any free one (default from config)")
    run.add_argument("-v", "--verbose", action="store_true", help="also log to the console")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray.app import run_daemon
    from papertray.logs import setup_logging

    first_run = not paths.config_file.exists()
    config = load_config(paths)
    if args.port is not None:  # checked by port_arg
        config = dataclasses.replace(config, port=args.port)
    setup_logging(paths, verbose=args.verbose)
    if first_run:
        console.out(f"Welcome to papertray. Created {paths.config_file} with commented defaults.")
        _print_locations(config, console)
        console.out("Pair the browser extension: run `papertray pair` and type the code in its options page.")
    if first_run or sys.stdout.isatty():
        from papertray.cli.path_hint import command_hint

        hint = command_hint()
        if hint is not None:
            console.out(hint)

    def ready(daemon: Any) -> None:
        info = daemon.info
        console.out(f"papertray {__version__} is running on http://127.0.0.1:{info.port} (pid {info.pid}).")
        for problem in daemon.problems():
            console.err(f"Warning: {problem}")
        sys.stdout.flush()
        if sys.stderr.isatty():  # a terminal: say what goes wrong there too (a journal gets the log only)
            from papertray import terminal

            daemon.spawn_threadsafe(lambda: terminal.follow(daemon.bus, console.err))

    if args.no_tray:
        asyncio.run(run_daemon(config, on_ready=ready))
        return 0
    return _run_with_tray(config, ready, console)


def _run_with_tray(config: Config, ready: Callable[[Any], None], console: Console) -> int:
    """design.md "Threads": the tray owns the main thread, asyncio runs the daemon in one worker thread."""
    import threading
    import webbrowser

    from papertray import tray
    from papertray.app import Daemon, run_daemon
    from papertray.notify import paper_url

    reason = tray.prepare()
    if reason is not None:

        def ready_without_tray(daemon: Any) -> None:
            # Said once the daemon has started: a second `run` says only that papertray is already running.
            console.err(f"papertray runs without a tray icon: {reason}.")
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
    )

    def on_ready(daemon: Daemon) -> None:
        holder["daemon"] = daemon

        def state() -> tray.TrayState:
            return tray.snapshot(
                daemon.store,
                source_states=daemon.poller.source_states,
                paused=lambda: daemon.notifier.paused,
                problems=daemon.problems,
            )

        daemon.spawn_threadsafe(lambda: tray.follow(bridge, daemon.bus, state))
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

    import signal

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


def _print_locations(config: Config, console: Console) -> None:
    console.out(files_block(config.paths.locations()))
