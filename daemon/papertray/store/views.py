"""What the store answers with: a paper's place in the feed cache (its month and record shard, from the id
alone), the summary kept in memory for it, and `PaperView`, a paper joined with the user's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from papertray.models import Paper, PaperState, State

# A summary is a tuple, not a dict or object: 250k of them must load fast and stay small, and tuples of
# plain values drop out of the garbage collector's tracking (lists would be re-scanned on every full
# collection, which made a 250k-paper query several times slower). Positions: title, daily_date, upvotes, version,
# sources. In memory they live in month_index.py's columns and are made as they are asked for.
Summary = tuple[Any, ...]
# Where a paper sits in the list: (daily date or saved day, upvotes, id), compared newest first.
SortKey = tuple[str, int, str]


def shard_key(paper_id: str) -> str:
    """The feed month of a canonical id: its arXiv year-month (`2307.12345` → `2307`, `hep-th/9901001` → `9901`)."""
    if "/" in paper_id:
        return paper_id.split("/", 1)[1][:4]
    return paper_id[:4]


def record_shard(paper_id: str) -> tuple[str, str]:
    """(month, shard name) of a canonical id: `2307.12345` → ("2307", "12"); `hep-th/9901001` → ("9901", "old")."""
    if "/" in paper_id:
        return paper_id.split("/", 1)[1][:4], "old"
    return paper_id[:4], paper_id[5:7]


def summary_of(paper: Paper) -> Summary:
    return (paper.title, paper.daily_date, paper.upvotes, paper.version, paper.sources)


@dataclass(frozen=True, slots=True)
class IngestResult:
    new: tuple[Paper, ...]
    updated: int
    unchanged: int


class PaperView:
    """A paper joined with the user's state: what lookup, list and the API return.

    The store builds views from its in-memory summaries; `paper` (the full record) is read from its shard the
    first time it is asked for, so listing 250k papers never loads 250k abstracts.
    """

    __slots__ = ("_loader", "_paper", "_state", "_summary", "id")

    def __init__(
        self,
        id: str,
        paper: Paper | None = None,
        state: PaperState | None = None,
        *,
        summary: Summary | None = None,
        loader: Callable[[str], Paper | None] | None = None,
    ) -> None:
        self.id = id
        self._state = state  # None: untouched; the empty state is made only when asked for
        self._paper = paper
        self._summary = summary if summary is not None else (summary_of(paper) if paper else None)
        self._loader = loader

    @property
    def state(self) -> PaperState:
        if self._state is None:
            self._state = PaperState(id=self.id)
        return self._state

    @property
    def paper(self) -> Paper | None:
        if self._paper is None and self._summary is not None and self._loader is not None:
            self._paper = self._loader(self.id)
        return self._paper

    @property
    def known(self) -> bool:
        """Whether the paper was ingested (without loading its full record)."""
        return self._summary is not None

    # What lists and badges need, answered from the summary without reading the full record.
    @property
    def title(self) -> str | None:
        return self._summary[0] if self._summary is not None else None

    @property
    def daily_date(self) -> str | None:
        return self._summary[1] if self._summary is not None else None

    @property
    def upvotes(self) -> int:
        return int(self._summary[2] or 0) if self._summary is not None else 0

    @property
    def version(self) -> int | None:
        return self._summary[3] if self._summary is not None else None

    @property
    def sources(self) -> tuple[str, ...]:
        """Every list it came from (`hf`, `arxiv:cs.LG`…), from the summary."""
        return tuple(self._summary[4]) if self._summary is not None else ()

    @property
    def sort_key(self) -> SortKey:
        """Its place in `Store.query()` order (newest first), for cursors: pass it to `Store.page(after=)`."""
        return (self.daily_date or (self.state.saved_at or "")[:10], self.upvotes, self.id)

    @property
    def status(self) -> State:
        if not self.known and not (self.state.saved_at or self.state.read_at or self.state.seen_at):
            return State.UNKNOWN
        return self.state.state

    def brief(self) -> dict[str, Any]:
        """The badge lookup answers per paper (state, saved, read, dismissed, title), straight from the summary
        and the user's state: no full record is read and no empty state is made."""
        state = self._state
        title = self._summary[0] if self._summary is not None else None
        if state is None:  # nothing the user did: new when ingested, else unknown
            status = State.NEW if self._summary is not None else State.UNKNOWN
            return {"state": status.value, "saved": False, "read": False, "dismissed": False, "title": title}
        return {
            "state": self.status.value,
            "saved": state.saved_at is not None,
            "read": state.read_at is not None,
            "dismissed": state.dismissed_at is not None,
            "title": title,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PaperView):
            return NotImplemented
        return (self.id, self.paper, self.state) == (other.id, other.paper, other.state)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PaperView(id={self.id!r}, known={self.known}, state={self.state!r})"

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        paper: dict[str, Any]
        if full:
            record = self.paper
            paper = record.to_dict() if record else {"id": self.id}
        elif self._summary is not None:
            title, daily_date, upvotes, version = self._summary[:4]
            paper = {"id": self.id, "title": title, "daily_date": daily_date, "upvotes": upvotes, "version": version}
        else:
            paper = {"id": self.id, "title": None, "daily_date": None, "upvotes": None, "version": None}
        return {
            **paper,
            "state": self.status.value,
            "saved": self.state.saved,
            "read": self.state.read,
            "dismissed": self.state.dismissed,
            "seen_at": self.state.seen_at,
            "saved_at": self.state.saved_at,
            "read_at": self.state.read_at,
            "tags": list(self.state.tags),
            "note": self.state.note,
            "cite_key": self.state.cite_key or None,
        }


def is_touched(state: PaperState) -> bool:
    """Whether the user's state alone makes a paper known (listed, counted, not `unknown`)."""
    return bool(state.seen_at or state.saved_at or state.read_at)
