"""Which papers each digest holds, and why. One entry per paper id: the store keeps one record per paper across
versions and sources, so a paper never appears twice in a feed.

Seams left for later work (issue 15):
* ranking: `Selection.ranked` is where top-ranked papers join "my matches" (with the ranking's top reasons);
  the daemon passes `digest.ranked.ranked_items(...)`, and without a ranker it is empty.
* versions: the store does not yet remember which arXiv version a paper had when it was saved, so
  "new versions of my saved papers" has nothing to show; `new_versions()` is the one place to fill in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from papertray.config import Config
from papertray.models import Paper, State
from papertray.rules import match
from papertray.store import PaperView, Store

FEEDS: dict[str, str] = {
    "matches": "papertray: my matches",
    "saves": "papertray: my saves",
    "today": "papertray: today on Daily Papers",
    "new-versions": "papertray: new versions of my saved papers",
}
MATCH_WINDOW_DAYS = 14  # rule matches among the papers of the last two weeks
MAX_ENTRIES = 100


@dataclass(frozen=True, slots=True)
class Item:
    """One paper in a digest and why it is there (rule names, "saved", "trending", …)."""

    paper: Paper
    why: tuple[str, ...]
    seen: bool = False


RankedItems = Callable[[Store, Config], Sequence[Item]]


def no_ranking(store: Store, config: Config) -> Sequence[Item]:
    return ()


@dataclass
class Selection:
    store: Store
    config: Config
    today: date
    ranked: RankedItems = field(default=no_ranking)  # the ranking seam: top-ranked papers with their reasons

    def _papers(self, views: Sequence[PaperView]) -> list[tuple[PaperView, Paper]]:
        return [(view, paper) for view in views if (paper := view.paper) is not None]

    def matches(self) -> list[Item]:
        """The "my matches" feed: rule matches, then the ranking's top papers."""
        items = {item.paper.id: item for item in self.rule_matches()}
        for item in self.ranked(self.store, self.config):
            items.setdefault(item.paper.id, item)
        return list(items.values())[:MAX_ENTRIES]

    def rule_matches(self) -> list[Item]:
        since = (self.today - timedelta(days=MATCH_WINDOW_DAYS)).isoformat()
        rules = self.config.rules
        items: dict[str, Item] = {}
        for view, paper in self._papers(self.store.query(since=since, include_dismissed=False)):
            fired = match(paper, rules)
            if fired:
                why = tuple(f"rule “{m.rule}”: {m.reason}" if m.reason else f"rule “{m.rule}”" for m in fired)
                items[paper.id] = Item(paper, why, seen=view.status is not State.NEW)
        return list(items.values())[:MAX_ENTRIES]

    def saves(self) -> list[Item]:
        views = self.store.query(predicate=lambda v: v.state.saved_at is not None, limit=MAX_ENTRIES)
        return [Item(paper, ("saved",), seen=True) for _, paper in self._papers(views)]

    def today_on_daily(self) -> list[Item]:
        """The newest day the store holds (Daily Papers has none on weekends), most upvoted first."""
        newest = self.store.query(limit=1)
        if not newest or newest[0].daily_date is None:
            return []
        day = newest[0].daily_date
        views = [v for v in self.store.query(since=day) if v.daily_date == day]
        views.sort(key=lambda v: (-v.upvotes, v.id))
        return [
            Item(paper, (f"on Daily Papers {day}",), seen=view.status is not State.NEW)
            for view, paper in self._papers(views[:MAX_ENTRIES])
        ]

    def new_versions(self) -> list[Item]:
        return []  # the versions seam: saved-at version is not tracked yet (see the module docstring)

    def trending_unseen(self, limit: int = 10) -> list[Item]:
        return [item for item in self.today_on_daily() if not item.seen][:limit]

    def feed(self, name: str) -> list[Item]:
        return {
            "matches": self.matches,
            "saves": self.saves,
            "today": self.today_on_daily,
            "new-versions": self.new_versions,
        }[name]()
