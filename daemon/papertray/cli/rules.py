"""`papertray rules add` (your interests into config.toml, comments kept) and `papertray rules test [--days N]`:
what each rule in config.toml would have matched among the papers papertray
has stored, which of those it found only through word forms (plurals, -ing…), and what it missed that another
rule caught, so a rule can be tuned before it stays silent for a week.

The rules are read from the config file as it is now (an edit can be tried before the daemon reloads it); the
papers come from the running daemon, the newest N Daily Papers days of them (counted back from the newest day
papertray holds, as "new today" is).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from papertray.cli import layout
from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Paths, Rule, load_config
from papertray.errors import PapertrayError
from papertray.models import Paper
from papertray.rules import as_written, match
from papertray.safe_text import one_line
from papertray.wording import counted

DEFAULT_DAYS = 7
PAGE = 500


def add_rules(commands: Commands) -> None:
    rules = commands.add_parser("rules", help="try your interest rules on the papers papertray has stored")
    actions = rules.add_subparsers(dest="action", metavar="ACTION", required=True)
    test = actions.add_parser("test", help="what each rule would have matched, and what it missed")
    test.add_argument(
        "--days", type=_count_arg, default=DEFAULT_DAYS, help=f"newest days to try (default {DEFAULT_DAYS})"
    )
    test.add_argument("--limit", type=_count_arg, default=10, help="papers listed per rule (default 10)")
    test.set_defaults(handler=cmd_rules_test)
    add = actions.add_parser("add", help="add your interests to config.toml as a rule (comments kept)")
    add.add_argument("--keywords", default="", help='topics, comma-separated: "sparse autoencoders, world models"')
    add.add_argument("--authors", default="", help="author names, comma-separated")
    add.add_argument("--orgs", default="", help="organisations, comma-separated")
    add.set_defaults(handler=cmd_rules_add)


def cmd_rules_add(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from papertray.config_edit import add_interests, split_terms

    load_config(paths)  # a first run writes the commented defaults, which the rule then joins
    terms = {kind: split_terms(getattr(args, kind)) for kind in ("keywords", "authors", "orgs")}
    written = add_interests(paths, **terms)
    rule = written.rules[-1]
    parts = [f"{kind} {', '.join(values)}" for kind, values in terms.items() if values]
    console.out(f'Added the rule "{rule.name}" to {paths.config_file}: {"; ".join(parts)}.')
    console.out("A running papertray applies it within a second; `papertray rules test` shows what it catches.")
    return 0


def _count_arg(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 3650, not {text!r}")
    return int(text)


@dataclass
class Tally:
    """One rule's result: what it matched, which of those only through word forms, what others caught."""

    rule: Rule
    matched: list[Paper] = field(default_factory=list)
    through_forms: set[str] = field(default_factory=set)
    missed: list[tuple[Paper, list[str]]] = field(default_factory=list)


def tally(rules: tuple[Rule, ...], papers: list[Paper]) -> tuple[dict[str, Tally], int]:
    """Each rule's tally, and how many papers no rule matched."""
    tallies = {rule.name: Tally(rule) for rule in rules}
    unmatched = 0
    for paper in papers:
        fired = [m.rule for m in match(paper, rules)]
        if not fired:
            unmatched += 1
            continue
        for name, entry in tallies.items():
            if name in fired:
                entry.matched.append(paper)
                if not match(paper, [as_written(entry.rule)]):
                    entry.through_forms.add(paper.id)
            else:
                entry.missed.append((paper, fired))
    return tallies, unmatched


def cmd_rules_test(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    rules = load_config(paths, create=False).rules
    if not rules:
        raise PapertrayError(
            f"There are no rules to test yet: add a [[rules]] table to {paths.config_file} "
            "(see the example in its comments)."
        )
    client = DaemonClient.connect(paths, timeout=60)
    newest = (client.get("status").get("new") or {}).get("day")
    if not newest:
        console.out("papertray has no papers stored yet: run `papertray poll` first.")
        return 0
    since = (date.fromisoformat(newest) - timedelta(days=args.days - 1)).isoformat()
    papers = _papers_since(client, since)
    tallies, unmatched = tally(rules, papers)
    width = layout.columns()
    head = (
        f"Your {counted(len(rules), 'rule')} tried on {counted(len(papers), 'paper')} "
        f"from {since} to {newest} (the rules as config.toml says now):"
    )
    console.out("\n".join(layout.wrap(head, width, 0, 0)))
    for entry in tallies.values():
        console.out("")
        for line in _rule_block(entry, args.limit, width):
            console.out(line)
    console.out(f"\n{counted(unmatched, 'paper')} matched no rule.")
    if any(entry.through_forms for entry in tallies.values()):
        legend = "~ found only through a word form (a plural, -ing, -ed); `exact = true` turns them off."
        console.out("\n".join(layout.wrap(legend, width, 0, 2)))
    return 0


def _papers_since(client: DaemonClient, since: str) -> list[Paper]:
    papers: list[Paper] = []
    cursor: str | None = None
    while True:
        query = f"papers?since={since}&limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
        page: dict[str, Any] = client.get(query)
        papers += [Paper.from_dict(item) for item in page.get("papers", []) if item.get("title")]
        cursor = page.get("next_cursor")
        if not cursor:
            return papers


def _rule_block(entry: Tally, limit: int, width: int | None) -> list[str]:
    rule = entry.rule
    forms = len(entry.through_forms)
    head = f"{rule.name}: {counted(len(entry.matched), 'paper')}"
    if forms:
        head += f" ({forms} only through word forms such as plurals)"
    if not rule.notify:
        head += " — silent (notify = false)"
    lines = layout.wrap(head, width, 0, 2)
    for paper in entry.matched[:limit]:
        mark = "~" if paper.id in entry.through_forms else " "
        lines += _paper_lines(f"  {mark} ", paper, "", width)
    if len(entry.matched) > limit:
        lines.append(f"    … and {len(entry.matched) - limit} more")
    if entry.missed:
        lines.append(f"  missed, caught by another rule: {counted(len(entry.missed), 'paper')}")
        for paper, fired in entry.missed[:limit]:
            lines += _paper_lines("    ", paper, f" [{', '.join(fired)}]", width)
        if len(entry.missed) > limit:
            lines.append(f"    … and {len(entry.missed) - limit} more")
    return lines


def _paper_lines(lead: str, paper: Paper, tail: str, width: int | None) -> list[str]:
    start = f"{lead}{paper.id:<11} {paper.daily_date or '':<10} "
    title = one_line(paper.title).strip() + tail
    wrapped = layout.wrap(title, width, len(start), len(start))
    return [start + wrapped[0], *wrapped[1:]]
