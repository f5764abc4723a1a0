"""`papertray doctor`: check keyring, tray, notifications, port, feed and pairing, each with its fix."""

from __future__ import annotations

import argparse
import json

from papertray.cli.console import Commands, Console
from papertray.config import Paths, load_config


def add_doctor(commands: Commands) -> None:
    doctor = commands.add_parser("doctor", help="check keyring, tray, notifications, port, feed and pairing")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument("--smtp", action="store_true", help="also log in to the digest's SMTP server")
    doctor.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray.cli.digest import doctor_check
    from papertray.doctor import run_checks

    config = load_config(paths)
    checks = [*run_checks(config), doctor_check(config, args.smtp)]
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
