"""A month's summaries held in columns, and their file `feed/<yymm>/index.bin`.

A million papers as a tuple each (title, day, upvotes, version in per-month dicts) took 430-540 MB and 1-5 s to
load. Here a month is a handful of arrays: the id numbers sorted for bisection, the daily date as YYYYMMDD, the
upvotes, the version, an index into the month's table of distinct source sets, and the titles as one UTF-8
blob with offsets; about 20 bytes a paper beside its title. Old-style ids (`hep-th/9901001`) and any id that is
not the month's usual `yymm.nnnnn` shape sit after the regular rows, found by a small dict. A value the columns
cannot hold exactly (a day that is not YYYY-MM-DD, a count past 32 bits) keeps its whole summary in the
header's `exceptions`: what is read back is always what was written.

The file is one JSON header line (schema, kind, papertray version, layout, the column table, a CRC-32 of the
payload) and the columns, each 8-byte aligned, little-endian. Loading is a read, a checksum and zero-copy
`memoryview` casts. A file that fails any check is `UnreadableFile` (the caller rebuilds the month from its
record shards); one of a newer layout is `NewerDataError`.
"""

from __future__ import annotations

import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from papertray import __version__
from papertray.errors import NewerDataError, UnreadableFile
from papertray.models import DATE
from papertray.store.files import SCHEMA_VERSION, check_schema
from papertray.store.views import Summary

LAYOUT = 1  # the binary layout; a newer one is refused, never overwritten
KIND = "feed-index"
NAME = "index.bin"
# (column, array typecode): the order they sit in the file.
COLUMNS = (("keys", "I"), ("days", "I"), ("upvotes", "i"), ("versions", "H"), ("sources", "H"), ("offsets", "I"))
INT32 = range(-(2**31), 2**31)
UINT16 = range(1, 2**16)
LITTLE = sys.byteorder == "little"
assert all(array(code).itemsize == {"I": 4, "i": 4, "H": 2}[code] for _, code in COLUMNS)


def id_digits(month: str) -> int:
    """How many digits a regular id of this month has after the dot (four until 1412, five since 1501)."""
    return 4 if month < "1501" else 5


def _day_code(day: Any) -> int | None:
    if day is None:
        return 0
    if isinstance(day, str) and DATE.match(day):
        return int(day[:4] + day[5:7] + day[8:])
    return None


_DAYS: dict[int, str | None] = {0: None}  # a few thousand days, each made once


def day_text(code: int) -> str | None:
    found = _DAYS.get(code, "")
    if found == "":
        found = _DAYS[code] = f"{code // 10000:04d}-{code // 100 % 100:02d}-{code % 100:02d}"
    return found


class MonthIndex:
    """One month's summaries: `get(id)` gives the summary tuple (title, daily_date, upvotes, version, sources)."""

    __slots__ = (
        "days",
        "digits",
        "exceptions",
        "keys",
        "month",
        "offsets",
        "other_rows",
        "others",
        "source_sets",
        "sources",
        "titles",
        "upvotes",
        "versions",
    )

    def __init__(self, month: str, columns: Mapping[str, Any], titles: Any, header: Mapping[str, Any]) -> None:
        self.month = month
        self.digits = id_digits(month)
        self.keys, self.days, self.upvotes = columns["keys"], columns["days"], columns["upvotes"]
        self.versions, self.sources, self.offsets = columns["versions"], columns["sources"], columns["offsets"]
        self.titles = titles
        self.others: list[str] = list(header["others"])
        self.source_sets: list[tuple[str, ...]] = [tuple(s) for s in header["sources"]]
        regular = len(self.keys)
        self.other_rows = {pid: regular + n for n, pid in enumerate(self.others)}
        self.exceptions: dict[int, Summary] = {
            int(row): (s[0], s[1], s[2], s[3], tuple(s[4])) for row, s in header["exceptions"].items()
        }
        if len(self.days) != regular + len(self.others) or len(self.offsets) != len(self.days) + 1:
            raise ValueError("columns of different lengths")

    # ---------------------------------------------------------------- reading

    def __len__(self) -> int:
        return len(self.days)

    def row(self, paper_id: str) -> int | None:
        number = paper_id[5:]
        if len(number) == self.digits and paper_id[4:5] == "." and number.isdigit() and paper_id[:4] == self.month:
            key = int(number)
            at = bisect_left(self.keys, key)
            return at if at < len(self.keys) and self.keys[at] == key else None
        return self.other_rows.get(paper_id)

    def get(self, paper_id: str) -> Summary | None:
        row = self.row(paper_id)
        return None if row is None else self.summary(row)

    def __contains__(self, paper_id: object) -> bool:
        return isinstance(paper_id, str) and self.row(paper_id) is not None

    def summary(self, row: int) -> Summary:
        if self.exceptions:
            found = self.exceptions.get(row)
            if found is not None:
                return found
        offsets = self.offsets
        return (
            str(self.titles[offsets[row] : offsets[row + 1]], "utf-8"),
            day_text(self.days[row]),
            self.upvotes[row],
            self.versions[row] or None,
            self.source_sets[self.sources[row]],
        )

    def sources_of(self, row: int) -> tuple[str, ...]:
        found = self.exceptions.get(row) if self.exceptions else None
        return tuple(found[4]) if found is not None else self.source_sets[self.sources[row]]

    def id(self, row: int) -> str:
        regular = len(self.keys)
        if row < regular:
            return f"{self.month}.{self.keys[row]:0{self.digits}d}"
        return self.others[row - regular]

    def __iter__(self) -> Iterator[str]:
        return (self.id(row) for row in range(len(self)))

    def items(self) -> Iterator[tuple[str, Summary]]:
        return ((self.id(row), self.summary(row)) for row in range(len(self)))

    def to_dict(self) -> dict[str, Summary]:
        return dict(self.items())

    # ---------------------------------------------------------------- building

    @classmethod
    def build(cls, month: str, summaries: Mapping[str, Summary]) -> MonthIndex:
        return cls.decode(encode(month, summaries), Path(month) / NAME)

    @classmethod
    def decode(cls, raw: bytes, path: Path) -> MonthIndex:
        """A month index from its file's bytes; UnreadableFile when damaged, NewerDataError when newer."""
        end = raw.find(b"\n")
        try:
            header = orjson.loads(raw[:end]) if end > 0 else None
        except orjson.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("kind") != KIND:
            raise UnreadableFile(path, "is not a papertray month index")
        check_schema(header, path)
        layout = header.get("layout")
        if isinstance(layout, int) and layout > LAYOUT:
            raise NewerDataError(path, int(header["schema"]), None, readable=SCHEMA_VERSION)
        payload = memoryview(raw)[end + 1 :]
        try:
            if layout != LAYOUT or zlib.crc32(payload) != header["crc32"]:
                raise ValueError("checksum")
            columns: dict[str, Any] = {}
            for name, code, start, size in header["columns"]:
                view = payload[start : start + size]
                if len(view) != size:
                    raise ValueError("short")
                columns[name] = view.cast(code) if LITTLE else _swapped(view, code)
            start, size = header["titles"]
            titles = payload[start : start + size]
            return cls(str(header["month"]), columns, titles, header)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise UnreadableFile(path, f"is damaged ({exc.__class__.__name__.lower()}: {exc})") from None


def _swapped(view: memoryview, code: str) -> array[int]:
    values = array(code, bytes(view))
    values.byteswap()
    return values


def _fits(summary: Summary) -> bool:
    title, day, upvotes, version, sources = summary
    return (
        isinstance(title, str)
        and _day_code(day) is not None
        and isinstance(upvotes, int)
        and not isinstance(upvotes, bool)
        and upvotes in INT32
        and (version is None or (isinstance(version, int) and not isinstance(version, bool) and version in UINT16))
        and isinstance(sources, tuple)
    )


def encode(month: str, summaries: Mapping[str, Summary]) -> bytes:
    """The file's bytes for a month's summaries (regular ids first, by number; the others by id)."""
    digits = id_digits(month)
    regular: list[tuple[int, str]] = []
    others: list[str] = []
    for pid in summaries:
        number = pid[5:]
        if len(number) == digits and pid[4:5] == "." and number.isdigit() and number.isascii() and pid[:4] == month:
            regular.append((int(number), pid))
        else:
            others.append(pid)
    regular.sort()
    others.sort()
    order = [pid for _, pid in regular] + others
    columns = {name: array(code) for name, code in COLUMNS}
    columns["keys"].extend(number for number, _ in regular)
    days, upvotes, versions, sources, offsets = (
        columns[n] for n in ("days", "upvotes", "versions", "sources", "offsets")
    )
    source_ids: dict[tuple[str, ...], int] = {}
    exceptions: dict[str, list[Any]] = {}
    titles = bytearray()
    offsets.append(0)
    for row, pid in enumerate(order):
        summary = tuple(summaries[pid])
        summary = summary + (("hf",),) * (5 - len(summary))  # (a summary from before sources were kept)
        if _fits(summary):
            title, day, votes, version, source = summary
            titles += title.encode("utf-8")
            days.append(_day_code(day) or 0)
            upvotes.append(votes)
            versions.append(version or 0)
            source_id = source_ids.setdefault(source, len(source_ids))
        else:
            exceptions[str(row)] = [*summary[:4], list(summary[4]) if isinstance(summary[4], tuple) else []]
            days.append(0)
            upvotes.append(0)
            versions.append(0)
            source_id = 0
        sources.append(source_id if source_id < 2**16 else 0)
        if source_id >= 2**16:  # a month with 65,536 different source sets: the rest keep theirs whole
            exceptions[str(row)] = [*summary[:4], list(summary[4])]
        offsets.append(len(titles))
    return _pack(month, columns, titles, others, list(source_ids), exceptions)


def _pack(
    month: str,
    columns: Mapping[str, array[int]],
    titles: bytes | bytearray,
    others: list[str],
    source_sets: list[tuple[str, ...]],
    exceptions: Mapping[str, list[Any]],
) -> bytes:
    if len(titles) >= 2**32:
        raise ValueError("a month's titles past 4 GB")
    payload = bytearray()
    table: list[list[Any]] = []
    for name, code in COLUMNS:
        values = columns[name]
        if not LITTLE:
            values = array(code, values)
            values.byteswap()
        table.append([name, code, len(payload), len(values) * values.itemsize])
        payload += values.tobytes()
        payload += b"\0" * (-len(payload) % 8)
    titles_at = [len(payload), len(titles)]
    payload += titles
    header = {
        "schema": SCHEMA_VERSION,
        "kind": KIND,
        "papertray": __version__,
        "layout": LAYOUT,
        "month": month,
        "rows": len(columns["days"]),
        "columns": table,
        "titles": titles_at,
        "others": others,
        "sources": [list(s) for s in source_sets] or [["hf"]],
        "exceptions": exceptions,
        "crc32": zlib.crc32(payload),
    }
    return orjson.dumps(header) + b"\n" + bytes(payload)


def encode_changes(month: str, index: MonthIndex | None, changes: Mapping[str, Summary]) -> bytes:
    """The file's bytes for `index` with `changes` (new papers and new summaries of known ones) applied.

    A poll changes a few rows of a month of tens of thousands: the rows in between are copied column by
    column as slices, not decoded into summaries and encoded again. A month with odd ids or exceptions, or a
    change the columns cannot hold, takes the whole way through `encode`.
    """
    digits = id_digits(month)
    simple = index is not None and not index.others and not index.exceptions
    events: list[tuple[int, int, int, Summary]] = []  # (old row, 1 = replaces it / 0 = goes before it, key, summary)
    for pid, summary in changes.items():
        summary = tuple(summary)
        number = pid[5:]
        regular = len(number) == digits and pid[4:5] == "." and number.isdigit() and number.isascii()
        if not (simple and regular and pid[:4] == month and len(summary) == 5 and _fits(summary)):
            return encode(month, {**(index.to_dict() if index is not None else {}), **changes})
        assert index is not None
        key = int(number)
        at = bisect_left(index.keys, key)
        events.append((at, int(at < len(index.keys) and index.keys[at] == key), key, summary))
    assert index is not None
    events.sort()
    source_sets = list(index.source_sets)
    source_ids = {s: n for n, s in enumerate(source_sets)}
    old = {name: getattr(index, name) for name, _ in COLUMNS}
    columns = {name: array(code) for name, code in COLUMNS}
    offsets = columns["offsets"]
    offsets.append(0)
    titles = bytearray()
    previous = 0

    def copy(start: int, end: int) -> None:
        if start >= end:
            return
        for name in ("keys", "days", "upvotes", "versions", "sources"):
            columns[name].frombytes(old[name][start:end].tobytes())
        shift = len(titles) - index.offsets[start]
        titles.extend(index.titles[index.offsets[start] : index.offsets[end]])
        offsets.extend(o + shift for o in old["offsets"][start + 1 : end + 1])

    for at, replaces, key, (title, day, votes, version, sources) in events:
        copy(previous, at)
        previous = at + replaces
        source_id = source_ids.setdefault(sources, len(source_sets))
        if source_id == len(source_sets):
            source_sets.append(sources)
        if source_id >= 2**16:
            return encode(month, {**index.to_dict(), **changes})
        titles.extend(title.encode("utf-8"))
        for name, value in (
            ("keys", key),
            ("days", _day_code(day) or 0),
            ("upvotes", votes),
            ("versions", version or 0),
            ("sources", source_id),
            ("offsets", len(titles)),
        ):
            columns[name].append(value)
    copy(previous, len(index.keys))
    return _pack(month, columns, titles, [], source_sets, {})


def read_month_file(path: Path) -> MonthIndex | UnreadableFile | None:
    """A month index file as `read_or_error` gives a JSON one: the index, None when absent, the UnreadableFile
    to report; NewerDataError raises (so the open is refused before anything was touched)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return UnreadableFile(path, f"cannot be read ({exc.strerror or exc})")
    try:
        return MonthIndex.decode(raw, path)
    except NewerDataError:
        raise
    except UnreadableFile as exc:
        return exc
