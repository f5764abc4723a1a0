"""The store: every paper papertray has ingested (the feed cache) and what the user did with each (user data),
kept in tinydb-shaped JSON files written through `AtomicJSONStorage` (orjson, atomic and durable).

Layout under `<data>/`:
    user.json              user data: one document per paper the user touched (seen, saved, read, tags, note…)
    user.json.bak          a second whole copy, written before user.json at every fold of the journal
    user.journal           saves since user.json was last rewritten: one fsynced JSON line per commit, so a
                           save costs a small append, not a rewrite of every state; folded into user.json at
                           open, and in the background whenever it grows past a limit (it is renamed to
                           user.journal.old, new saves start a fresh journal, and a compactor thread writes
                           user.json.bak and user.json and then deletes the old journal). Folds are numbered
                           and a journal's header names the fold it follows, so replay skips what a copy
                           already holds and recovery knows whether anything is missing (store_recovery.py)
    feed/<yymm>/index.json the month's summaries (title, daily date, upvotes, version): loaded at open, they
                           answer lookup, list and counts from memory
    feed/<yymm>/<nn>.json  full records (abstract, authors…) of ids whose number starts with <nn> (`old.json`
                           for old-style ids); read on demand into a small LRU cache
    meta.json              small key/value state of other modules (poller bookkeeping)

Shard names come from the id itself (`2307.12345` → `feed/2307/12.json`), so no lookup table is needed, and a
poll rewrites only the month index and record shards of the papers it touched, never years of history. Record
shards are written before the month index, which is the commit point: a crash in between leaves records the
index does not list yet, and the next poll simply ingests them again.

Reads are answered from memory. Writes are durable first (on writer threads: one for user data, so a save
never waits behind a poll, one for the feed cache and meta), and only then applied to memory and announced
on the event bus: an acknowledged write survives a crash, and a failed write changes nothing in memory.
Concurrent saves are group-committed: the saves that arrive while one commit is on disk share the next one.

Every file carries a schema version and the papertray version that wrote it (store_files.py). An unreadable
file is moved aside as `<name>.corrupt-<UTC timestamp>` (never deleted) and reported in `problems`; user data
then comes back from `user.json.bak` and the journal, and a month index is rebuilt from its record shards. A
file from a newer papertray is not damage: the store refuses to open (`NewerDataError`) and touches nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson

from papertray import __version__
from papertray.atomic import (
    append_durable,
    describe_os_error,
    fsync_dir,
    make_dir_durable,
    move_aside,
    remove_stale_temp_files,
    write_atomic,
)
from papertray.errors import NewerDataError, StoreError, UnreadableFile
from papertray.events import EventBus
from papertray.models import Paper, PaperState, State, canonical_id, is_canonical_id
from papertray.runtime import pid_alive
from papertray.store_files import (
    SCHEMA_VERSION,
    AtomicJSONStorage,
    read_feed_layout,
    read_or_error,
    storable,
)
from papertray.store_health import WriteHealth
from papertray.store_recovery import UserRead, read_user_data, settle

__all__ = ["SCHEMA_VERSION", "AtomicJSONStorage", "NewerDataError", "PaperView", "Store", "UnreadableFile"]

log = logging.getLogger(__name__)

JOURNAL_LIMIT = 512 * 1024  # bytes of journal before it is folded into user.json
CACHE_SHARDS = 64  # record shards kept in memory (~150 records each)
T = TypeVar("T")

# A summary is a tuple, not a dict or object: 250k of them must load fast and stay small, and tuples of
# plain values drop out of the garbage collector's tracking (lists would be re-scanned on every full
# collection, which made a 250k-paper query several times slower). Positions: title, daily_date, upvotes, version.
Summary = tuple[Any, ...]
# Where a paper sits in the list: (daily date or saved day, upvotes, id), compared newest first.
SortKey = tuple[str, int, str]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    return (paper.title, paper.daily_date, paper.upvotes, paper.version)


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
            title, daily_date, upvotes, version = self._summary
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
        }


@dataclass(slots=True)
class _SaveRequest:
    changes: Mapping[str, Mapping[str, Any]]
    event: bool
    future: asyncio.Future[None]
    updated: dict[str, PaperState] = field(default_factory=dict)


@dataclass(slots=True)
class _FeedWrite:
    """What the feed writer thread hands back: applied to memory only once every file is on disk."""

    shards: dict[tuple[str, str], dict[str, Any]]
    months: dict[str, dict[str, Summary]]
    new: list[Paper]
    updated: int
    unchanged: int


class Store:
    """Open with `Store.open(data_dir, bus)`; close with `await store.close()`."""

    def __init__(
        self,
        data_dir: Path,
        bus: EventBus | None = None,
        *,
        journal_limit: int = JOURNAL_LIMIT,
        cache_shards: int = CACHE_SHARDS,
        guard: Callable[[], None] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.feed_dir = data_dir / "feed"
        self.bus = bus or EventBus()
        self.problems: list[str] = []
        self.journal_limit = journal_limit
        self.cache_shards = cache_shards
        self._months: dict[str, dict[str, Summary]] = {}
        self._order: list[tuple[SortKey, Summary | None]] | None = None
        self._shards: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._states: dict[str, PaperState] = {}
        self._meta: dict[str, Any] = {}
        self._user = AtomicJSONStorage(data_dir / "user.json", kind="user", backup=True)
        self._journal = data_dir / "user.journal"
        # A full journal is renamed here and folded into user.json on the compactor thread, while new saves
        # go on appending to a fresh journal: a save never waits for a rewrite of every state.
        self._journal_old = data_dir / "user.journal.old"
        self._journal_size = 0
        self._journal_dirty = False  # the journal may end in a torn record: rewrite, never append
        # Folds of the journal into user.json are numbered; a journal's header names the fold it follows
        # (store_recovery.py explains why that makes recovery from user.json.bak complete).
        self._fold = 0
        self._fold_at: str | None = None
        self._health = WriteHealth(guard)
        self._guard = self._health.check
        self._compactor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="papertray-store-compact")
        self._compaction: Future[None] | None = None
        self._meta_storage = AtomicJSONStorage(data_dir / "meta.json", kind="meta")
        # Two writer threads: a save must not wait behind a poll that rewrites a few megabytes.
        self._user_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="papertray-store-user")
        self._feed_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="papertray-store-feed")
        self._pending: list[_SaveRequest] = []
        self._committer: asyncio.Task[None] | None = None
        self._feed_lock = asyncio.Lock()
        self._meta_lock = asyncio.Lock()
        # Bumped by every write that changes what `view()` answers, whether or not it announces itself on the
        # bus (`update_states(event=False)`, an ingest that only updates): caches of views key on it.
        self._generation = 0

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(
        cls,
        data_dir: Path,
        bus: EventBus | None = None,
        *,
        journal_limit: int = JOURNAL_LIMIT,
        cache_shards: int = CACHE_SHARDS,
        guard: Callable[[], None] | None = None,
    ) -> Store:
        """Load the store; never fails on damaged files (they are moved aside and reported in `problems`).

        Data from a newer papertray is not damage: `NewerDataError` is raised (one sentence naming the version
        that wrote it) before anything was moved, rewritten or created. `guard` runs on the writer threads
        before every commit and raises StoreError when this process may no longer write here (store_lock.py).
        """
        store = cls(data_dir, bus, journal_limit=journal_limit, cache_shards=cache_shards, guard=guard)
        # Every read first, so that newer data refuses the open before any file was touched.
        user = read_user_data(store._user.path, data_dir / "user.json.bak", [store._journal_old, store._journal])
        meta = read_or_error(store._meta_storage)
        months, flat = read_feed_layout(store.feed_dir)
        try:
            if not data_dir.exists():
                data_dir.mkdir(parents=True, mode=0o700)
            make_dir_durable(store.feed_dir)
        except OSError as exc:
            store.problems.append(f"The data folder {data_dir} cannot be created ({exc.strerror or exc}).")
        except StoreError as exc:
            store.problems.append(str(exc))
        removed, size = remove_stale_temp_files(data_dir, alive=pid_alive)
        if removed:
            log.info("removed temp files of interrupted writes count=%d bytes=%d", removed, size)
        store._load_user(user)
        store._load_feed(months, flat)
        if isinstance(meta, UnreadableFile):
            store._report_unreadable(meta.path, meta, "a fresh file started")
            meta = None
        store._meta = dict(meta.get("meta", {}).get("1", {})) if meta else {}
        log.info(
            "store open data=%s papers=%d states=%d problems=%d",
            data_dir,
            len(store),
            len(store._states),
            len(store.problems),
        )
        return store

    def current_problems(self) -> list[str]:
        """What status, the tray and `run` show: what the open found, and what is failing now (a write that
        keeps failing, a lost data lock); a failing kind of write leaves the list once it succeeds again."""
        return [*self.problems, *self._health.problems()]

    def _report_unreadable(self, path: Path, exc: UnreadableFile, outcome: str) -> None:
        try:
            target = move_aside(path)
        except OSError as error:
            log.warning("could not move unreadable store file aside path=%s error=%s", path, error)
            where = "left in place (it could not be moved)"
        else:
            log.warning("moved unreadable store file aside path=%s to=%s reason=%s", path, target, exc)
            where = f"moved aside to {target.name}"
        # One sentence, as status and the tray show it: what is wrong, where the file went, what came back.
        self.problems.append(f"{path} {exc.reason}; it was {where} and {outcome}.")

    def _load_file(self, storage: AtomicJSONStorage, outcome: str) -> Any:
        data = read_or_error(storage)
        if isinstance(data, UnreadableFile):
            self._report_unreadable(storage.path, data, outcome)
            return None
        return data

    def _load_user(self, user: UserRead) -> None:
        found = settle(user)
        self.problems.extend(found)
        self._states = user.states
        self._fold, self._fold_at = user.fold, user.fold_at
        journal = user.journals[-1]
        self._journal_size = len(journal.raw) if journal.error is None else 0
        # A torn tail, or a bad journal that could not be moved aside: rewrite, never append.
        self._journal_dirty = journal.torn or (journal.error is not None and self._journal.exists())
        recovered = bool(found) or user.source is user.backup
        if user.replayed or recovered or self._journal_dirty or self._journal_old.exists():
            # Fold the journal (and any recovery) into user.json now, so the journal starts clean.
            try:
                self._compact_user(self._states)
            except StoreError as exc:
                self._journal_dirty = True
                self.problems.append(str(exc))

    def _load_feed(self, months: list[tuple[Path, Any]], flat: list[tuple[Path, Any]]) -> None:
        # A downgrade can leave hundreds of damaged feed files: they are reported together.
        problems_before = len(self.problems)
        try:
            self._load_months(months)
            self._migrate_flat_months(flat)
        finally:
            feed_problems = self.problems[problems_before:]
            if len(feed_problems) > 1:
                del self.problems[problems_before:]
                self.problems.append(
                    f"{len(feed_problems)} feed cache files could not be used and were moved aside "
                    f"(the first: {feed_problems[0][:-1]}); their papers come back with the next polls."
                )

    def _migrate_flat_months(self, flat: list[tuple[Path, Any]]) -> None:
        """Split first-layout feed files into record shards and a month index, then keep the old file as
        `<yymm>.json.v1-<stamp>`."""
        for path, data in flat:
            if isinstance(data, UnreadableFile):
                self._report_unreadable(path, data, "its papers come back with the next polls")
                continue
            if data is None:
                continue
            shards: dict[tuple[str, str], dict[str, Any]] = {}
            for paper_id, doc in data.get("papers", {}).items():
                if isinstance(doc, dict) and is_canonical_id(paper_id) and shard_key(paper_id) == path.stem:
                    shards.setdefault(record_shard(paper_id), {})[paper_id] = doc
            try:
                make_dir_durable(self.feed_dir / path.stem)
                for key, docs in shards.items():
                    merged = {**docs, **self._read_shard(*key)}  # records already in the new layout win
                    AtomicJSONStorage(self._shard_path(key), kind="feed").write({"papers": merged})
                index = self._rebuild_month_index(path.stem)
                AtomicJSONStorage(self.feed_dir / path.stem / "index.json", kind="feed-index").write({"index": index})
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                os.replace(path, path.with_name(f"{path.name}.v1-{stamp}"))
            except (StoreError, OSError) as exc:
                log.warning("could not migrate a first-layout feed file path=%s error=%s", path, exc)
            else:
                log.info("migrated first-layout feed file path=%s papers=%d", path, sum(map(len, shards.values())))
                if index:
                    self._months[path.stem] = index

    def _load_months(self, months: list[tuple[Path, Any]]) -> None:
        for folder, data in months:
            storage = AtomicJSONStorage(folder / "index.json", kind="feed-index")
            if isinstance(data, UnreadableFile):
                self._report_unreadable(storage.path, data, f"the month index was rebuilt from {folder.name}'s records")
                data = None
            if data is None and any(folder.glob("*.json")):
                index = self._rebuild_month_index(folder.name)
                try:
                    storage.write({"index": index})
                except StoreError as exc:
                    log.warning("could not rewrite month index month=%s error=%s", folder.name, exc)
            else:
                index = {pid: tuple(summary) for pid, summary in (data or {}).get("index", {}).items()}
            if index:
                self._months[folder.name] = index

    def _rebuild_month_index(self, month: str) -> dict[str, Summary]:
        index: dict[str, Summary] = {}
        for path in sorted((self.feed_dir / month).glob("*.json")):
            if path.name == "index.json":
                continue
            for doc in self._read_shard(month, path.stem).values():
                try:
                    paper = Paper.from_dict(doc)
                except (KeyError, TypeError, ValueError):
                    continue
                index[paper.id] = summary_of(paper)
        log.info("rebuilt month index month=%s papers=%d", month, len(index))
        return index

    def _shard_path(self, key: tuple[str, str]) -> Path:
        return self.feed_dir / key[0] / f"{key[1]}.json"

    def _read_shard(self, month: str, name: str) -> dict[str, Any]:
        """A record shard's documents from disk; a bad shard is moved aside (the feed can be fetched again).
        A shard from a newer papertray is left as it is and read as empty (its papers fall back to the index)."""
        storage = AtomicJSONStorage(self._shard_path((month, name)), kind="feed")
        try:
            data = self._load_file(storage, "its papers' full records will come back with the next polls")
        except NewerDataError as exc:
            log.warning("record shard from a newer papertray left alone path=%s", exc.path)
            return {}
        papers = (data or {}).get("papers", {})
        return papers if isinstance(papers, dict) else {}

    # ---------------------------------------------------------------- reads

    def __len__(self) -> int:
        return sum(len(month) for month in self._months.values())

    @property
    def generation(self) -> int:
        """A number that changes whenever a write changes what `view()` or `query()` answers; a cache built
        from views is current while it holds the generation it was built at."""
        return self._generation

    def _summary(self, paper_id: str) -> Summary | None:
        month = self._months.get(shard_key(paper_id))
        return month.get(paper_id) if month is not None else None

    def _shard(self, key: tuple[str, str]) -> dict[str, Any]:
        docs = self._shards.get(key)
        if docs is None:
            docs = self._read_shard(*key)
            self._cache_shard(key, docs)
        else:
            self._shards.move_to_end(key)
        return docs

    def _cache_shard(self, key: tuple[str, str], docs: dict[str, Any]) -> None:
        self._shards[key] = docs
        self._shards.move_to_end(key)
        while len(self._shards) > self.cache_shards:
            self._shards.popitem(last=False)

    def get_paper(self, paper_id: str) -> Paper | None:
        summary = self._summary(paper_id)
        if summary is None:
            return None
        doc = self._shard(record_shard(paper_id)).get(paper_id)
        if doc is not None:
            try:
                return Paper.from_dict(doc)
            except (KeyError, TypeError, ValueError):
                pass
        # The record shard was lost: what the index knows is better than nothing.
        title, daily_date, upvotes, version = summary
        return Paper(id=paper_id, title=title, daily_date=daily_date, upvotes=upvotes or 0, version=version)

    def get_state(self, paper_id: str) -> PaperState:
        return self._states.get(paper_id) or PaperState(id=paper_id)

    def view(self, paper_id: str) -> PaperView:
        # No user state yet: the view makes the empty one only if it is asked for (lookup's badges are not).
        return PaperView(
            paper_id, state=self._states.get(paper_id), summary=self._summary(paper_id), loader=self.get_paper
        )

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
                if _touched(user) and self._summary(paper_id) is None:
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
                    known = summary is not None or _touched(user)
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

    def counts(self) -> dict[str, int]:
        """Papers per state; they add up to `total`, which counts every paper `query()` lists (the ingested
        ones and those seen, saved or read from a page but never ingested)."""
        counts = {s.value: 0 for s in State if s is not State.UNKNOWN}
        total = len(self)
        with_state = 0
        for paper_id, user in self._states.items():
            if self._summary(paper_id) is not None:
                with_state += 1
            elif _touched(user):
                total += 1
            else:
                continue
            counts[user.state.value] += 1
        counts[State.NEW.value] += len(self) - with_state
        counts["total"] = total
        return counts

    def get_meta(self, key: str, default: Any = None) -> Any:
        return self._meta.get(key, default)

    # ---------------------------------------------------------------- feed writes

    async def add_papers(self, papers: Sequence[Paper]) -> IngestResult:
        """Merge one poll's papers in one write batch (record shards, then month indexes), then announce."""
        # Shard paths come from ids, so an id must be canonical before it gets near the file system.
        # A number past 64 bits cannot be written: that paper is dropped, never the whole batch with it.
        strange = [p.id for p in papers if not (is_canonical_id(p.id) and storable(p))]
        if strange:
            log.warning("dropped papers with odd ids or numbers count=%d first=%r", len(strange), strange[0][:80])
            papers = [p for p in papers if is_canonical_id(p.id) and storable(p)]
        if not papers:
            return IngestResult((), 0, 0)
        async with self._feed_lock:
            keys = {record_shard(p.id) for p in papers}
            cached = {key: self._shards[key] for key in keys if key in self._shards}
            months = {key[0]: self._months.get(key[0], {}) for key in keys}
            known = {p.id for p in papers if self._summary(p.id) is not None}
            now = utc_now()
            loop = asyncio.get_running_loop()
            batch = await self._health.watch(
                "feed",
                loop.run_in_executor(self._feed_writer, lambda: self._write_feed(papers, cached, months, known, now)),
            )
            for key, docs in batch.shards.items():
                self._cache_shard(key, docs)
            self._months.update(batch.months)
            if batch.months:
                self._order = None
                self._generation += 1
        for paper in batch.new:
            self.bus.publish("paper.new", {"id": paper.id, "title": paper.title})
        return IngestResult(tuple(batch.new), batch.updated, batch.unchanged)

    def _write_feed(
        self,
        papers: Sequence[Paper],
        cached: Mapping[tuple[str, str], dict[str, Any]],
        months: Mapping[str, dict[str, Summary]],
        known: set[str],
        now: str,
    ) -> _FeedWrite:
        """Runs on the feed writer thread; touches only files and the copies it is given."""
        self._guard()
        shards: dict[tuple[str, str], dict[str, Any]] = {}
        new_months: dict[str, dict[str, Summary]] = {}
        new: dict[str, Paper] = {}
        updated: set[str] = set()
        unchanged = 0
        touched: set[tuple[str, str]] = set()
        for paper in papers:
            key = record_shard(paper.id)
            if key not in shards:
                base = cached.get(key)
                shards[key] = dict(base if base is not None else self._read_shard(*key))
            docs = shards[key]
            doc = docs.get(paper.id)
            current = Paper.from_dict(doc) if doc is not None else None
            record = current.merged_with(paper) if current else replace(paper, first_seen_at=paper.first_seen_at or now)
            if paper.id in known:
                if record == current:
                    unchanged += paper.id not in updated
                    continue
                updated.add(paper.id)  # (also when the index knew it but its record shard was lost)
            else:
                # New to the index, even when a record was left by a poll that crashed before its index
                # write: that poll was never acknowledged, so its papers were never announced either.
                new[paper.id] = record
            docs[paper.id] = record.to_dict()
            touched.add(key)
            if key[0] not in new_months:
                new_months[key[0]] = dict(months.get(key[0], {}))
            new_months[key[0]][paper.id] = summary_of(record)
        written = {key: shards[key] for key in touched}
        for month in {key[0] for key in written}:
            make_dir_durable(self.feed_dir / month)
        for key, docs in written.items():
            AtomicJSONStorage(self._shard_path(key), kind="feed").write({"papers": docs})
        # The month index goes last: it is what makes the new records visible.
        for month, index in new_months.items():
            AtomicJSONStorage(self.feed_dir / month / "index.json", kind="feed-index").write({"index": index})
        log.debug("feed write shards=%d months=%d new=%d", len(written), len(new_months), len(new))
        return _FeedWrite(written, new_months, list(new.values()), len(updated), unchanged)

    async def put_meta(self, key: str, value: Any) -> None:
        async with self._meta_lock:
            meta = {**self._meta, key: value}
            loop = asyncio.get_running_loop()
            await self._health.watch("meta", loop.run_in_executor(self._feed_writer, lambda: self._write_meta(meta)))
            self._meta = meta

    def _write_meta(self, meta: dict[str, Any]) -> None:
        self._guard()
        self._meta_storage.write({"meta": {"1": meta}})

    # ---------------------------------------------------------------- user data writes

    async def update_states(self, changes: Mapping[str, Mapping[str, Any]], *, event: bool = True) -> list[PaperState]:
        """Apply field changes to several papers' user data in one durable commit.

        Accepted fields: seen, saved, read, dismissed (bool: sets or clears the timestamp, keeping an existing
        one), tags (list of str), note (str). Saves arriving while a commit is on disk share the next one.
        """
        for fields in changes.values():
            for name in fields:
                if name not in _FIELDS:
                    raise ValueError(f"unknown state field {name!r}")
        request = _SaveRequest(changes, event, asyncio.get_running_loop().create_future())
        self._pending.append(request)
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_pending())
        await request.future
        if event:
            for state in request.updated.values():
                self.bus.publish("paper.state", self.view(state.id).to_dict(full=False))
        return [self.get_state(pid) for pid in changes]

    async def update_state(self, paper_id: str, **fields: Any) -> PaperState:
        return (await self.update_states({paper_id: fields}))[0]

    async def _commit_pending(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            now = utc_now()
            merged: dict[str, PaperState] = {}
            accepted: list[_SaveRequest] = []
            for request in batch:
                try:
                    for paper_id, fields in request.changes.items():
                        before = merged.get(paper_id) or self._states.get(paper_id) or PaperState(id=paper_id)
                        after = _apply(before, fields, now)
                        if after != before:
                            request.updated[paper_id] = replace(after, updated_at=now)
                except (TypeError, ValueError) as exc:
                    request.updated.clear()
                    if not request.future.done():
                        request.future.set_exception(exc)
                    continue
                merged.update(request.updated)
                accepted.append(request)
            try:
                if merged:
                    await self._health.watch(
                        "user", loop.run_in_executor(self._user_writer, self._write_states, merged)
                    )
                    if any(self._moves_in_order(pid, st) for pid, st in merged.items()):
                        self._order = None
                    self._states.update(merged)
                    self._generation += 1
            except Exception as exc:  # every save of the batch failed alike; memory is unchanged
                for request in accepted:
                    if not request.future.done():
                        request.future.set_exception(exc)
                continue
            for request in accepted:
                if not request.future.done():
                    request.future.set_result(None)

    def _moves_in_order(self, paper_id: str, after: PaperState) -> bool:
        """Whether a state change moves a paper in the list order: only papers without a daily date, which
        are listed by the day they were saved (and, when never ingested, only while seen, saved or read)."""
        summary = self._summary(paper_id)
        if summary is not None and summary[1]:
            return False
        before = self._states.get(paper_id) or PaperState(id=paper_id)
        return (before.saved_at, bool(before.read_at), _touched(before)) != (
            after.saved_at,
            bool(after.read_at),
            _touched(after),
        )

    def _journal_header(self) -> bytes:
        header = {"schema": SCHEMA_VERSION, "kind": "user-journal", "papertray": __version__}
        return orjson.dumps({**header, "base": self._fold, "base_at": self._fold_at}) + b"\n"

    def _next_fold(self) -> tuple[int, str]:
        """A new fold number (never reused, even when the fold fails) and its time."""
        self._fold, self._fold_at = self._fold + 1, utc_now()
        return self._fold, self._fold_at

    def _write_states(self, changed: Mapping[str, PaperState]) -> None:
        """Runs on the user writer thread: one journal append; when the journal is full, it is handed to the
        compactor. `_states` holds every earlier commit here, because commits run one after another."""
        self._guard()
        line = orjson.dumps({"states": {pid: s.to_dict() for pid, s in changed.items()}}) + b"\n"
        if self._journal_dirty or self._journal_size + len(line) > 4 * self.journal_limit:
            # A torn tail, or background compaction keeps failing: rewrite everything now.
            self._compact_user({**self._states, **changed})
            return
        try:
            self._journal_size = append_durable(self._journal, line, header=self._journal_header())
        except StoreError:
            self._journal_dirty = self._journal_dirty or not self._journal_clean()
            raise
        if self._journal_size > self.journal_limit and not self._journal_old.exists():
            try:
                os.replace(self._journal, self._journal_old)
                fsync_dir(self.data_dir)
            except OSError as exc:
                log.warning("could not rotate the user journal error=%s", exc)
                return
            self._journal_size = 0
            snapshot = {**self._states, **changed}  # everything the rotated journal holds, and no more
            # The fresh journal follows the fold the compactor is about to write; it starts at once, so a
            # store always has a journal that says which fold it follows.
            fold = self._next_fold()
            self._compaction = self._compactor.submit(self._write_snapshot, snapshot, fold)
            try:
                header = self._journal_header()
                write_atomic(self._journal, header)
                self._journal_size = len(header)
            except StoreError as exc:  # the next save creates it
                log.warning("could not start a fresh user journal error=%s", exc)

    def _write_snapshot(self, states: Mapping[str, PaperState], fold: tuple[int, str]) -> None:
        """Compactor thread: user.json.bak and user.json with every state up to the rotation, then the rotated
        journal goes (only once both copies hold it)."""
        try:
            self._guard()
            self._write_user(states, fold)
            os.unlink(self._journal_old)
            fsync_dir(self.data_dir)
        except (StoreError, OSError) as exc:
            # The rotated journal stays and is replayed at the next start; the journal keeps growing until
            # the synchronous rewrite in `_write_states` takes over.
            log.warning("background compaction of user data failed error=%s", exc)

    def _write_user(self, states: Mapping[str, PaperState], fold: tuple[int, str]) -> None:
        self._user.write({"states": {pid: s.to_dict() for pid, s in states.items()}}, fold=fold[0], folded_at=fold[1])

    def _journal_clean(self) -> bool:
        try:
            raw = self._journal.read_bytes()
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return len(raw) == self._journal_size and (not raw or raw.endswith(b"\n"))

    def _compact_user(self, states: Mapping[str, PaperState]) -> None:
        """Rewrite user.json.bak and user.json with every state, then start an empty journal that follows
        this fold (a journal older than the fold is skipped at replay, so a crash in between is harmless)."""
        if self._compaction is not None:
            self._compaction.result()  # never let an older background snapshot land after this one
        try:
            self._guard()
            self._write_user(states, self._next_fold())
            if self._journal_size or self._journal_dirty or self._journal.exists():
                header = self._journal_header()
                write_atomic(self._journal, header)
                self._journal_size = len(header)
            if self._journal_old.exists():
                try:
                    os.unlink(self._journal_old)
                    fsync_dir(self.data_dir)
                except OSError as exc:
                    raise describe_os_error(exc, self._journal_old) from exc
        except BaseException:
            # The backup may already hold this fold: no save may go on into a journal that precedes it
            # (replay would skip it), so every later save retries the whole fold until one succeeds.
            self._journal_dirty = True
            raise
        self._journal_dirty = False

    async def close(self) -> None:
        # Let pending saves and the running poll finish, so no write is cut off half-way.
        while self._committer is not None and not self._committer.done():
            await asyncio.shield(self._committer)
        if self._journal_size > self.journal_limit:
            # Saves that came while the compactor ran grew the journal past its limit: fold it now, so the
            # next start has little to replay (if this fails, the journal still holds every save).
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(self._user_writer, lambda: self._compact_user(self._states))
            except StoreError as exc:
                log.warning("could not fold the user journal at close error=%s", exc)
        async with self._feed_lock, self._meta_lock:
            self._user_writer.shutdown(wait=True)
            self._compactor.shutdown(wait=True)
            self._feed_writer.shutdown(wait=True)


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


_FIELDS = frozenset({"seen", "saved", "read", "dismissed", "tags", "note"})


def _apply(state: PaperState, fields: Mapping[str, Any], now: str) -> PaperState:
    updates: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("seen", "saved", "read", "dismissed"):
            attr = f"{name}_at"
            current = getattr(state, attr)
            updates[attr] = (current or now) if value else None
        elif name == "tags":
            if isinstance(value, str):
                raise TypeError("tags must be a list of strings")
            updates["tags"] = tuple(dict.fromkeys(str(t).strip() for t in value if str(t).strip()))
        elif name == "note":
            updates["note"] = str(value)
        else:
            raise ValueError(f"unknown state field {name!r}")
    # Saving, reading or writing a note or tag means the user has seen the paper: so a note on a paper
    # papertray never ingested is kept and shown (listed as seen), never accepted and then unlisted.
    if updates.get("saved_at") or updates.get("read_at") or updates.get("tags") or updates.get("note"):
        updates.setdefault("seen_at", state.seen_at or now)
    return replace(state, **updates)


def _touched(state: PaperState) -> bool:
    """Whether the user's state alone makes a paper known (listed, counted, not `unknown`)."""
    return bool(state.seen_at or state.saved_at or state.read_at)
