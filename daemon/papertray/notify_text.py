"""What a notification says: a new paper with why it is there -- the rules that fired ("sae-watch: …") and, for
one of the day's top-ranked papers, the ranking's short why ("for you: sparse autoencoders, circuits") -- and how
several of them are coalesced into one notification ("3 new papers — sae-watch: 2, for you: 1"); the sentence
`papertray poll` and the tray give about a poll's matches ("2 matched, notified"); and a catch-up's one line.
Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from papertray.models import Paper
from papertray.rules import RuleMatch
from papertray.safe_text import one_line

MAX_LISTED = 3  # titles listed in the body of a coalesced notification
FOR_YOU = "for you"  # the label of a top-ranked paper, where rule names go for a rule match


@dataclass(frozen=True, slots=True)
class Hit:
    """A new paper, the notifying rules that fired for it, and `why` when it is among the day's top-ranked."""

    paper: Paper
    matches: tuple[RuleMatch, ...]
    why: str = ""  # "for you: sparse autoencoders, circuits"

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(m.rule for m in self.matches)

    @property
    def labels(self) -> tuple[str, ...]:
        """What it is counted under: its rules' names, or "for you" when only the ranking brought it here."""
        return self.rules or ((FOR_YOU,) if self.why else ())


@dataclass(frozen=True, slots=True)
class Message:
    """What one notification says and does. `actions` are (button title, handler) pairs."""

    title: str
    body: str
    on_clicked: Callable[[], None] | None = None
    actions: tuple[tuple[str, Callable[[], None]], ...] = ()
    paper_ids: tuple[str, ...] = ()


def rule_counts(rules_per_paper: Iterable[Sequence[str]], order: Sequence[str]) -> list[tuple[str, int]]:
    """Papers per rule, most first, ties in the order the rules are written ("for you" after the rules)."""
    counts: Counter[str] = Counter()
    for rules in rules_per_paper:
        counts.update(dict.fromkeys(rules, 1))
    position = {name: index for index, name in enumerate(order)}
    return sorted(counts.items(), key=lambda item: (-item[1], position.get(item[0], len(position)), item[0]))


def top_hit(hits: Sequence[Hit]) -> Hit:
    """The match to act on: most upvoted, then most rules, then the first to arrive."""
    return max(enumerate(hits), key=lambda pair: (pair[1].paper.upvotes, len(pair[1].matches), -pair[0]))[1]


def _listed(hit: Hit) -> str:
    # A rule match is named by its rules; a paper there only for the ranking says the ranking's reasons.
    return ", ".join(hit.rules) or hit.why


def compose(hits: Sequence[Hit], rule_order: Sequence[str], *, held: bool = False) -> tuple[str, str]:
    """The title and body of one notification for `hits` (at least one)."""
    if len(hits) == 1 and not held:
        hit = hits[0]
        reasons = [f"{m.rule}: {m.reason}" if m.reason else m.rule for m in hit.matches]
        reasons += [hit.why] if hit.why else []
        return f"New paper — {', '.join(hit.labels)}", f"{hit.paper.title or hit.paper.id}\n{'; '.join(reasons)}"
    counts = ", ".join(f"{name}: {count}" for name, count in rule_counts((h.labels for h in hits), rule_order))
    noun = "paper" if len(hits) == 1 else "papers"
    title = f"{len(hits)} new {noun}{' held back' if held else ''} — {counts}"
    ranked = sorted(hits, key=lambda h: -h.paper.upvotes)
    lines = [f"• {h.paper.title or h.paper.id} ({_listed(h)})" for h in ranked[:MAX_LISTED]]
    if len(hits) > MAX_LISTED:
        lines.append(f"and {len(hits) - MAX_LISTED} more")
    return title, "\n".join(lines)


def matched_sentence(matched: int, held: str | None, has_rules: bool) -> str:
    """What became of a poll's matches, as `papertray poll` and the tray say it: "2 matched, notified"."""
    if not has_rules:
        return "no rules yet, so nothing is notified (add your interests to config.toml)"
    if matched == 0:
        return "none matched your rules"
    if held is None:
        return f"{matched} matched, notified"
    return f"{matched} matched, not notified: {held}"


def caught_up_text(data: dict[str, Any]) -> tuple[str, str]:
    """Title and body for a `poll.caught_up` event: {"papers": N, "lists": [...], "since": day, "until": day}."""
    count = int(data.get("papers") or 0)
    lists = ", ".join(one_line(str(name)) for name in data.get("lists") or []) or "arXiv"
    noun = "paper" if count == 1 else "papers"
    since, until = data.get("since"), data.get("until")
    span = f" announced {since} to {until}" if since and until and since != until else ""
    body = (
        f"{lists}: {count} {noun}{span}, fetched after papertray was away. Papers that old get no notification of "
        "their own; they are in your list."
    )
    return f"Caught up: {count} {noun}", body
