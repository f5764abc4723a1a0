"""Which papers each digest holds, and why. One entry per paper id: the store keeps one record per paper across
versions and sources, so a paper never appears twice in a feed (in new-versions: one entry per paper+version).

What the daemon hands in (digest/ imports neither ranking's service nor versions.py):
* `ranked`: top-ranked papers join "my matches" (with the ranking's top reasons); the daemon passes
  `digest.ranked.ranked_items(...)`, and without a ranker it is empty.
* `versions`: every new version of a saved paper the version watcher found (`VersionWatcher.history`, newest
  first, looked at or not: a feed is history); one entry per paper+version, "v3 of <title>".
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
TRENDING_SOURCES = {"hf:trending": "trending on Hugging Face", "hf:week": "of the week", "hf:month": "of the month"}
TRENDING_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Item:
    """One paper in a digest and why it is there (rule names, "saved", "trending", …); `version` when the item
    is that new version of the paper (its title, links and entry id then name the version)."""

    paper: Paper
    why: tuple[str, ...]
    seen: bool = False
    version: int | None = None
    updated: str | None = None  # when it entered the digest, when not the paper's first sighting

    @property
    def key(self) -> str:
        """What a sent digest records: the paper, or the paper's version (v3 is news after v2 was mailed)."""
        return f"{self.paper.id}v{self.version}" if self.version else self.paper.id


RankedItems = Callable[[Store, Config], Sequence[Item]]
NewVersions = Callable[[], Sequence[tuple[str, int, int | None, str]]]  # (id, version, was, found_at)


def no_ranking(store: Store, config: Config) -> Sequence[Item]:
    return ()


def no_versions() -> Sequence[tuple[str, int, int | None, str]]:
    return ()


@dataclass
class Selection:
    store: Store
    config: Config
    today: date
    ranked: RankedItems = field(default=no_ranking)  # the ranking seam: top-ranked papers with their reasons
    versions: NewVersions = field(default=no_versions)  # the version watcher's history, newest first

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
        """The "new versions of my saved papers" feed: each version found once, while the paper is still on the
        reading list (saved or read)."""
        items: list[Item] = []
        for paper_id, version, was, found_at in self.versions():
            paper = self.store.get_paper(paper_id)
            if paper is None or self.store.view(paper_id).status not in (State.SAVED, State.READ):
                continue
            why = f"new version v{version}" + (f" (you had v{was})" if was else "")
            items.append(Item(paper, (why,), seen=True, version=version, updated=found_at or None))
        return items[:MAX_ENTRIES]

    def trending_unseen(self, limit: int = TRENDING_LIMIT) -> list[Item]:
        """Papers of Hugging Face's trending, weekly and monthly lists (when followed), else of the newest day,
        most upvoted first, that the user has not seen, saved, read or dismissed."""
        if self.config.hf_lists:
            found: dict[str, tuple[PaperView, str]] = {}
            for source, label in TRENDING_SOURCES.items():
                for view in self.store.query(state=State.NEW, include_dismissed=False, source=source):
                    found.setdefault(view.id, (view, label))
            ranked = sorted(found.values(), key=lambda pair: (-pair[0].upvotes, pair[0].id))[:limit]
            return [Item(paper, (label,)) for view, label in ranked if (paper := view.paper) is not None]
        newest = self.store.query(limit=1)
        day = newest[0].daily_date if newest else None
        if day is None:
            return []
        unseen = self.store.query(state=State.NEW, since=day, include_dismissed=False)
        views = [v for v in unseen if v.daily_date == day]
        views.sort(key=lambda v: (-v.upvotes, v.id))
        return [Item(paper, (f"on Daily Papers {day}",)) for _, paper in self._papers(views[:limit])]

    def feed(self, name: str) -> list[Item]:
        return {
            "matches": self.matches,
            "saves": self.saves,
            "today": self.today_on_daily,
            "new-versions": self.new_versions,
        }[name]()
