"""`papertray doctor`: check keyring, tray, notifications, port, feed and pairing, each with its fix."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from papertray.cli import layout
from papertray.cli.console import Commands, Console
from papertray.config import Paths, load_config
from papertray.safe_text import one_line
from papertray.wording import counted

if TYPE_CHECKING:
    from papertray.doctor import Check

NAME_WIDTH = 14
LABEL = {"ok": "ok  ", "fail": "FAIL", "note": "note"}


def add_doctor(commands: Commands) -> None:
    doctor = commands.add_parser("doctor", help="check keyring, tray, notifications, port, feed and pairing")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument("--smtp", action="store_true", help="also log in to the digest's SMTP server")
    doctor.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray.cli.digest import doctor_check
    from papertray.doctor import run_checks

    config = load_config(paths)
    checks = [*run_checks(config), *source_checks(paths), doctor_check(config, args.smtp)]
    if args.json:
        console.out(json.dumps([c.to_dict() for c in checks], indent=2))
    else:
        render(checks, console, layout.columns(), layout.colour_on())
    return 1 if any(c.failed for c in checks) else 0


def render(checks: Sequence[Check], console: Console, width: int | None, colour: bool) -> None:
    """A line per check, its label coloured, every line within `width` (wrapped between words)."""
    start = len(LABEL["ok"]) + 2
    indent = start + NAME_WIDTH + 1
    for check in checks:
        kind = "ok" if check.ok else "note" if check.optional else "fail"
        lines = layout.wrap(f"{check.name:<{NAME_WIDTH}} {check.detail}", width, start, indent)
        if not check.ok and check.fix:
            fix = layout.wrap(f"fix: {check.fix}", width, indent, indent + 5)
            lines += [" " * indent + fix[0], *fix[1:]]
        console.out(lines[0], lead=layout.paint(LABEL[kind], kind, colour) + "  ")
        for line in lines[1:]:
            console.out(line)
    failed = sum(c.failed for c in checks)
    notes = sum(not c.ok and c.optional for c in checks)
    said = f"{counted(notes, 'note')}; " if notes else ""
    if failed:
        console.out(f"\n{said}{failed} of {counted(len(checks), 'check')} failed.")
    else:
        console.out(f"\n{said}all checks passed." if notes else "\nAll checks passed.")


def source_checks(paths: Paths) -> list[Check]:
    """One line per source of the running daemon (Hugging Face, arXiv): last success, next poll, errors in a row
    and the last error as its fix. Nothing when papertray is not running: there is no polling to judge."""
    from papertray.client import DaemonClient
    from papertray.doctor import Check
    from papertray.errors import PapertrayError

    try:
        status = DaemonClient.connect(paths, timeout=5).get("status")
    except (PapertrayError, OSError):
        return []
    checks = []
    for source in status.get("sources", []) if isinstance(status, dict) else []:
        name = one_line(str(source.get("name", "?")))
        errors = int(source.get("error_count") or 0)
        detail = (
            f"last success {source.get('last_success_at') or 'never'} · next poll {source.get('next_poll_at') or '?'}"
            f" · {counted(errors, 'error')} in a row"
        )
        fix = f"Last error: {one_line(str(source.get('last_error')))} (papertray keeps trying)." if errors else ""
        checks.append(Check(f"source {name}", errors == 0, detail, fix))
    return checks
