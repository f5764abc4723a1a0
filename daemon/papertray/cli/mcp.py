"""`papertray mcp`: papertray as a Model Context Protocol server over stdio (mcp_server.py), for the user's own
assistant. The SDK is imported only when this command runs."""

from __future__ import annotations

import argparse

from papertray.cli.console import Commands, Console
from papertray.config import Paths


def add_mcp(commands: Commands) -> None:
    mcp = commands.add_parser("mcp", help="serve papertray to your assistant over the Model Context Protocol (stdio)")
    mcp.set_defaults(handler=cmd_mcp)


def cmd_mcp(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray.mcp_server import serve_stdio

    del args
    return serve_stdio(paths, console.err)
