"""`papertray open` and `papertray open --end-sessions`: the reading list from the command line.

The browser is started on a launcher file (api/library_launch.py), never on a link with a secret in it: any
local user can read a process's command line.
"""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path
from typing import Protocol

from papertray.client import DaemonClient
from papertray.config import Paths


class Output(Protocol):
    def out(self, text: str = "") -> None: ...

    def err(self, text: str) -> None: ...


def cmd_open(args: argparse.Namespace, paths: Paths, console: Output) -> int:
    client = DaemonClient.connect(paths)
    if args.end_sessions:
        ended = client.delete("library/sessions")["sessions_ended"]
        console.out(f"Ended {ended} reading-list session{'' if ended == 1 else 's'}; open pages must be opened again.")
        return 0
    launcher = Path(client.post("library/login", {"launcher": True})["file"])
    console.out(f"Opening the reading list through {launcher} (it works once, for 2 minutes).")
    if not webbrowser.open(launcher.as_uri()):
        console.err("No browser could be started; open the file above in your browser yourself.")
    return 0
