"""`papertray feeds url | rotate` and `papertray digest preview | send` (issue 15), and the digest's line in
`papertray doctor`."""

from __future__ import annotations

import argparse
import asyncio
import webbrowser
from pathlib import Path

from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Config, Paths
from papertray.credentials import INSECURE_FILE, Credentials
from papertray.digest.feed_key import current_key, feed_url, rotate
from papertray.digest.schedule import RECORD_FILE, Record
from papertray.digest.selection import FEEDS
from papertray.digest.service import PASSWORD_NAME
from papertray.digest.smtp import SendFailed, check_login
from papertray.doctor import Check
from papertray.errors import KeyringUnavailable, PapertrayError
from papertray.runtime import pid_alive, read_daemon_info


def add_feeds(commands: Commands) -> None:
    feeds = commands.add_parser("feeds", help="Atom feeds of your matches, saves and Daily Papers")
    feeds.add_argument("feeds_command", choices=("url", "rotate"), metavar="ACTION", help="url | rotate")
    feeds.add_argument(
        "--insecure-storage", action="store_true", help="no usable keyring: keep the feed key in a plain 0600 file"
    )
    feeds.set_defaults(handler=cmd_feeds)


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


def add_digest(commands: Commands) -> None:
    digest = commands.add_parser("digest", help="the email digest: preview it or send it now")
    actions = digest.add_subparsers(dest="digest_command", metavar="ACTION")
    actions.required = True
    preview = actions.add_parser("preview", help="write the digest that would go out now to an HTML file")
    preview.add_argument("--open", action="store_true", help="and open it in the browser")
    send = actions.add_parser("send", help="send the digest")
    send.add_argument("--now", action="store_true", required=True, help="now, not at the scheduled time")
    send.add_argument("--empty", action="store_true", help="send even when there is nothing in it")
    digest.set_defaults(handler=cmd_digest)


def cmd_digest(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    client = DaemonClient.connect(paths)
    if args.digest_command == "preview":
        path = Path(client.post("digest/preview")["file"])
        console.out(f"Wrote the digest preview to {path}")
        if args.open:
            webbrowser.open(path.as_uri())
        return 0
    result = client.post("digest/send", {"empty": args.empty})
    console.out(result["message"])
    return 0


def doctor_check(config: Config, smtp: bool = False) -> Check:
    """The digest's line in `papertray doctor`: its settings, the last failure in the server's words, and with
    `--smtp` a real connection, TLS handshake and login (nothing is sent)."""
    settings = config.digest
    if not settings.enabled:
        return Check("digest", True, "email digest off ([digest] schedule in config.toml)")
    where = f"{settings.schedule} at {settings.at} to {settings.to} via {settings.smtp_host}:{settings.smtp_port}"
    record = Record.load(config.paths.state_dir / RECORD_FILE)
    if smtp:
        state = config.paths.state_dir
        try:
            password = Credentials(state, insecure_file=(state / INSECURE_FILE).exists()).get(PASSWORD_NAME)
        except KeyringUnavailable as exc:
            return Check("digest", False, f"{where}: {exc}", "papertray secrets set smtp_password")
        try:
            asyncio.run(check_login(settings, password))
        except SendFailed as exc:
            return Check("digest", False, str(exc), "check [digest] in config.toml and the SMTP password")
        return Check("digest", True, f"{where}: connected, TLS verified, logged in")
    if record.last_error:
        return Check("digest", False, f"{where}: {record.last_error}", "papertray doctor --smtp checks the login")
    last = record.sent[-1]["sent_at"][:16] if record.sent else "none yet"
    return Check("digest", True, f"{where}; last sent {last} (--smtp tries a real login)")
