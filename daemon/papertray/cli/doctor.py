"""`papertray doctor`: check keyring, tray, notifications, port, feed and pairing, each with its fix."""

from __future__ import annotations

import argparse
import json

from papertray.cli.console import Commands, Console
from papertray.config import Paths, load_config
from papertray.doctor import Check
from papertray.safe_text import one_line


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
        for check in checks:
            console.out(f"{'ok  ' if check.ok else 'FAIL'}  {check.name:<14} {check.detail}")
            if not check.ok and check.fix:
                console.out(f"      {'':<14} fix: {check.fix}")
        failed = sum(not c.ok for c in checks)
        console.out("\nAll checks passed." if not failed else f"\n{failed} of {len(checks)} checks failed.")
    return 1 if any(not c.ok for c in checks) else 0


def source_checks(paths: Paths) -> list[Check]:
    """One line per source of the running daemon (Hugging Face, arXiv): last success, next poll, errors in a row
    and the last error as its fix. Nothing when papertray is not running: there is no polling to judge."""
    from papertray.client import DaemonClient
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
            f" · {errors} error{'' if errors == 1 else 's'} in a row"
        )
        fix = f"Last error: {one_line(str(source.get('last_error')))} (papertray keeps trying)." if errors else ""
        checks.append(Check(f"source {name}", errors == 0, detail, fix))
    return checks
