"""The list order (newest first: daily date or saved day, then upvotes, then id, as `PaperView.sort_key`) of every
listable paper, held as one array of 4-byte row numbers instead of a tuple per paper.

Rows are dealt into one bucket per day (the day strings sorted as Python sorts them), and each day's rows are
sorted by one int that packs (upvotes, id rank). The id rank is the id's place in string order over all ids:
with the months in name order, a month's regular ids (`yymm.nnnnn`, stored by number) are already in that
order, so a regular row's rank is its count; the few other ids (old-style, odd ones, papers never ingested)
are placed among them by binary search. So the order is the one the tuples gave, ties included, it is made
without a list of a million keys, and a cursor (`after=<sort key>`) finds its place by binary search over
keys made for the ~20 rows it probes.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from papertray.models import PaperState
from papertray.store.month_index import MonthIndex, day_text
from papertray.store.views import SortKey, Summary, is_touched


class ListOrder:
    def __init__(
        self,
        months: Iterable[MonthIndex],
        states: Mapping[str, PaperState],
        known: Callable[[str], bool],
    ) -> None:
        self.months = sorted(months, key=lambda m: m.month)
        self.states = states
        # Seen, saved or read from a page but never ingested: listed by the day it was saved (a paper
        # `list --state seen` shows must be in `all` too).
        self.extras = [pid for pid, user in states.items() if is_touched(user) and not known(pid)]
        self.starts = array("Q", [0])
        for month in self.months:
            self.starts.append(self.starts[-1] + len(month))
        self.order = self._sorted()

    def __len__(self) -> int:
        return len(self.order)

    def _saved_day(self, paper_id: str) -> str:
        user = self.states.get(paper_id)
        return (user.saved_at or "")[:10] if user is not None else ""

    def _regular_below(self, paper_id: str) -> int:
        """How many regular ids of every month sort below `paper_id` as strings."""
        count = 0
        for month in self.months:
            start = month.month + "."
            if paper_id < start:
                break
            if paper_id.startswith(start):
                digits = month.digits

                def text(number: int, start: str = start, digits: int = digits) -> str:
                    return f"{start}{number:0{digits}d}"

                return count + bisect_left(month.keys, paper_id, key=text)
            count += len(month.keys)
        return count

    def _sorted(self) -> array[int]:
        months, extras = self.months, self.extras
        # Every id that is not a regular row, with its row number, in string order, and its rank.
        odd = sorted(
            [
                (pid, int(self.starts[n] + len(m.keys) + k))
                for n, m in enumerate(months)
                for k, pid in enumerate(m.others)
            ]
            + [(pid, int(self.starts[-1]) + k) for k, pid in enumerate(extras)]
        )
        places = [self._regular_below(pid) for pid, _ in odd]  # nondecreasing, as the ids are sorted
        odd_rank = {number: place + j for j, ((_, number), place) in enumerate(zip(odd, places, strict=True))}
        votes = [v for m in months for v in (min(m.upvotes, default=0), max(m.upvotes, default=0))]
        votes += [int(s[2] or 0) for m in months for s in m.exceptions.values()] + [0]
        low = min(votes)
        shift = int(self.starts[-1] + len(extras)).bit_length()
        packed = (max(votes) - low).bit_length() + shift <= 64
        buckets: dict[str, tuple[array[int], Any]] = {}
        by_code: dict[int, tuple[array[int], Any]] = {}

        def bucket(day: str) -> tuple[array[int], Any]:
            found = buckets.get(day)
            if found is None:
                found = buckets[day] = (array("I"), array("Q") if packed else [])
            return found

        number = regular = 0
        for at, month in enumerate(months):
            days, upvotes, exceptions = month.days, month.upvotes, month.exceptions
            for row in range(len(month.keys)):
                code = days[row]
                if code and not exceptions:
                    found = by_code.get(code)
                    if found is None:
                        found = by_code[code] = bucket(day_text(code) or "")
                    votes_of = upvotes[row]
                else:
                    summary = month.summary(row)
                    found = bucket(summary[1] or self._saved_day(month.id(row)))
                    votes_of = int(summary[2] or 0)
                rank = regular + bisect_right(places, regular) if places else regular
                found[0].append(number)
                found[1].append(((votes_of - low) << shift) | rank)
                number += 1
                regular += 1
            for pid in month.others:
                summary = month.summary(number - int(self.starts[at]))
                found = bucket(summary[1] or self._saved_day(pid))
                found[0].append(number)
                found[1].append(((int(summary[2] or 0) - low) << shift) | odd_rank[number])
                number += 1
        for pid in extras:
            found = bucket(self._saved_day(pid))
            found[0].append(number)
            found[1].append(((0 - low) << shift) | odd_rank[number])
            number += 1
        order = array("I")
        for day in sorted(buckets, reverse=True):
            numbers, keys = buckets.pop(day)
            order.extend(numbers[i] for i in sorted(range(len(numbers)), key=keys.__getitem__, reverse=True))
        return order

    def entry(self, position: int) -> tuple[SortKey, Summary | None, int, int]:
        """(sort key, summary, month number, row) of the paper at `position`; month number len(months) for
        a paper never ingested (its row indexes `extras`)."""
        number = self.order[position]
        at = bisect_right(self.starts, number) - 1
        row = number - self.starts[at]
        if at == len(self.months):
            paper_id = self.extras[row]
            return (self._saved_day(paper_id), 0, paper_id), None, at, row
        month = self.months[at]
        paper_id = month.id(row)
        summary = month.summary(row)
        return (summary[1] or self._saved_day(paper_id), int(summary[2] or 0), paper_id), summary, at, row

    def first_after(self, after: SortKey) -> int:
        """Position of the first paper whose key sorts strictly below `after` (the list is newest first)."""
        lo, hi = 0, len(self.order)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.entry(mid)[0] < after:
                hi = mid
            else:
                lo = mid + 1
        return lo
