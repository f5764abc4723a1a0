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
    if not config.rules:
        config = _invite_interests(config, console, ask=first_run and sys.stdin.isatty() and sys.stdout.isatty())
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
    """design.md "Threads": the tray owns the main thread, asyncio runs the daemon in one worker thread
    (desktop.py does the hand-over)."""
    from papertray.desktop import run_with_tray

    return run_with_tray(config, ready, console.err)


INVITE = (
    "You have no interests yet, so papertray will not notify you about any paper. Add some with "
    '`papertray rules add --keywords "sparse autoencoders, world models" --authors "Yann LeCun"`, '
    "the tray's Add your interests… or the extension popup's button."
)


def _invite_interests(config: Config, console: Console, *, ask: bool) -> Config:
    """No rules means no notification ever, and nothing would say why: say it, and on a first run in a terminal
    ask for a few words, authors and organisations and write them into config.toml (comments kept)."""
    from papertray.config_edit import add_interests, split_terms
    from papertray.errors import ConfigError

    if not ask:
        console.out(INVITE)
        return config
    console.out("What do you follow? papertray notifies you about new papers that match. Comma-separated; Enter skips.")
    try:
        answers = {
            kind: split_terms(input(f"  {label}: "))
            for kind, label in (
                ("keywords", "Topics, in a few words"),
                ("authors", "Authors"),
                ("orgs", "Organisations"),
            )
        }
    except EOFError:
        answers = {}
    if not any(answers.values()):
        console.out(INVITE)
        return config
    try:
        written = add_interests(config.paths, **answers)
    except ConfigError as exc:
        console.err(f"Error: {exc} Nothing was written.")
        console.out(INVITE)
        return config
    console.out(f'Added the rule "{written.rules[-1].name}" to {config.paths.config_file}; edit it there any time.')
    return dataclasses.replace(config, rules=written.rules)


def _print_locations(config: Config, console: Console) -> None:
    console.out(files_block(config.paths.locations()))
