"""`papertray search QUERY`: full-text search through the running daemon (GET /api/v1/search), with the
matched words highlighted in each snippet.

Paper text is outside text: every piece is made one safe line (safe_text) before any highlighting is added,
and highlighting is ANSI bold only on a terminal (elsewhere the hits are shown between [ and ]).
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.parse
from typing import Any

from papertray.cli.args import STATES, date_arg, limit_arg
from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Paths
from papertray.safe_text import json_text, one_line
from papertray.search.query import parse
from papertray.wording import counted

MARKS = {"new": "•", "seen": " ", "saved": "★", "read": "✓"}
BOLD, PLAIN = "\x1b[1m", "\x1b[0m"


def add_search(commands: Commands) -> None:
    search = commands.add_parser("search", help="search every paper papertray has seen (titles, notes, PDFs…)")
    search.add_argument("query", nargs="+", help='words (all must match), "a phrase", or a prefix*')
    search.add_argument("--state", choices=STATES, default="all")
    search.add_argument("--saved", action="store_true", help="only papers in the reading list")
    search.add_argument("--since", type=date_arg, help="daily date YYYY-MM-DD (or 'today', 'yesterday', '7d')")
    search.add_argument("--until", type=date_arg, help="daily date YYYY-MM-DD")
    search.add_argument("--limit", type=limit_arg, default=20, help="at most this many (default 20, at most 100)")
    search.add_argument("--json", action="store_true", help="machine-readable output")
    search.set_defaults(handler=cmd_search)


def status_lines(status: dict[str, Any]) -> list[str]:
    """`papertray status`'s lines about search and the MCP server."""
    lines = []
    index = status.get("search")
    if isinstance(index, dict):
        progress = index.get("progress") or {}
        if index.get("building"):
            done, total = progress.get("done", 0), progress.get("total", 0)
            lines.append(f"Search   building the index ({done} of {counted(total, 'paper')})")
        else:
            lines.append("Search   ready" if index.get("ready") else "Search   starting")
    mcp = status.get("mcp")
    if isinstance(mcp, dict):
        writes = "may save, tag, note and dismiss" if mcp.get("allow_writes") else "read-only"
        lines.append(f"MCP      `papertray mcp` is {writes} ([mcp] allow_writes)")
    return lines


def _path(args: argparse.Namespace) -> str:
    params = {"q": " ".join(args.query), "limit": str(min(args.limit, 100))}
    if args.state != "all":
        params["state"] = args.state
    if args.saved:
        params["saved"] = "true"
    if args.since:
        params["since"] = args.since
    if args.until:
        params["until"] = args.until
    return "search?" + urllib.parse.urlencode(params)


def render_snippet(pieces: list[dict[str, Any]], *, styled: bool) -> str:
    out = []
    for piece in pieces:
        text = one_line(str(piece.get("text", "")))
        if piece.get("hit"):
            text = f"{BOLD}{text}{PLAIN}" if styled else f"[{text}]"
        out.append(text)
    return "".join(out).strip()


def _wait_for_index(client: DaemonClient, path: str, answer: dict[str, Any], console: Console) -> dict[str, Any]:
    """While the daemon (re)builds its index, show its progress (a bar on a terminal), then search again."""
    if not sys.stderr.isatty():
        progress = answer["index"].get("progress", {})
        console.err(
            f"The search index is being built ({progress.get('done', 0)} of "
            f"{counted(progress.get('total', 0), 'paper')}); "
            "results may be incomplete."
        )
        return answer
    from tqdm import tqdm

    with tqdm(total=answer["index"]["progress"].get("total", 0), desc="building the search index", unit="paper") as bar:
        while answer["index"].get("building"):
            bar.n = answer["index"]["progress"].get("done", 0)
            bar.refresh()
            time.sleep(0.5)
            answer = client.get(path)
    return answer


def cmd_search(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    parse(" ".join(args.query))  # a query the daemon would refuse (or could not even receive): said here
    client = DaemonClient.connect(paths)
    path = _path(args)
    answer = client.get(path)
    if answer.get("index", {}).get("building"):
        answer = _wait_for_index(client, path, answer, console)
    if args.json:
        console.out(json_text(answer))
        return 0
    results = answer.get("results", [])
    if not results:
        console.out("No papers match.")
        return 0
    styled = sys.stdout.isatty()
    for result in results:
        mark = MARKS.get(result.get("state", ""), "?")
        title = one_line(result.get("title") or "(title not fetched yet)").strip()
        tags = " ".join(f"#{one_line(t)}" for t in result.get("tags", []))
        console.out(f"{mark} {result['id']:<16} {result.get('daily_date') or '':<10}  {title}  {tags}".rstrip())
        snippet = render_snippet(result.get("snippet", []), styled=styled)
        if snippet:
            line = f"    {snippet}"
            if styled:  # the pieces are already one safe line each; only our own bold sequences remain
                sys.stdout.write(line + "\n")
            else:
                console.out(line)
    total = answer.get("total", len(results))
    more = "+" if answer.get("more") else ""
    console.out(
        f"\n{len(results)} of {total}{more} {'match' if total == 1 and not more else 'matches'}, best first"
        "  (• new  ★ saved  ✓ read)"
    )
    return 0
