"""The list order (newest first: daily date or saved day, then upvotes, then id, as `PaperView.sort_key`) of every
listable paper, held as one array of 4-byte row numbers instead of a tuple per paper.

Sorting compares one Python int per paper that packs the whole sort key exactly: the day's and the id's UTF-8
bytes, zero-padded to the longest (byte order is code point order, which is how Python compares strings),
with the upvotes between them. So the order is the one the tuples gave, ties included, and a cursor
(`after=<sort key>`) finds its place by binary search over keys made for the ~20 rows it probes.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping

from papertray.models import PaperState
from papertray.store.month_index import MonthIndex, day_text
from papertray.store.views import SortKey, Summary, is_touched


def _as_int(text: str, width: int) -> int:
    return int.from_bytes(text.encode("utf-8").ljust(width, b"\0"), "big")


class ListOrder:
    def __init__(
        self,
        months: Iterable[MonthIndex],
        states: Mapping[str, PaperState],
        known: Callable[[str], bool],
    ) -> None:
        self.months = list(months)
        self.states = states
        # Seen, saved or read from a page but never ingested: listed by the day it was saved (a paper
        # `list --state seen` shows must be in `all` too).
        self.extras = [pid for pid, user in states.items() if is_touched(user) and not known(pid)]
        self.starts = array("Q", [0])
        for month in self.months:
            self.starts.append(self.starts[-1] + len(month))
        self._id_width = self._id_bits = self._low = 0
        self.order = self._sorted()

    def __len__(self) -> int:
        return len(self.order)

    def _saved_day(self, paper_id: str) -> str:
        user = self.states.get(paper_id)
        return (user.saved_at or "")[:10] if user is not None else ""

    def _sorted(self) -> array[int]:
        """Row numbers newest first. Rows are first dealt into one array per day (a day is a few hundred papers),
        then each day is sorted by a key that packs (upvotes, id) exactly: no list of a million keys is ever
        held, so the order costs its 4 bytes a paper and little more while it is made."""
        months, extras = self.months, self.extras
        odd_days = [s[1] for m in months for s in m.exceptions.values() if isinstance(s[1], str)]
        day_width = max([10, *(len(d.encode()) for d in odd_days)])
        id_width = max([0] + [len(m.id(0)) for m in months if len(m.keys)] + [len(p) for m in months for p in m.others])
        self._id_width = max([id_width, *map(len, extras)])
        votes = [v for m in months for v in (min(m.upvotes, default=0), max(m.upvotes, default=0))]
        votes += [int(s[2] or 0) for m in months for s in m.exceptions.values()] + [0]
        self._low = min(votes)
        self._id_bits = 8 * self._id_width
        buckets: dict[int, array[int]] = {}
        by_day: dict[str, array[int]] = {}

        def bucket(day: str) -> array[int]:
            found = by_day.get(day)
            if found is None:
                found = by_day[day] = buckets.setdefault(_as_int(day, day_width), array("I"))
            return found

        number = 0
        for month in months:
            days, exceptions = month.days, month.exceptions
            by_code: dict[int, array[int]] = {}
            for row in range(len(month)):
                code = days[row]
                if code and not exceptions:
                    found = by_code.get(code)
                    if found is None:
                        found = by_code[code] = bucket(day_text(code) or "")
                else:
                    found = bucket(month.summary(row)[1] or self._saved_day(month.id(row)))
                found.append(number)
                number += 1
        for paper_id in extras:
            bucket(self._saved_day(paper_id)).append(number)
            number += 1
        order = array("I")
        for day in sorted(buckets, reverse=True):
            numbers = buckets.pop(day)
            keys = [self._rest(n) for n in numbers]
            order.extend(numbers[i] for i in sorted(range(len(numbers)), key=keys.__getitem__, reverse=True))
        return order

    def _rest(self, number: int) -> int:
        """(upvotes, id) of a row packed in one int that sorts as the pair does."""
        at = bisect_right(self.starts, number) - 1
        row = number - self.starts[at]
        if at == len(self.months):
            votes, paper_id = 0, self.extras[row]
        else:
            month = self.months[at]
            if row < len(month.keys) and not month.exceptions:
                ident = month.month.encode() + b".%0*d" % (month.digits, month.keys[row])
                pad = 8 * (self._id_width - len(ident))
                return ((int(month.upvotes[row]) - self._low) << self._id_bits) | (int.from_bytes(ident, "big") << pad)
            votes, paper_id = int(month.summary(row)[2] or 0), month.id(row)
        return ((votes - self._low) << self._id_bits) | _as_int(paper_id, self._id_width)

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
