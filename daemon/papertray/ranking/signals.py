"""What the ranker learns from. A save (the imported library arrives as saves) or a read says "for me"; notes
and tags say it louder; an explicit dismissal says "not for me". A paper the user only scrolled past ("seen") is
no signal at all: not looking at something is not a judgement of it. The rules' keywords are the user's own
words for their interests, so they count as one "for me" paper each from the very first day (the cold start).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from papertray.config import Rule
from papertray.models import PaperState
from papertray.ranking.features import Doc

# Below this many saves, reads and dismissals the model is "learning": it ranks (rules and library first), but
# says so. 8 is the benchmark's seed (5 saves, 3 dismissals); by 20 its precision@10 has settled (bench/ranking.py).
ENOUGH_SIGNALS = 20
SAVED, READ, ANNOTATED, DISMISSED, RULE = 1.0, 0.5, 0.5, 1.0, 1.0


@dataclass(frozen=True, slots=True)
class Signal:
    id: str
    label: int  # 1 for the user, 0 not for the user
    weight: float
    at: str  # when the user said so (ISO 8601): eval replays history in this order


def signal_of(state: PaperState) -> Signal | None:
    """The signal one paper's state carries, or None (new, or merely seen). The latest word wins: a paper saved
    and later dismissed is a dismissal; dismissed and later saved, a save."""
    positive_at = max(filter(None, (state.saved_at, state.read_at)), default=None)
    if state.dismissed_at and (positive_at is None or state.dismissed_at > positive_at):
        return Signal(state.id, 0, DISMISSED, state.dismissed_at)
    if positive_at is None and not (state.note or state.tags):
        return None
    weight = (SAVED if state.saved_at else 0.0) + (READ if state.read_at else 0.0)
    weight += ANNOTATED if (state.note or state.tags) else 0.0
    return Signal(state.id, 1, weight, positive_at or state.updated_at or "")


def signals_of(states: Iterable[PaperState]) -> list[Signal]:
    return [s for s in map(signal_of, states) if s is not None]


def rule_docs(rules: Sequence[Rule]) -> list[Doc]:
    """One pseudo-paper per rule with keywords or authors: what the user said they want, as the ranker reads it."""
    return [
        Doc(id=f"rule:{rule.name}", title=" ; ".join(rule.keywords), authors=rule.authors, keywords=rule.keywords)
        for rule in rules
        if rule.keywords or rule.authors
    ]


def learning(signals: Sequence[Signal]) -> bool:
    return len(signals) < ENOUGH_SIGNALS
