"""What one email digest holds: its papers in groups (rule matches, for you, new versions, trending unseen),
each paper once, in the first group it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from papertray.config import Config
from papertray.digest.selection import Item, RankedItems, Selection, no_ranking
from papertray.store import Store

GROUPS = ("Rule matches", "For you", "New versions of your saved papers", "Trending you have not seen")


@dataclass(frozen=True, slots=True)
class Digest:
    day: date
    since: date
    groups: tuple[tuple[str, tuple[Item, ...]], ...]

    @property
    def papers(self) -> tuple[Item, ...]:
        return tuple(item for _, items in self.groups for item in items)

    @property
    def empty(self) -> bool:
        return not self.papers


def collect(store: Store, config: Config, day: date, since: date, ranked: RankedItems = no_ranking) -> Digest:
    """Papers that entered Daily Papers on `since` or later (the days since the last digest, missed ones folded
    in), grouped; a paper the user has seen still counts as a match, but not as "trending unseen"."""
    selection = Selection(store, config, day, ranked)
    start = since.isoformat()

    def recent(items: list[Item]) -> list[Item]:
        return [i for i in items if (i.paper.daily_date or (i.paper.first_seen_at or "")[:10]) >= start]

    top = list(selection.ranked(store, config))  # empty while the ranking is learning or absent
    candidates = [recent(selection.rule_matches()), recent(top), selection.new_versions(), selection.trending_unseen()]
    shown: set[str] = set()
    groups = []
    for name, items in zip(GROUPS, candidates, strict=True):
        fresh = tuple(i for i in items if i.paper.id not in shown)
        shown.update(i.paper.id for i in fresh)
        if fresh:
            groups.append((name, fresh))
    return Digest(day, since, tuple(groups))
