"""`papertray secrets`: secrets in the OS keyring (a Hugging Face token), or, when asked, in a plain 0600 file."""

from __future__ import annotations

import argparse
import sys

from papertray.cli.console import Commands, Console
from papertray.config import Paths
from papertray.errors import PapertrayError

SECRET_NAMES = ("hf_token", "smtp_password")


def add_secrets(commands: Commands) -> None:
    secrets = commands.add_parser("secrets", help="secrets in the OS keyring (a Hugging Face token)")
    secrets.set_defaults(handler=cmd_secrets)
    secret_commands = secrets.add_subparsers(dest="secrets_command", metavar="ACTION")
    secret_commands.required = True
    secret_set = secret_commands.add_parser("set", help="store a secret (the value is read from standard input)")
    secret_set.add_argument("name", choices=SECRET_NAMES)
    secret_set.add_argument(
        "--insecure-storage",
        action="store_true",
        help="no usable keyring: keep it in a plain 0600 file instead (papertray warns whenever it uses it)",
    )
    secret_delete = secret_commands.add_parser("delete", help="remove a secret")
    secret_delete.add_argument("name", choices=SECRET_NAMES)
    secret_commands.add_parser("status", help="which secrets are set, and where they are kept")


def cmd_secrets(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    import getpass

    from papertray.credentials import INSECURE_FILE, Credentials, keyring_status
    from papertray.errors import KeyringUnavailable

    # Only a `set` that asks for it writes the plain file; one that exists is still read and deleted from.
    opted_in = args.insecure_storage if args.secrets_command == "set" else (paths.state_dir / INSECURE_FILE).exists()
    secrets = Credentials(paths.state_dir, insecure_file=opted_in)
    if args.secrets_command == "set":
        value = getpass.getpass(f"{args.name}: ") if sys.stdin.isatty() else sys.stdin.readline()
        value = value.strip()
        if not value:
            raise PapertrayError(f"No value was given for {args.name}; nothing was stored.")
        where = secrets.set(args.name, value)
        console.out(f"Stored {args.name} in {where}; papertray uses it from its next poll.")
        if where.startswith("the plain file"):
            console.err("Warning: this secret is kept unencrypted because no keyring is usable.")
    elif args.secrets_command == "delete":
        removed = secrets.delete(args.name)
        console.out(f"Removed {args.name}." if removed else f"{args.name} was not set.")
    else:
        ok, backend, _advice = keyring_status()
        console.out(f"{'keyring':<10} {backend if ok else f'none usable ({backend})'}")
        for name in SECRET_NAMES:
            try:
                source = secrets.source(name)
                console.out(f"{name:<10} {f'set, in {source}' if source else 'not set'}")
            except KeyringUnavailable as exc:
                console.out(f"{name:<10} unknown: {exc}")
        if not ok:
            console.out(
                "Without a keyring: set HF_TOKEN in the environment, or `papertray secrets set hf_token "
                "--insecure-storage` keeps it in a plain 0600 file."
            )
    return 0
