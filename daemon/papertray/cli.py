"""`papertray …`: the only place that prints to the user and picks exit codes (0 ok, 1 a user-facing error
said in one sentence, 2 usage). Every command but `run` talks to the running daemon over its API.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from papertray import __version__, mcp_server, open_cmd, search_cmd
from papertray.cli_args import date_arg, limit_arg, port_arg
from papertray.client import ApiError, DaemonClient
from papertray.config import Config, Paths, load_config
from papertray.errors import PapertrayError, no_access
from papertray.import_cmd import cmd_import
from papertray.models import ACCEPTED_FORMS, parse_paper_ref
from papertray.safe_text import clean, json_clean, json_text, one_line

STATES = ("new", "seen", "saved", "read", "all")
SECRET_NAMES = ("hf_token",)
EXPORT_FORMATS = ("bibtex", "ris", "csljson", "markdown", "json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="papertray",
        description="A local-first companion for Hugging Face Daily Papers and arXiv.",
    )
    parser.add_argument("--version", action="version", version=f"papertray {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser("run", help="run the daemon in the foreground (with a tray icon when possible)")
    run.add_argument("--no-tray", action="store_true", help="run without a tray icon")
    run.add_argument("--port", type=port_arg, help="API port on 127.0.0.1, 0 for any free one (default from config)")
    run.add_argument("-v", "--verbose", action="store_true", help="also log to the console")

    status = commands.add_parser("status", help="is papertray running, how polling goes, what is stored")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    listing = commands.add_parser("list", help="list papers")
    listing.add_argument("--state", choices=STATES, default="all")
    listing.add_argument("--since", type=date_arg, help="daily date YYYY-MM-DD (or 'today', 'yesterday', '7d')")
    listing.add_argument("--limit", type=limit_arg, help="at most this many (default: all)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    commands.add_parser("poll", help="poll the feeds now and say what arrived")

    backfill = commands.add_parser("backfill", help="fetch past days of Daily Papers, politely")
    backfill.add_argument("--since", type=date_arg, required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--until", type=date_arg, help="last day (default: today, UTC)")

    save = commands.add_parser("save", help="save a paper to the reading list")
    save.add_argument("id", help="an arXiv id or URL, or a Hugging Face paper URL")
    unsave = commands.add_parser("unsave", help="remove a paper from the reading list")
    unsave.add_argument("id")

    commands.add_parser("pair", help="print a one-time code to pair the browser extension")

    token = commands.add_parser("token", help="bearer tokens for scripts")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION")
    token_commands.required = True
    create = token_commands.add_parser("create", help="create a token (shown once)")
    create.add_argument("--name", required=True)
    token_commands.add_parser("list", help="list tokens (names only)")
    revoke = token_commands.add_parser("revoke", help="revoke a token").add_mutually_exclusive_group(required=True)
    revoke.add_argument("name", nargs="?")
    revoke.add_argument("--all", action="store_true", help="every token and every reading-list session")

    opening = commands.add_parser("open", help="open the reading list in your browser")
    opening.add_argument("--end-sessions", action="store_true", help="end every reading-list session instead")

    export = commands.add_parser("export", help="write papers as BibTeX, RIS, CSL-JSON, Markdown or JSON")
    export.add_argument("--format", choices=EXPORT_FORMATS, help="default: from -o FILE's ending, else bibtex")
    export.add_argument("--state", choices=("saved", "new", "seen", "read", "all"), default="saved")
    export.add_argument("-o", "--output", help="write to this file (default: standard output)")

    importing = commands.add_parser("import", help="add papers to the reading list from BibTeX or CSL-JSON")
    importing.add_argument("file", help="a .bib or .json file (Zotero's 'Better BibTeX' or 'CSL JSON' export)")
    importing.add_argument("--format", choices=("bibtex", "csljson"), help="default: from the file's content")

    secrets = commands.add_parser("secrets", help="secrets in the OS keyring (a Hugging Face token)")
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

    doctor = commands.add_parser("doctor", help="check keyring, tray, notifications, port, feed and pairing")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")

    autostart = commands.add_parser("autostart", help="start papertray at login")
    autostart.add_argument("action", choices=("enable", "disable", "status"))

    search_cmd.add_parser(commands)
    mcp_server.add_parser(commands)
    return parser


class Console:
    """stdout for results, stderr for errors; one place so that tests can capture both, and the one place
    where outside text (feed titles, error texts) is stripped of terminal control sequences (safe_text)."""

    def out(self, text: str = "", *, end: str = "\n") -> None:
        sys.stdout.write(clean(text) + end)

    def err(self, text: str) -> None:
        print(clean(text), file=sys.stderr)


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    console = console or Console()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "run":  # the daemon logs to its file; a command says what it has to say in sentences
        logging.getLogger().addHandler(logging.NullHandler())
    paths = Paths.from_env()
    try:
        handler = HANDLERS[args.command]
        return handler(args, paths, console)
    except PapertrayError as exc:  # ConfigError, DaemonAlreadyRunning and the rest: one sentence, exit 1
        console.err(f"Error: {one_line(str(exc))}")
        return 1
    except KeyboardInterrupt:
        console.err("Interrupted.")
        return 130
    except OSError as exc:  # a home (or part of it) this user may not use: one sentence, not a traceback
        sentence = no_access(exc)
        if sentence is None:
            raise
        console.err(f"Error: {sentence}")
        return 1


def main_entry() -> None:
    sys.exit(main())


# ------------------------------------------------------------------ run


def cmd_run(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray.app import run_daemon
    from papertray.logs import setup_logging

    first_run = not paths.config_file.exists()
    config = load_config(paths)
    if args.port is not None:  # checked by port_arg
        config = dataclasses.replace(config, port=args.port)
    setup_logging(paths, verbose=args.verbose)
    if first_run:
        console.out(f"Welcome to papertray. Created {paths.config_file} with commented defaults.")
        _print_locations(config, console)
        console.out("Pair the browser extension: run `papertray pair` and type the code in its options page.")
    if first_run or sys.stdout.isatty():
        from papertray.command import command_hint

        hint = command_hint()
        if hint is not None:
            console.out(hint)

    def ready(daemon: Any) -> None:
        info = daemon.info
        console.out(f"papertray {__version__} is running on http://127.0.0.1:{info.port} (pid {info.pid}).")
        for problem in daemon.problems():
            console.err(f"Warning: {problem}")
        sys.stdout.flush()
        if sys.stderr.isatty():  # a terminal: say what goes wrong there too (a journal gets the log only)
            from papertray import terminal

            daemon.spawn_threadsafe(lambda: terminal.follow(daemon.bus, console.err))

    if args.no_tray:
        asyncio.run(run_daemon(config, on_ready=ready))
        return 0
    return _run_with_tray(config, ready, console)


def _run_with_tray(config: Config, ready: Callable[[Any], None], console: Console) -> int:
    """design.md "Threads": the tray owns the main thread, asyncio runs the daemon in one worker thread."""
    import threading
    import webbrowser

    from papertray import tray
    from papertray.app import Daemon, run_daemon
    from papertray.notify import paper_url

    reason = tray.prepare()
    if reason is not None:

        def ready_without_tray(daemon: Any) -> None:
            # Said once the daemon has started: a second `run` says only that papertray is already running.
            console.err(f"papertray runs without a tray icon: {reason}.")
            ready(daemon)

        asyncio.run(run_daemon(config, on_ready=ready_without_tray))
        return 0

    started = threading.Event()
    holder: dict[str, Daemon] = {}
    failure: list[BaseException] = []

    def open_url(url: str) -> None:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    bridge = tray.TrayBridge(
        poll_now=lambda: holder["daemon"].spawn_threadsafe(lambda: holder["daemon"].poller.poll_now()),
        toggle_pause=lambda: holder["daemon"].spawn_threadsafe(lambda: holder["daemon"].notifier.toggle_pause()),
        pair_code=lambda: holder["daemon"].pair_code_blocking(),
        open_reading_list=lambda: open_url(holder["daemon"].reading_list_url()),
        open_config=lambda: open_url(config.paths.config_file.as_uri()),
        open_paper=lambda paper_id: open_url(paper_url(paper_id)),
        quit=lambda: holder["daemon"].request_stop(),
        end_sessions=lambda: holder["daemon"].end_reading_list_sessions(),
    )

    def on_ready(daemon: Daemon) -> None:
        holder["daemon"] = daemon

        def state() -> tray.TrayState:
            return tray.snapshot(
                daemon.store,
                source_states=daemon.poller.source_states,
                paused=lambda: daemon.notifier.paused,
                problems=daemon.problems,
            )

        daemon.spawn_threadsafe(lambda: tray.follow(bridge, daemon.bus, state))
        ready(daemon)
        started.set()

    def worker() -> None:
        try:
            # Signals reach only the main thread, which the tray owns: Quit and SIGTERM go through the bridge.
            asyncio.run(run_daemon(config, on_ready=on_ready, install_signal_handlers=False))
        except BaseException as exc:  # reported on the main thread, where the CLI prints
            failure.append(exc)
        finally:
            started.set()
            bridge.close()

    import signal

    thread = threading.Thread(target=worker, name="papertray-daemon")
    thread.start()
    started.wait()
    if "daemon" in holder:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: holder["daemon"].request_stop())
        tray.run_tray(bridge)
        holder["daemon"].request_stop()
    thread.join()
    if failure:
        raise failure[0]
    return 0


def _print_locations(config: Config, console: Console) -> None:
    console.out(_files_block(config.paths.locations()))


# ------------------------------------------------------------------ status


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
            console.err(_files_block(paths.locations()))
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
        lines.append(f"  {source['name']:<6} {state}")
        lines.append(f"         last success {last_ok} · next poll {next_poll}")
    counts = status.get("counts", {})
    lines += [
        "",
        "Papers   " + " · ".join(f"{k} {counts.get(k, 0)}" for k in ("total", "new", "seen", "saved", "read")),
    ]
    rules = status.get("rules", [])
    if rules:
        lines.append(
            "Rules    " + ", ".join(f"{r['name']}{'' if r.get('notify', True) else ' (silent)'}" for r in rules)
        )
    else:
        lines.append("Rules    none (add [[rules]] to the config to be notified about matching papers)")
    lines += search_cmd.status_lines(status)
    for problem in status.get("problems", []):
        lines.append(f"Problem  {one_line(str(problem))}")
    if status.get("locations"):
        lines += ["", _files_block(status["locations"])]
    return "\n".join(lines)


def _files_block(where: dict[str, str]) -> str:
    """Where config, data and logs live: in `status` (running or not) and at the first run."""
    notes = {"data": "  (your papers, reading list and PDFs)"}
    rows = [f"{name:<7}{where[name]}{notes.get(name, '')}" for name in ("config", "data", "logs")]
    return "Files    " + "\n         ".join(rows)


def _ago(stamp: str | None, now: datetime) -> str:
    if not stamp:
        return "never"
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
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


# ------------------------------------------------------------------ list, poll, backfill


def cmd_list(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    client = DaemonClient.connect(paths)
    papers: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = [f"limit={min(args.limit or 500, 500)}"]
        if args.state != "all":
            query.append(f"state={args.state}")
        if args.since:
            query.append(f"since={args.since}")
        if cursor:
            query.append(f"cursor={cursor}")
        page = client.get("papers?" + "&".join(query))
        papers.extend(page.get("papers", []))
        cursor = page.get("next_cursor")
        if not cursor or (args.limit and len(papers) >= args.limit):
            break
    if args.limit:
        papers = papers[: args.limit]
    if args.json:
        console.out(json_text(papers))
        return 0
    if not papers:
        console.out("No papers match.")
        return 0
    for paper in papers:
        mark = {"new": "•", "seen": " ", "saved": "★", "read": "✓"}.get(paper.get("state", ""), "?")
        title = one_line(paper.get("title") or "(title not fetched yet)").strip()
        console.out(f"{mark} {paper['id']:<16} {paper.get('daily_date') or '':<10}  {title}")
    console.out(f"\n{len(papers)} papers  (• new  ★ saved  ✓ read)")
    return 0


def cmd_poll(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    client = DaemonClient.connect(paths, timeout=300)
    report = client.post("poll", {})
    console.out(render_report(report))
    return 1 if report.get("error") else 0


def render_report(report: dict[str, Any]) -> str:
    days = ", ".join(report.get("days", [])) or "no days"
    if report.get("error"):
        return f"Poll of {days} failed: {one_line(str(report['error']))}"
    new = report.get("new", [])
    text = f"Polled {days}: {report.get('fetched', 0)} entries, {len(new)} new, {report.get('updated', 0)} updated."
    if report.get("skipped"):
        text += f" {report['skipped']} malformed entries were skipped."
    return text


def cmd_backfill(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray.backfill import backfill

    client = DaemonClient.connect(paths, timeout=300)
    first = date.fromisoformat(args.since)
    last = date.fromisoformat(args.until) if args.until else datetime.now(UTC).date()
    if first > last:
        raise PapertrayError(f"--since {first} is after {last}: nothing to fetch.")
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    return backfill(client, days, console.out, console.err)


# ------------------------------------------------------------------ save, pair, tokens


def _paper_path(ref: str) -> str:
    parsed = parse_paper_ref(ref)
    if parsed is None:
        raise PapertrayError(f"{ref!r} is not an arXiv id: papertray takes {ACCEPTED_FORMS}.")
    return parsed[0]


def cmd_save(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    paper_id = _paper_path(args.id)
    client = DaemonClient.connect(paths)
    result = client.post(f"papers/{paper_id}/save", {})
    title = result.get("title")
    if title:
        console.out(f"Saved {paper_id}: {one_line(title)}")
    else:
        console.out(f"Saved {paper_id}; its title and PDF follow once papertray has fetched them.")
    return 0


def cmd_unsave(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    paper_id = _paper_path(args.id)
    client = DaemonClient.connect(paths)
    try:
        saved = bool(client.get(f"papers/{paper_id}").get("saved"))
    except ApiError as exc:
        if exc.status != 404:  # 404: papertray has never heard of it, so it is not saved either
            raise
        saved = False
    if not saved:
        raise PapertrayError(f"{paper_id} is not in the reading list, so nothing was removed.")
    client.delete(f"papers/{paper_id}/save")
    console.out(f"Removed {paper_id} from the reading list.")
    return 0


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
        console.out(f"Revoked {result['revoked']} tokens and ended {result['sessions_ended']} reading-list sessions.")
    else:
        client.delete(f"tokens/{args.name}")
        console.out(f"Token '{args.name}' revoked.")
    return 0


def cmd_autostart(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray import autostart

    if args.action == "enable":
        _entry, message = autostart.enable(paths)
        console.out(message)
    elif args.action == "disable":
        console.out(autostart.disable(paths))
    else:
        state = autostart.status(paths)
        console.out(f"autostart: {state.detail} ({state.kind}: {state.path})")  # a report: exit 0 either way
    return 0


def cmd_export(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from pathlib import Path

    from papertray.citation_formats import export_format
    from papertray.client import ApiError

    args.format = export_format(Path(args.output) if args.output else None, args.format)
    client = DaemonClient.connect(paths)
    status, body = client.request_raw("GET", f"export?format={args.format}&state={args.state}")
    if status >= 400:
        try:
            message = json.loads(body).get("error")
        except ValueError:
            message = None
        raise ApiError(message or f"papertray answered HTTP {status}.", status)
    # A file the user will `cat` carries no control sequences either; JSON formats keep them as \u escapes.
    text = body.decode("utf-8")
    text = json_clean(text) if args.format in ("json", "csljson") else clean(text)
    if args.output:
        target = Path(args.output)
        try:
            target.write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise PapertrayError(f"Could not write {target} ({exc.strerror}).") from None
        console.err(f"Wrote {target} ({args.format}, {args.state} papers).")
    else:
        console.out(text, end="")
    return 0


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


def cmd_doctor(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray.doctor import run_checks

    checks = run_checks(load_config(paths))
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


HANDLERS: dict[str, Callable[[argparse.Namespace, Paths, Console], int]] = {
    "run": cmd_run,
    "status": cmd_status,
    "list": cmd_list,
    "poll": cmd_poll,
    "backfill": cmd_backfill,
    "save": cmd_save,
    "unsave": cmd_unsave,
    "pair": cmd_pair,
    "token": cmd_token,
    "autostart": cmd_autostart,
    "doctor": cmd_doctor,
    "secrets": cmd_secrets,
    "open": open_cmd.cmd_open,
    "export": cmd_export,
    "import": cmd_import,
    "search": search_cmd.cmd_search,
    "mcp": mcp_server.cmd_mcp,
}
