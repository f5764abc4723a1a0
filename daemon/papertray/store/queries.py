"""Queries over the store, answered from memory: one paper's view, lookups of page references, the list in
newest-first order (sorted once per change, not once per query) with its filters and cursor pages, the
counts per state, and the one definition of "new" (`new_counts`) that the tray, the toolbar badge, the popup
and `papertray status` all show."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from papertray.models import PaperState, State, canonical_id
from papertray.store.base import StoreBase
from papertray.store.views import PaperView, SortKey, Summary, is_touched


@dataclass(frozen=True, slots=True)
class NewCounts:
    """What "new" means, everywhere papertray says it.

    unseen      papers not yet seen, saved or read, leaving out the dismissed ones: waiting for you, any day
    new today   the unseen papers of the newest Daily Papers day papertray holds (`day`: today's list on a
                weekday, Friday's over a weekend); the number on the tray icon, the toolbar badge and the popup
    """

    day: str | None
    today: int
    unseen: int

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day, "today": self.today, "unseen": self.unseen}


class Queries(StoreBase):
    @property
    def generation(self) -> int:
        """A number that changes whenever a write changes what `view()` or `query()` answers; a cache built
        from views is current while it holds the generation it was built at."""
        return self._generation

    def get_state(self, paper_id: str) -> PaperState:
        return self._states.get(paper_id) or PaperState(id=paper_id)

    def view(self, paper_id: str) -> PaperView:
        # No user state yet: the view makes the empty one only if it is asked for (lookup's badges are not).
        return PaperView(
            paper_id, state=self._states.get(paper_id), summary=self._summary(paper_id), loader=self.get_paper
        )

    def cite_keys(self) -> dict[str, str]:
        """Every citation key given so far, casefolded (BibTeX tools differ on case), to its paper's id."""
        return {s.cite_key.casefold(): pid for pid, s in self._states.items() if s.cite_key}

    def lookup(self, refs: Iterable[str]) -> dict[str, PaperView]:
        """Views keyed by canonical id for every reference that holds a paper id (others are dropped)."""
        views: dict[str, PaperView] = {}
        for ref in refs:
            paper_id = canonical_id(ref)
            if paper_id is not None and paper_id not in views:
                views[paper_id] = self.view(paper_id)
        return views

    def _ordered(self) -> list[tuple[SortKey, Summary | None]]:
        """(sort key, summary) of every listable paper, newest first; kept until a write changes the order.

        Sorting 250k papers costs about half a second, so it is done once per change, not once per query.
        """
        if self._order is None:
            items: list[tuple[SortKey, Summary | None]] = []
            for month in self._months.values():
                for paper_id, summary in month.items():
                    saved = self._states.get(paper_id)
                    day = summary[1] or ((saved.saved_at or "")[:10] if saved else "")
                    items.append(((day, int(summary[2] or 0), paper_id), summary))
            for paper_id, user in self._states.items():
                # Seen, saved or read from a page but never ingested: listed by the day it was saved (a paper
                # `list --state seen` shows must be in `all` too).
                if is_touched(user) and self._summary(paper_id) is None:
                    items.append((((user.saved_at or "")[:10], 0, paper_id), None))
            items.sort(key=lambda item: item[0], reverse=True)
            self._order = items
        return self._order

    def _candidates(
        self, state: State | None, since: str | None, include_dismissed: bool
    ) -> Iterator[tuple[SortKey, Summary | None, PaperState | None]]:
        """Papers in list order that pass the state, since and dismissed filters (no views built yet)."""
        states = self._states
        if state in (State.SEEN, State.SAVED, State.READ):
            # Only papers the user touched can be seen, saved or read: scan the user data, not every paper.
            ordered: list[tuple[SortKey, Summary | None]] = []
            for paper_id, touched in states.items():
                if touched.state == state and (include_dismissed or not touched.dismissed_at):
                    summary = self._summary(paper_id)
                    day = (summary[1] if summary is not None else None) or (touched.saved_at or "")[:10]
                    ordered.append(((day, int(summary[2] or 0) if summary is not None else 0, paper_id), summary))
            ordered.sort(key=lambda item: item[0], reverse=True)
        else:
            ordered = self._ordered()
        for key, summary in ordered:
            day = key[0]
            if since is not None and (not day or day < since):
                return  # newest first: everything after is older still
            user = states.get(key[2])
            if user is not None:
                if not include_dismissed and user.dismissed_at:
                    continue
                if state is not None:
                    known = summary is not None or is_touched(user)
                    if (user.state if known else State.UNKNOWN) != state:
                        continue
            elif state is not None and state is not State.NEW:
                continue
            yield key, summary, user

    def query(
        self,
        *,
        state: State | None = None,
        since: str | None = None,
        include_dismissed: bool = True,
        predicate: Callable[[PaperView], bool] | None = None,
        limit: int | None = None,
    ) -> list[PaperView]:
        """Papers newest first (by daily date, then upvotes, then id: `PaperView.sort_key`). `since` is a
        YYYY-MM-DD daily date; `limit` stops after that many matches. `page()` pages with a total."""
        views: list[PaperView] = []
        for key, summary, user in self._candidates(state, since, include_dismissed):
            item = PaperView(key[2], state=user, summary=summary, loader=self.get_paper)
            if predicate is None or predicate(item):
                views.append(item)
                if limit is not None and len(views) >= limit:
                    break
        return views

    def page(
        self,
        *,
        state: State | None = None,
        since: str | None = None,
        include_dismissed: bool = True,
        predicate: Callable[[PaperView], bool] | None = None,
        after: SortKey | None = None,
        limit: int | None = None,
    ) -> tuple[list[PaperView], int]:
        """One page of `query()` and the number of matches in all pages.

        `after` is the `sort_key` of the last paper of the previous page: the page holds the matches that come
        strictly after it in newest-first order, at most `limit` of them. Views are built only for the page
        (and for papers a predicate must see), so paging through 250k papers stays cheap.
        """
        if state is None and since is None and include_dismissed and predicate is None:
            # No filter: the page is a slice of the cached order, found by binary search.
            ordered = self._ordered()
            start = 0 if after is None else _first_after(ordered, after)
            end = len(ordered) if limit is None else start + limit
            page = [
                PaperView(key[2], state=self._states.get(key[2]), summary=summary, loader=self.get_paper)
                for key, summary in ordered[start:end]
            ]
            return page, len(ordered)
        views: list[PaperView] = []
        total = 0
        for key, summary, user in self._candidates(state, since, include_dismissed):
            wanted = (after is None or key < after) and (limit is None or len(views) < limit)
            if predicate is not None or wanted:
                item = PaperView(key[2], state=user, summary=summary, loader=self.get_paper)
                if predicate is not None and not predicate(item):
                    continue
                if wanted:
                    views.append(item)
            total += 1
        return views, total

    def newest_day(self) -> str | None:
        """The newest Daily Papers day of any paper papertray ingested (papers only saved from a page have none)."""
        for key, summary in self._ordered():
            if summary is not None and summary[1]:
                return key[0]
        return None

    def new_counts(self) -> NewCounts:
        day = self.newest_day()
        unseen = self.page(state=State.NEW, include_dismissed=False, limit=0)[1]
        today = self.page(state=State.NEW, since=day, include_dismissed=False, limit=0)[1] if day else 0
        return NewCounts(day=day, today=today, unseen=unseen)

    def counts(self) -> dict[str, int]:
        """Papers per state; they add up to `total`, which counts every paper `query()` lists (the ingested
        ones and those seen, saved or read from a page but never ingested)."""
        counts = {s.value: 0 for s in State if s is not State.UNKNOWN}
        total = len(self)
        with_state = 0
        for paper_id, user in self._states.items():
            if self._summary(paper_id) is not None:
                with_state += 1
            elif is_touched(user):
                total += 1
            else:
                continue
            counts[user.state.value] += 1
        counts[State.NEW.value] += len(self) - with_state
        counts["total"] = total
        return counts


def _first_after(ordered: Sequence[tuple[SortKey, Any]], after: SortKey) -> int:
    """Index of the first item whose key sorts strictly below `after` in a newest-first (descending) list."""
    lo, hi = 0, len(ordered)
    while lo < hi:
        mid = (lo + hi) // 2
        if ordered[mid][0] < after:
            hi = mid
        else:
            lo = mid + 1
    return lo
