"""`papertray backfill`: past days of Daily Papers, one request per day through the daemon (which spaces its
requests politely), with a progress bar and an honest summary.

It stops at the first day the host could not be reached or would not answer (offline, DNS, rate limited: the
report's `unreachable`), since every later day would fail the same way after its own wait. Failures of single
days (a broken page) are listed and the walk goes on. The daemon keeps a backfill's failures out of the
regular schedule (poller.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from papertray.cli.args import date_arg
from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Paths
from papertray.errors import PapertrayError
from papertray.wording import counted


class Poster(Protocol):
    def post(self, path: str, body: Any = None) -> Any: ...


def add_backfill(commands: Commands) -> None:
    backfill = commands.add_parser("backfill", help="fetch past days of Daily Papers, politely")
    backfill.add_argument("--since", type=date_arg, required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--until", type=date_arg, help="last day (default: today, UTC)")
    backfill.set_defaults(handler=cmd_backfill)


def cmd_backfill(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    client = DaemonClient.connect(paths, timeout=300)
    first = date.fromisoformat(args.since)
    last = date.fromisoformat(args.until) if args.until else datetime.now(UTC).date()
    if first > last:
        raise PapertrayError(f"--since {first} is after {last}: nothing to fetch.")
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    return backfill(client, days, console.out, console.err)


def backfill(client: Poster, days: Sequence[str], out: Callable[[str], None], err: Callable[[str], None]) -> int:
    """Fetch `days` in order; returns the exit code (0 all fetched, 1 some failed, 130 interrupted)."""
    from tqdm import tqdm

    fetched = new = ok = 0
    failed: list[str] = []
    stopped: tuple[str, str] | None = None
    try:
        with tqdm(days, unit="day", desc="backfill", file=sys.stderr, dynamic_ncols=True) as bar:
            for day in bar:
                report = client.post("poll", {"days": [day]})
                fetched += int(report.get("fetched", 0))
                new += len(report.get("new", []))
                bar.set_postfix(new=new)
                if not report.get("error"):
                    ok += 1
                elif report.get("unreachable"):
                    stopped = (day, str(report["error"]))
                    break
                else:
                    failed.append(f"Failed {day}: {report['error']}")
    except KeyboardInterrupt:
        err(
            f"Stopped after {ok + len(failed)} of {counted(len(days), 'day')}; "
            f"the {counted(new, 'new paper')} that arrived are kept."
        )
        return 130
    for line in failed:
        err(line)
    if stopped is not None:
        day, error = stopped
        left = len(days) - ok - len(failed)
        err(
            f"Stopped at {day}: {error.rstrip('.')}. The {counted(left, 'day')} from {day} on were not fetched; "
            "run the same backfill again once it can be reached."
        )
    what = counted(len(days), "day") if ok == len(days) else f"{ok} of {counted(len(days), 'day')}"
    out(f"Backfilled {what}: {counted(fetched, 'entry', 'entries')}, {counted(new, 'new paper')}.")
    return 0 if ok == len(days) else 1
