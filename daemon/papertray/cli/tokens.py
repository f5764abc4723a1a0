"""`papertray pair` and `papertray token`: how the extension and scripts get a bearer token for the API."""

from __future__ import annotations

import argparse

from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Paths
from papertray.wording import counted


def add_pair(commands: Commands) -> None:
    pair = commands.add_parser("pair", help="print a one-time code to pair the browser extension")
    pair.set_defaults(handler=cmd_pair)


def add_token(commands: Commands) -> None:
    token = commands.add_parser("token", help="bearer tokens for scripts")
    token.set_defaults(handler=cmd_token)
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION")
    token_commands.required = True
    create = token_commands.add_parser("create", help="create a token (shown once)")
    create.add_argument("--name", required=True)
    token_commands.add_parser("list", help="list tokens (names only)")
    revoke = token_commands.add_parser("revoke", help="revoke a token").add_mutually_exclusive_group(required=True)
    revoke.add_argument("name", nargs="?")
    revoke.add_argument("--all", action="store_true", help="every token and every reading-list session")


def cmd_pair(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    client = DaemonClient.connect(paths)
    result = client.post("pair/code", {})
    console.out(f"Pairing code: {result['code']}")
    console.out("Open the papertray extension's options page and type this code. It works once, for 5 minutes.")
    if result.get("live", 1) > 1:
        console.out(f"Codes shown earlier still work until they expire ({result['live']} valid now).")
    return 0


def cmd_token(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    client = DaemonClient.connect(paths)
    if args.token_command == "create":  # noqa: S105
        result = client.post("tokens", {"name": args.name})
        console.out(result["token"])
        console.err(f"Token '{args.name}' created. It is shown only now; send it as 'Authorization: Bearer …'.")
    elif args.token_command == "list":  # noqa: S105
        result = client.get("tokens")
        tokens = result.get("tokens", [])
        if not tokens:
            console.out("No tokens.")
        for item in tokens:
            origin = f"  paired with {item['origin']}" if item.get("origin") else ""
            console.out(f"{item['name']:<24} created {item.get('created_at', '?')}{origin}")
    elif args.all:
        result = client.delete("tokens")
        console.out(
            f"Revoked {counted(result['revoked'], 'token')} and ended "
            f"{counted(result['sessions_ended'], 'reading-list session')}."
        )
    else:
        client.delete(f"tokens/{args.name}")
        console.out(f"Token '{args.name}' revoked.")
    return 0
