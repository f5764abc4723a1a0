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
        self.order = array("I", self._sorted())

    def __len__(self) -> int:
        return len(self.order)

    def _saved_day(self, paper_id: str) -> str:
        user = self.states.get(paper_id)
        return (user.saved_at or "")[:10] if user is not None else ""

    def _sorted(self) -> list[int]:
        months, extras = self.months, self.extras
        odd_days = [s[1] for m in months for s in m.exceptions.values() if isinstance(s[1], str)]
        id_width = max([0] + [len(m.id(0)) for m in months if len(m.keys)] + [len(p) for m in months for p in m.others])
        id_width = max([id_width, *map(len, extras)])
        day_width = max([10, *(len(d.encode()) for d in odd_days)])
        votes = [v for m in months for v in (min(m.upvotes, default=0), max(m.upvotes, default=0))]
        votes += [int(s[2] or 0) for m in months for s in m.exceptions.values()] + [0]
        low, vote_bits = min(votes), (max(votes) - min(votes)).bit_length()
        id_bits = 8 * id_width
        day_ints: dict[object, int] = {}

        def day_int(day: str) -> int:
            found = day_ints.get(day)
            if found is None:
                found = day_ints[day] = _as_int(day, day_width) << vote_bits
            return found

        keys: list[int] = []
        append = keys.append
        for month in months:
            days, upvotes, exceptions, regular = month.days, month.upvotes, month.exceptions, len(month.keys)
            prefix = (month.month + ".").encode()
            pad = 8 * (id_width - len(prefix) - month.digits)
            digits = month.digits
            codes: dict[int, int] = {}
            for row, number in enumerate(month.keys):
                code = days[row]
                if code and not exceptions:
                    base = codes.get(code)
                    if base is None:
                        base = codes[code] = day_int(day_text(code) or "")
                    votes_of = upvotes[row] - low
                else:
                    summary = month.summary(row)
                    base = day_int(summary[1] or self._saved_day(month.id(row)))
                    votes_of = int(summary[2] or 0) - low
                ident = int.from_bytes(prefix + b"%0*d" % (digits, number), "big") << pad
                append(((base | votes_of) << id_bits) | ident)
            for offset, paper_id in enumerate(month.others):
                summary = month.summary(regular + offset)
                day = summary[1] or self._saved_day(paper_id)
                append(((day_int(day) | (int(summary[2] or 0) - low)) << id_bits) | _as_int(paper_id, id_width))
        for paper_id in extras:
            append(((day_int(self._saved_day(paper_id)) | -low) << id_bits) | _as_int(paper_id, id_width))
        return sorted(range(len(keys)), key=keys.__getitem__, reverse=True)

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
