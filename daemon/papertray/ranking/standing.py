"""A paper's standing in its day, as every answer shows it: `rank`, `why` and `for_you` (issue 14).

* `rank`: where the paper falls among its day's scored papers, from 0 (last) to 1 (first), so "the bottom half"
  is `rank < 0.5`; null while the ranker is still learning (fewer than `signals.ENOUGH_SIGNALS` signals).
* `why`: the short form of what raised its score ("for you: sparse autoencoders, circuits"), once a model exists.
* `for_you`: among the day's top-ranked (`top_count`: a fifth of the day, at most `TOP`) -- what the page marks
  "★ for you", notifications announce and the digest lists; never a dismissed paper, never while learning.

Worked out from the scores the ranker keeps (the newest papers'), grouped by daily date, once per ranker
generation: a lookup then costs a few dict reads, however often the store writes "seen".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from papertray.ranking import signals

if TYPE_CHECKING:  # the ranker builds its Standings: importing it here at run time would be a cycle
    from papertray.ranking.service import Ranker

TOP = 10  # a person reads maybe ten papers a day (issue 14): the day's for-you papers are at most this many


def top_count(day_size: int) -> int:
    return min(TOP, max(1, (day_size + 4) // 5))


@dataclass(frozen=True, slots=True)
class Standing:
    rank: float | None = None
    why: str | None = None
    for_you: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "why": self.why, "for_you": self.for_you}


NONE = Standing()


class Standings:
    """Every scored paper's standing in its day, rebuilt when the ranker's generation moves on."""

    def __init__(self, ranker: Ranker) -> None:
        self.ranker = ranker
        self._generation = -1
        self._places: dict[str, tuple[float, bool]] = {}  # id -> (rank, for_you)
        self._top: dict[str, list[str]] = {}  # day -> its for-you ids, best first
        self._why: dict[str, str | None] = {}

    @property
    def generation(self) -> int:
        return self.ranker.generation

    def _current(self) -> None:
        generation = self.ranker.generation
        if self._generation == generation:
            return
        store = self.ranker.store
        days: dict[str, list[tuple[float, str]]] = {}
        # A copy: the digests read standings from a worker thread while the loop adds scores.
        for paper_id, value in list(self.ranker.scores.items()):
            view = store.view(paper_id)
            if view.daily_date and view.state.dismissed_at is None:
                days.setdefault(view.daily_date, []).append((value, paper_id))
        places: dict[str, tuple[float, bool]] = {}
        tops: dict[str, list[str]] = {}
        for day, scored in days.items():
            scored.sort(key=lambda item: (-item[0], item[1]))
            last, top = max(1, len(scored) - 1), top_count(len(scored))
            for place, (_, paper_id) in enumerate(scored):
                places[paper_id] = (round(1.0 - place / last, 4) if len(scored) > 1 else 1.0, place < top)
            tops[day] = [paper_id for _, paper_id in scored[:top]]
        self._places, self._top, self._why, self._generation = places, tops, {}, generation

    def _short(self, paper_id: str) -> str | None:
        if paper_id not in self._why:
            scored = self.ranker.score(paper_id)
            self._why[paper_id] = (scored.short() or None) if scored is not None else None
        return self._why[paper_id]

    def learning(self) -> bool:
        return self.ranker.signal_count < signals.ENOUGH_SIGNALS

    def of(self, paper_id: str, *, dismissed: bool = False) -> Standing:
        """The paper's standing now (NONE before a model exists or before the paper has a score)."""
        if self.ranker.model is None or paper_id not in self.ranker.scores:
            return NONE
        self._current()
        why = self._short(paper_id)
        place = self._places.get(paper_id)
        if place is None or self.learning():
            return Standing(None, why, False)
        return Standing(place[0], why, place[1] and not dismissed)

    def for_you(self, paper_ids: Iterable[str]) -> dict[str, str]:
        """Those of `paper_ids` among their day's top-ranked, with their short why; scores missing for them are
        worked out first (a poll's papers may not have been scored yet when the notifier asks)."""
        ids = list(paper_ids)
        if self.ranker.model is None or self.learning():
            return {}
        self.ranker.ensure_scored(ids)
        self._current()
        out: dict[str, str] = {}
        for paper_id in ids:
            place = self._places.get(paper_id)
            if place is not None and place[1] and not self._dismissed(paper_id):
                out[paper_id] = self._short(paper_id) or "for you"
        return out

    def _dismissed(self, paper_id: str) -> bool:
        # Dismissed since the last rebuild (a rebuild leaves dismissed papers out; "seen" writes do not rebuild).
        return self.ranker.store.view(paper_id).state.dismissed_at is not None

    def top_of_day(self, day: str) -> list[str]:
        """The day's for-you ids, best first (empty while learning)."""
        if self.ranker.model is None or self.learning():
            return []
        self._current()
        return [paper_id for paper_id in self._top.get(day, ()) if not self._dismissed(paper_id)]

    def days(self) -> list[str]:
        """The days with for-you papers, newest first."""
        if self.ranker.model is None or self.learning():
            return []
        self._current()
        return sorted(self._top, reverse=True)
