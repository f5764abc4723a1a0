"""`papertray poll`: poll the feeds now and say what arrived."""

from __future__ import annotations

import argparse
from typing import Any

from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Paths
from papertray.safe_text import one_line
from papertray.wording import counted


def add_poll(commands: Commands) -> None:
    poll = commands.add_parser("poll", help="poll the feeds now and say what arrived")
    poll.set_defaults(handler=cmd_poll)


def cmd_poll(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    client = DaemonClient.connect(paths, timeout=300)
    report = client.post("poll", {})
    console.out(render_report(report))
    return 1 if report.get("error") else 0


def render_report(report: dict[str, Any]) -> str:
    days = ", ".join(report.get("days", [])) or "no days"
    if report.get("error"):
        return f"Poll of {days} failed: {one_line(str(report['error']))}"
    new = report.get("new", [])
    fetched = counted(report.get("fetched", 0), "entry", "entries")
    text = f"Polled {days}: {fetched}, {len(new)} new, {report.get('updated', 0)} updated."
    if report.get("skipped"):
        skipped = counted(report["skipped"], "malformed entry", "malformed entries")
        text += f" {skipped} {'was' if report['skipped'] == 1 else 'were'} skipped."
    if report.get("notice"):
        text += f" {report['notice'][0].upper()}{report['notice'][1:]}."
    return text
