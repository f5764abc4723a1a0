"""`papertray autostart enable|disable|status`: start papertray at login (autostart.py writes the entry)."""

from __future__ import annotations

import argparse

from papertray.cli.console import Commands, Console
from papertray.config import Paths


def add_autostart(commands: Commands) -> None:
    autostart = commands.add_parser("autostart", help="start papertray at login")
    autostart.add_argument("action", choices=("enable", "disable", "status"))
    autostart.set_defaults(handler=cmd_autostart)


def cmd_autostart(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray import autostart

    if args.action == "enable":
        _entry, message = autostart.enable(paths)
        console.out(message)
    elif args.action == "disable":
        console.out(autostart.disable(paths))
    else:
        state = autostart.status(paths)
        console.out(f"autostart: {state.detail} ({state.kind}: {state.path})")  # a report: exit 0 either way
    return 0
