"""The "for you" ranking's commands: `papertray dismiss ID`, `papertray why ID`, `papertray rank status | reset |
export [FILE] | eval`, and `papertray list --sort rank` (the For you list)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from papertray.atomic import write_atomic
from papertray.cli.args import paper_id_of
from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Paths, load_config
from papertray.safe_text import json_text, one_line
from papertray.wording import counted


def add_dismiss(commands: Commands) -> None:
    dismiss = commands.add_parser("dismiss", help="not interested: rank papers like this one lower")
    dismiss.add_argument("id", help="arXiv id or link")
    dismiss.set_defaults(handler=cmd_dismiss)


def add_why(commands: Commands) -> None:
    why = commands.add_parser("why", help="why a paper ranks where it does: the terms, authors and categories")
    why.add_argument("id", help="arXiv id or link")
    why.set_defaults(handler=cmd_why)


def add_rank(commands: Commands) -> None:
    rank = commands.add_parser("rank", help="the 'for you' ranking: status, reset, export, eval")
    sub = rank.add_subparsers(dest="rank_command", metavar="ACTION")
    sub.required = True
    sub.add_parser("status", help="learning or ready, how many signals, when trained")
    sub.add_parser("reset", help="forget the model (your saves and dismissals stay) and learn anew")
    export = sub.add_parser("export", help="write the model (JSON) to FILE, or print it")
    export.add_argument("file", nargs="?", type=Path)
    sub.add_parser("eval", help="replay your own history: where did later saves land?")
    rank.set_defaults(handler=cmd_rank)


def cmd_dismiss(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    paper_id = paper_id_of(args.id)
    DaemonClient.connect(paths).request("PATCH", f"papers/{paper_id}", {"dismissed": True})
    console.out(f"Dismissed {paper_id}: papers like it rank lower from the next training on.")
    return 0


def cmd_why(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    paper_id = paper_id_of(args.id)
    answer = DaemonClient.connect(paths).get(f"papers/{paper_id}/why")
    if answer.get("score") is None:
        console.out(f"{paper_id}: no ranking yet ({answer.get('status')}): save or dismiss a few papers first.")
        return 0
    learning = " (still learning)" if answer.get("status") == "learning" else ""
    console.out(f"{paper_id}: score {answer['score']:+.2f}{learning}")
    for reason in answer.get("reasons", []):
        console.out(f"  {reason['weight']:+.3f}  {reason['kind']:<8} {one_line(reason['text'])}")
    return 0


def _status_line(status: dict[str, Any]) -> str:
    state = status.get("state")
    said = {
        "off": "off: nothing to learn from yet (save or dismiss papers, or write rules)",
        "training": "training",
        "learning": f"learning ({status['signals']} of {counted(status['enough_signals'], 'signal')})",
        "ready": f"ready ({counted(status['signals'], 'signal')})",
    }.get(str(state), str(state))
    trained = f"; trained {status['trained_at']}" if status.get("trained_at") else ""
    return f"Ranking: {said}{trained}; model {status.get('model_file')}"


def cmd_rank(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    if args.rank_command == "eval":
        return _eval(paths, console)
    client = DaemonClient.connect(paths)
    if args.rank_command == "status":
        status = client.get("rank/status")
        console.out(_status_line(status))
        if status.get("message"):
            console.out(str(status["message"]))
    elif args.rank_command == "reset":
        client.post("rank/reset", {})
        console.out("Ranking reset: the model is retrained from your saves and dismissals (they are kept).")
    else:
        model = client.get("rank/export")
        data = json.dumps(model, ensure_ascii=False).encode()
        if args.file is None:
            console.out(data.decode())
        else:
            write_atomic(args.file, data)
            console.out(f"Wrote the model ({len(model.get('features', {}))} features) to {args.file}.")
    return 0


def list_ranked(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    """`papertray list --sort rank`: the For you list of the newest day (or --since)."""
    query = [f"limit={min(args.limit or 20, 200)}"] + ([f"since={args.since}"] if args.since else [])
    answer = DaemonClient.connect(paths).get("rank?" + "&".join(query))
    papers = answer.get("papers", [])
    if args.json:
        console.out(json_text(papers))
        return 0
    console.out(_status_line(answer.get("status", {})))
    if not papers:
        console.out("No ranked papers yet.")
    for paper in papers:
        title = one_line(paper.get("title") or "(title not fetched yet)").strip()
        console.out(f"{paper['rank']:>3}. {paper['id']:<16} {title}")
        if paper.get("why"):
            console.out(f"     {one_line(paper['why'])}")
    return 0


def _eval(paths: Paths, console: Console) -> int:
    from papertray.ranking.replay import replay
    from papertray.ranking.trainer import train

    client = DaemonClient.connect(paths, timeout=120)
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = client.get("papers?limit=500" + (f"&cursor={cursor}" if cursor else ""))
        records.extend(page.get("papers", []))
        cursor = page.get("next_cursor")
        if not cursor:
            break
    tallies, days = replay(records, load_config(paths, create=False).rules, lambda ex: train(ex))
    if not days:
        console.out("Nothing to evaluate yet: it needs saves on at least two different days, and a dismissal or rule.")
        return 0
    console.out(f"Replayed {counted(days, 'day')} of your history (trained on the days before each, ranked the day):")
    console.out(f"  {'ordering':<10} {'precision@10':>12} {'saves in top 20%':>17}")
    for name, tally in tallies.items():
        p10, r20 = tally.means()
        console.out(f"  {name:<10} {p10:>12.2f} {r20:>17.0%}")
    return 0
