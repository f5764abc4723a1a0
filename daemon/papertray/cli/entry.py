"""`papertray …`: the parser, and the one place that turns what a command raises into words and an exit code
(0 ok, 1 a user-facing error said in one sentence, 2 usage, 130 interrupted). Every command but `run` talks to
the running daemon over its API.

A command lives in a module of this package with two functions: `add_<name>(commands)`, which adds its
subparser and sets `handler=cmd_<name>` on it, and `cmd_<name>(args, paths, console) -> int`, which does the
work and raises a PapertrayError for what it cannot do. `add_<name>` is listed once in COMMANDS below, in the
order `papertray --help` shows them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from papertray import __version__
from papertray.cli import (
    autostart,
    backfill,
    digest,
    doctor,
    library,
    mcp,
    papers,
    poll,
    rank,
    rules,
    run,
    search,
    secrets,
    status,
    tokens,
)
from papertray.cli.console import Commands, Console, Handler
from papertray.config import Paths
from papertray.errors import PapertrayError, no_access
from papertray.safe_text import one_line

COMMANDS: tuple[Callable[[Commands], None], ...] = (
    run.add_run,
    status.add_status,
    papers.add_list,
    poll.add_poll,
    rules.add_rules,
    backfill.add_backfill,
    papers.add_save,
    papers.add_unsave,
    rank.add_dismiss,
    rank.add_why,
    rank.add_rank,
    tokens.add_pair,
    tokens.add_token,
    library.add_open,
    library.add_export,
    library.add_import,
    search.add_search,
    mcp.add_mcp,
    digest.add_feeds,
    digest.add_digest,
    secrets.add_secrets,
    doctor.add_doctor,
    autostart.add_autostart,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="papertray",
        description="A local-first companion for Hugging Face Daily Papers and arXiv.",
    )
    parser.add_argument("--version", action="version", version=f"papertray {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    console = console or Console()
    args = build_parser().parse_args(argv)
    if args.command != "run":  # the daemon logs to its file; a command says what it has to say in sentences
        logging.getLogger().addHandler(logging.NullHandler())
    paths = Paths.from_env()
    handler: Handler = args.handler
    try:
        return handler(args, paths, console)
    except (PapertrayError, KeyboardInterrupt, OSError) as exc:
        code = exit_code(exc, console)
        if code is None:
            raise
        return code


def exit_code(exc: BaseException, console: Console) -> int | None:
    """Say what went wrong and return the exit code; None for an error that is a bug, whose traceback is shown."""
    if isinstance(exc, KeyboardInterrupt):
        console.err("Interrupted.")
        return 130
    if isinstance(exc, PapertrayError):  # ConfigError, DaemonAlreadyRunning and the rest: one sentence, exit 1
        sentence: str | None = one_line(str(exc))
    elif isinstance(exc, OSError):  # a home (or part of it) this user may not use: one sentence, not a traceback
        sentence = no_access(exc)
    else:
        sentence = None
    if sentence is None:
        return None
    console.err(f"Error: {sentence}")
    return 1


def main_entry() -> None:
    sys.exit(main())
