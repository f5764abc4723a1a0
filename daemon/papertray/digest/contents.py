"""What one email digest holds: its papers in groups (rule matches, for you, new versions, trending unseen),
each paper once, and nothing a digest sent before (a paper, or a paper's version: v3 is news after v2 went out).
A paper with a new version is listed under its version, the news the user does not have yet."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import date

from papertray.config import Config
from papertray.digest.selection import Item, NewVersions, RankedItems, Selection, no_ranking, no_versions
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


def collect(
    store: Store,
    config: Config,
    day: date,
    since: date,
    ranked: RankedItems = no_ranking,
    versions: NewVersions = no_versions,
    sent: Set[str] = frozenset(),
) -> Digest:
    """Papers that entered Daily Papers on `since` or later (the days since the last digest, missed ones folded
    in), the new versions found since then and trending papers, grouped, leaving out the `sent` keys (`Item.key`);
    a paper the user has seen still counts as a match, but not as "trending unseen"."""
    selection = Selection(store, config, day, ranked, versions)
    start = since.isoformat()

    def recent(items: list[Item]) -> list[Item]:
        return [i for i in items if (i.paper.daily_date or (i.paper.first_seen_at or "")[:10]) >= start]

    top = list(selection.ranked(store, config))  # empty while the ranking is learning or absent
    found = [i for i in selection.new_versions() if (i.updated or "")[:10] >= start]  # found since the last digest
    candidates = [recent(selection.rule_matches()), recent(top), found, selection.trending_unseen()]
    newest: dict[str, int] = {}
    for item in candidates[2]:
        newest[item.paper.id] = max(newest.get(item.paper.id, 0), item.version or 0)
    candidates[2] = [i for i in candidates[2] if i.version == newest[i.paper.id]]  # v3 mailed: v2 is old news
    unsent = [[i for i in items if i.key not in sent] for items in candidates]
    shown: set[str] = set()
    chosen: dict[int, list[Item]] = {}
    for index in (2, 0, 1, 3):  # new versions claim their papers first; the groups still show in GROUPS order
        chosen[index] = [i for i in unsent[index] if i.paper.id not in shown]
        shown.update(i.paper.id for i in chosen[index])
    groups = tuple((name, tuple(chosen[n])) for n, name in enumerate(GROUPS) if chosen[n])
    return Digest(day, since, groups)
