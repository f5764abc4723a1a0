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
    sources = report.get("sources") or [report]
    lines = [
        render_report(each) if len(sources) == 1 else f"{each.get('source', '?')}: {render_report(each)}"
        for each in sources
    ]
    # What became of the new papers of every source together ("4 matched, notified"): said once, at the end.
    notice = report.get("notice")
    if notice:
        sentence = f"{notice[0].upper()}{notice[1:]}."
        if len(lines) == 1:
            lines[0] += f" {sentence}"
        else:
            lines.append(sentence)
    for line in lines:
        console.out(line)
    # a failing source does not hide what the others brought, but the exit code says one failed
    return 1 if any(each.get("error") for each in sources) else 0


def render_report(report: dict[str, Any]) -> str:
    if report.get("source", "hf") != "hf":
        return _render_listing(report)
    days = ", ".join(report.get("days", [])) or "no days"
    if report.get("error"):
        return f"Poll of {days} failed: {one_line(str(report['error']))}"
    new = report.get("new", [])
    fetched = counted(report.get("fetched", 0), "entry", "entries")
    text = f"Polled {days}: {fetched}, {len(new)} new, {report.get('updated', 0)} updated."
    if report.get("skipped"):
        skipped = counted(report["skipped"], "malformed entry", "malformed entries")
        text += f" {skipped} {'was' if report['skipped'] == 1 else 'were'} skipped."
    return text


def _render_listing(report: dict[str, Any]) -> str:
    """arXiv's listing: one announcement, perhaps unchanged (304), perhaps with a catch-up."""
    if report.get("error"):
        return f"Poll failed: {one_line(str(report['error']))}"
    if report.get("not_modified") and not report.get("caught_up"):
        return "Nothing new since the last poll (the listing is unchanged)."
    days = ", ".join(report.get("days", [])) or "the latest announcement"
    new = report.get("new", [])
    fetched = counted(report.get("fetched", 0), "entry", "entries")
    text = f"Polled {days}: {fetched}, {len(new)} new, {report.get('updated', 0)} updated."
    if report.get("caught_up"):
        text += f" {report['caught_up']} of them were caught up from missed days."
    if report.get("skipped"):
        skipped = counted(report["skipped"], "entry", "entries")
        text += f" {skipped} {'was' if report['skipped'] == 1 else 'were'} skipped."
    return text
