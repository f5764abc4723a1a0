"""`papertray list`, `save` and `unsave`: the papers papertray knows, and the reading list by id."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from papertray.cli import layout, rank
from papertray.cli.args import STATES, date_arg, limit_arg, paper_id_of, source_arg
from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Paths
from papertray.errors import DaemonAnswerError, PapertrayError
from papertray.safe_text import json_text, one_line
from papertray.wording import counted


def add_list(commands: Commands) -> None:
    listing = commands.add_parser("list", help="list papers")
    listing.add_argument("--state", choices=STATES, default="all")
    listing.add_argument("--since", type=date_arg, help="daily date YYYY-MM-DD (or 'today', 'yesterday', '7d')")
    listing.add_argument("--limit", type=limit_arg, help="at most this many (default: all)")
    listing.add_argument(
        "--source", type=source_arg, help="only papers from this list: hf, arxiv:cs.LG, or arxiv for every category"
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--sort", choices=("date", "rank"), default="date", help="rank: the For you list")
    listing.set_defaults(handler=cmd_list)


def add_save(commands: Commands) -> None:
    save = commands.add_parser("save", help="save a paper to the reading list")
    save.add_argument("id", help="an arXiv id or URL, or a Hugging Face paper URL")
    save.set_defaults(handler=cmd_save)


def add_unsave(commands: Commands) -> None:
    unsave = commands.add_parser("unsave", help="remove a paper from the reading list")
    unsave.add_argument("id")
    unsave.set_defaults(handler=cmd_unsave)


def cmd_list(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    if args.sort == "rank":
        if args.source:
            raise PapertrayError("--source lists by date only; the For you list (--sort rank) takes every source.")
        return rank.list_ranked(args, paths, console)
    client = DaemonClient.connect(paths)
    papers: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = [f"limit={min(args.limit or 500, 500)}"]
        if args.state != "all":
            query.append(f"state={args.state}")
        if args.since:
            query.append(f"since={args.since}")
        if args.source:
            query.append(f"source={quote(args.source)}")
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
    console.out("\n".join(render_list(papers, layout.columns())))
    return 0


def render_list(papers: list[dict[str, Any]], width: int | None) -> list[str]:
    """A line per paper (state, id, day, title), within `width`; the count at the end."""
    lines = []
    for paper in papers:
        mark = {"new": "•", "seen": " ", "saved": "★", "read": "✓"}.get(paper.get("state", ""), "?")
        title = one_line(paper.get("title") or "(title not fetched yet)").strip()
        lead = f"{mark} {paper['id']:<16} {paper.get('daily_date') or '':<10}  "
        # A long title continues under itself, broken between words, so the columns stay readable.
        wrapped = layout.wrap(title, width, len(lead), len(lead))
        lines += [lead + wrapped[0], *wrapped[1:]]
    return [*lines, "", f"{counted(len(papers), 'paper')}  (• new  ★ saved  ✓ read)"]


def cmd_save(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    paper_id = paper_id_of(args.id)
    client = DaemonClient.connect(paths)
    result = client.post(f"papers/{paper_id}/save", {})
    title = result.get("title")
    if title:
        console.out(f"Saved {paper_id}: {one_line(title)}")
    else:
        console.out(f"Saved {paper_id}; its title and PDF follow once papertray has fetched them.")
    return 0


def cmd_unsave(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    paper_id = paper_id_of(args.id)
    client = DaemonClient.connect(paths)
    try:
        saved = bool(client.get(f"papers/{paper_id}").get("saved"))
    except DaemonAnswerError as exc:
        if exc.status != 404:  # 404: papertray has never heard of it, so it is not saved either
            raise
        saved = False
    if not saved:
        raise PapertrayError(f"{paper_id} is not in the reading list, so nothing was removed.")
    client.delete(f"papers/{paper_id}/save")
    console.out(f"Removed {paper_id} from the reading list.")
    return 0
