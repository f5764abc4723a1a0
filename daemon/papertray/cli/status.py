"""`papertray status`: whether papertray is running, how polling goes, what is stored, and where its files are."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from papertray.cli import search
from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Paths
from papertray.safe_text import json_text, one_line
from papertray.timestamps import parse_iso


def add_status(commands: Commands) -> None:
    status = commands.add_parser("status", help="is papertray running, how polling goes, what is stored")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=cmd_status)


def cmd_status(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray.client import NOT_RUNNING
    from papertray.errors import DaemonNotRunning

    try:
        client = DaemonClient.connect(paths, timeout=10)
        status = client.get("status")
    except DaemonNotRunning:
        if args.json:
            console.out(json.dumps({"running": False, "home": str(paths.config_dir), "locations": paths.locations()}))
        else:
            console.err(NOT_RUNNING)
            console.err(files_block(paths.locations()))
        return 1
    status = {
        "running": True,
        "pid": client.info.pid,
        "port": client.info.port,
        **status,
        "locations": paths.locations(),
    }
    if args.json:
        console.out(json_text(status))
        return 0
    console.out(render_status(status))
    return 0


def render_status(status: dict[str, Any]) -> str:
    lines = [
        f"papertray {status.get('version', '?')} is running (pid {status['pid']}, port {status['port']})",
        "",
        "Sources",
    ]
    now = datetime.now(UTC)
    for source in status.get("sources", []):
        last_ok = _ago(source.get("last_success_at"), now)
        next_poll = _ago(source.get("next_poll_at"), now)
        state = "polling now" if source.get("polling") else "ok"
        errors = source.get("error_count") or 0
        if errors:
            last_error = one_line(str(source.get("last_error")))
            state = f"failing ({errors} error{'' if errors == 1 else 's'} in a row): {last_error}"
        extra = source.get("extra") or {}
        followed = f" ({', '.join(map(str, extra['categories']))})" if extra.get("categories") else ""
        lines.append(f"  {source['name']:<6} {state}{one_line(followed)}")
        lines.append(f"         last success {last_ok} · next poll {next_poll}")
        catch_up = extra.get("catch_up")
        if isinstance(catch_up, dict):
            left = max(0, int(catch_up.get("requests_total", 0)) - int(catch_up.get("requests_done", 0)))
            lines.append(
                f"         catching up {catch_up.get('since')} to {catch_up.get('until')}: {left} requests left, "
                f"about {int(catch_up.get('eta_seconds', 0))} s"
            )
    counts = status.get("counts", {})
    lines += ["", "Papers   " + new_line(status.get("new") or {})]
    lines.append("         " + " · ".join(f"{k} {counts.get(k, 0)}" for k in ("total", "seen", "saved", "read")))
    rules = status.get("rules", [])
    if rules:
        lines.append(
            "Rules    " + ", ".join(f"{r['name']}{'' if r.get('notify', True) else ' (silent)'}" for r in rules)
        )
    else:
        lines.append("Rules    none, so nothing is notified: add your interests with `papertray rules add`")
    lines += search.status_lines(status)
    lines += _version_lines(status.get("versions"))
    for problem in status.get("problems", []):
        lines.append(f"Problem  {one_line(str(problem))}")
    if status.get("locations"):
        lines += ["", files_block(status["locations"])]
    return "\n".join(lines)


def _version_lines(versions: dict[str, Any] | None) -> list[str]:
    """Saved papers' new versions not yet looked at, and a failing daily check of them, one line each."""
    if not versions:
        return []
    lines = [
        f"New      v{item.get('version')} of {one_line(str(item.get('title') or item.get('id')))} is out"
        for item in versions.get("new", [])
    ]
    error = (versions.get("check") or {}).get("error")
    if error:
        lines.append(f"Versions {one_line(str(error))}")
    return lines


def new_line(new: dict[str, Any]) -> str:
    """ "new today" and "unseen" as the tray, the badge and the popup say them (`Store.new_counts`)."""
    day = new.get("day")
    today = f"{new.get('today', 0)} new today" + (f" ({day})" if day else "")
    return f"{today} · {new.get('unseen', 0)} unseen in all"


def files_block(where: dict[str, str]) -> str:
    """Where config, data and logs live: in `status` (running or not) and at the first run."""
    notes = {"data": "  (your papers, reading list and PDFs)"}
    rows = [f"{name:<7}{where[name]}{notes.get(name, '')}" for name in ("config", "data", "logs")]
    return "Files    " + "\n         ".join(rows)


def _ago(stamp: str | None, now: datetime) -> str:
    if not stamp:
        return "never"
    try:
        when = parse_iso(stamp)
    except ValueError:
        return stamp
    seconds = (when - now).total_seconds()
    span = abs(seconds)
    if span < 60:
        text = f"{int(span)} s"
    elif span < 3600:
        text = f"{int(span // 60)} min"
    elif span < 86400:
        text = f"{span / 3600:.1f} h"
    else:
        text = f"{span / 86400:.1f} days"
    local = when.astimezone().strftime("%H:%M")
    return f"in {text} ({local})" if seconds > 0 else f"{text} ago ({local})"
