"""`papertray feeds url | rotate` and `papertray digest preview | send` (issue 15). cli.py only registers the
parsers (`add_parsers`) and dispatches to the handlers here."""

from __future__ import annotations

import argparse
from typing import Any

from papertray.config import Paths
from papertray.credentials import INSECURE_FILE, Credentials
from papertray.digest.feed_key import current_key, feed_url, rotate
from papertray.digest.selection import FEEDS
from papertray.errors import PapertrayError
from papertray.open_cmd import Output as Console
from papertray.runtime import pid_alive, read_daemon_info


def add_parsers(commands: Any) -> None:
    feeds = commands.add_parser("feeds", help="Atom feeds of your matches, saves and Daily Papers")
    feeds.add_argument("feeds_command", choices=("url", "rotate"), metavar="ACTION", help="url | rotate")
    feeds.add_argument(
        "--insecure-storage", action="store_true", help="no usable keyring: keep the feed key in a plain 0600 file"
    )


def _credentials(paths: Paths, insecure: bool) -> Credentials:
    return Credentials(paths.state_dir, insecure_file=insecure or (paths.state_dir / INSECURE_FILE).exists())


def cmd_feeds(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    credentials = _credentials(paths, args.insecure_storage)
    key = (
        rotate(paths.state_dir, credentials)
        if args.feeds_command == "rotate"
        else current_key(paths.state_dir, credentials)
    )
    info = read_daemon_info(paths)
    if info is None or not pid_alive(info.pid):
        raise PapertrayError(
            "papertray is not running, so the feeds have no address yet; start it with `papertray run`."
        )
    if args.feeds_command == "rotate":
        console.out("New feed key; the old feed addresses no longer work.")
    for name in FEEDS:
        console.out(f"{name:<13} {feed_url(info.port, key, name)}")
    console.out(f"Files (rewritten after every poll): {paths.data_dir / 'feeds'}")
    return 0
