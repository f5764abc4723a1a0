"""The store: every paper papertray has ingested (the feed cache) and what the user did with each (user data),
kept in tinydb files written through `AtomicJSONStorage` (orjson, atomic and durable).

Layout under `<data>/`:
    user.json            user data: one document per paper the user touched (seen, saved, read, tags, note…)
    user.json.bak        the previous good version of user.json (recovery source)
    feed/<yymm>.json     the feed cache, sharded by the arXiv month in the id, so a poll rewrites only the
                         shards of the papers it touched, never years of history
    meta.json            small key/value state of other modules (poller bookkeeping)

Reads are answered from an in-memory index. Writes are serialised per file group, made durable first (in a
single writer thread), and only then applied to the index and announced on the event bus: an acknowledged
write survives a crash, and a failed write changes nothing.

An unreadable or future-version file is moved aside as `<name>.corrupt-<UTC timestamp>` (never deleted) and
reported in `problems`; user data then comes back from `user.json.bak` where that copy is good.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
from tinydb.storages import Storage

from papertray.atomic import write_atomic
from papertray.errors import StoreError
from papertray.events import EventBus
from papertray.models import Paper, PaperState, State, canonical_id

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
META_TABLE = "_meta"
T = TypeVar("T")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UnreadableFile(StoreError):
    """A store file that cannot be used as it is (torn, not JSON, wrong shape, newer schema)."""


class AtomicJSONStorage(Storage):
    """A tinydb Storage that reads with orjson and replaces the file atomically and durably on write.

    Every file carries `{"_meta": {"1": {"schema": N, "kind": …}}}`; a file from a newer papertray is refused
    rather than half-understood.
    """

    def __init__(self, path: str | Path, kind: str = "store", backup: bool = False) -> None:
        self.path = Path(path)
        self.kind = kind
        self.backup_path = self.path.with_name(self.path.name + ".bak") if backup else None

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return decode_store_file(raw, self.path)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        data = dict(data)
        data[META_TABLE] = {"1": {"schema": SCHEMA_VERSION, "kind": self.kind}}
        write_atomic(self.path, orjson.dumps(data), backup=self.backup_path)

    def close(self) -> None:
        pass


def decode_store_file(raw: bytes, path: Path) -> dict[str, dict[str, Any]]:
    if not raw.strip():
        raise UnreadableFile(f"{path} is empty.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UnreadableFile(f"{path} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict) or not all(isinstance(table, dict) for table in data.values()):
        raise UnreadableFile(f"{path} does not have the shape of a papertray store file.")
    meta = data.get(META_TABLE, {}).get("1", {})
    schema = meta.get("schema") if isinstance(meta, dict) else None
    if not isinstance(schema, int):
        raise UnreadableFile(f"{path} carries no schema version.")
    if schema > SCHEMA_VERSION:
        raise UnreadableFile(
            f"{path} was written by a newer papertray (schema {schema}, this one reads up to {SCHEMA_VERSION})."
        )
    return data


def shard_key(paper_id: str) -> str:
    """The feed shard of a canonical id: its arXiv year-month (`2307.12345` → `2307`, `hep-th/9901001` → `9901`)."""
    if "/" in paper_id:
        return paper_id.split("/", 1)[1][:4]
    return paper_id[:4]


@dataclass(frozen=True, slots=True)
class IngestResult:
    new: tuple[Paper, ...]
    updated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class PaperView:
    """A paper joined with the user's state: what lookup, list and the API return."""

    id: str
    paper: Paper | None
    state: PaperState

    @property
    def status(self) -> State:
        if self.paper is None and not (self.state.saved_at or self.state.read_at or self.state.seen_at):
            return State.UNKNOWN
        return self.state.state

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        paper = self.paper.to_dict() if self.paper else {"id": self.id}
        if not full:
            paper = {k: paper.get(k) for k in ("id", "title", "daily_date", "upvotes", "version")}
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


class Store:
    """Open with `Store.open(data_dir, bus)`; close with `await store.close()`."""

    def __init__(self, data_dir: Path, bus: EventBus | None = None) -> None:
        self.data_dir = data_dir
        self.feed_dir = data_dir / "feed"
        self.bus = bus or EventBus()
        self.problems: list[str] = []
        self._papers: dict[str, Paper] = {}
        self._states: dict[str, PaperState] = {}
        self._meta: dict[str, Any] = {}
        self._user = AtomicJSONStorage(data_dir / "user.json", kind="user", backup=True)
        self._meta_storage = AtomicJSONStorage(data_dir / "meta.json", kind="meta")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="papertray-store")
        self._user_lock = asyncio.Lock()
        self._feed_lock = asyncio.Lock()
        self._meta_lock = asyncio.Lock()

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, data_dir: Path, bus: EventBus | None = None) -> Store:
        store = cls(data_dir, bus)
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        store.feed_dir.mkdir(exist_ok=True, mode=0o700)
        store._load_user()
        store._load_feed()
        meta = store._load_file(store._meta_storage)
        store._meta = dict(meta.get("meta", {}).get("1", {})) if meta else {}
        return store

    def _move_aside(self, path: Path, reason: str) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        counter = 1
        while target.exists():
            target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
            counter += 1
        os.replace(path, target)
        log.warning("moved unreadable store file aside path=%s to=%s reason=%s", path, target, reason)
        return target

    def _load_file(self, storage: AtomicJSONStorage) -> dict[str, dict[str, Any]] | None:
        try:
            return storage.read()
        except UnreadableFile as exc:
            target = self._move_aside(storage.path, str(exc))
            self.problems.append(f"{exc} It was moved aside to {target.name} and a fresh file started.")
            return None

    def _load_user(self) -> None:
        data = self._load_file(self._user)
        if data is None and self._user.backup_path and self._user.backup_path.exists() and self.problems:
            try:
                data = decode_store_file(self._user.backup_path.read_bytes(), self._user.backup_path)
                self.problems[-1] = self.problems[-1].replace(
                    "a fresh file started", f"user data was recovered from {self._user.backup_path.name}"
                )
                self._user.write(data)
            except (UnreadableFile, OSError) as exc:
                self.problems.append(f"The backup {self._user.backup_path.name} is unusable too ({exc}).")
        for doc in (data or {}).get("states", {}).values():
            try:
                state = PaperState.from_dict(doc)
            except (KeyError, TypeError, ValueError):
                continue
            self._states[state.id] = state

    def _load_feed(self) -> None:
        for path in sorted(self.feed_dir.glob("*.json")):
            data = self._load_file(AtomicJSONStorage(path, kind="feed"))
            for doc in (data or {}).get("papers", {}).values():
                try:
                    paper = Paper.from_dict(doc)
                except (KeyError, TypeError, ValueError):
                    continue
                self._papers[paper.id] = paper

    # ---------------------------------------------------------------- reads

    def __len__(self) -> int:
        return len(self._papers)

    def get_paper(self, paper_id: str) -> Paper | None:
        return self._papers.get(paper_id)

    def get_state(self, paper_id: str) -> PaperState:
        return self._states.get(paper_id) or PaperState(id=paper_id)

    def view(self, paper_id: str) -> PaperView:
        return PaperView(paper_id, self._papers.get(paper_id), self.get_state(paper_id))

    def lookup(self, refs: Iterable[str]) -> dict[str, PaperView]:
        """Views keyed by canonical id for every reference that holds a paper id (others are dropped)."""
        views: dict[str, PaperView] = {}
        for ref in refs:
            paper_id = canonical_id(ref)
            if paper_id is not None and paper_id not in views:
                views[paper_id] = self.view(paper_id)
        return views

    def query(
        self,
        *,
        state: State | None = None,
        since: str | None = None,
        include_dismissed: bool = True,
        predicate: Callable[[PaperView], bool] | None = None,
    ) -> list[PaperView]:
        """Papers newest first (by daily date, then id). `since` is a YYYY-MM-DD daily date."""
        ids = set(self._papers) | {s for s, st in self._states.items() if st.saved_at or st.read_at}
        views = []
        for paper_id in ids:
            item = self.view(paper_id)
            if state is not None and item.status != state:
                continue
            day = (item.paper.daily_date if item.paper else None) or (item.state.saved_at or "")[:10]
            if since is not None and (not day or day < since):
                continue
            if not include_dismissed and item.state.dismissed:
                continue
            if predicate is not None and not predicate(item):
                continue
            views.append(item)
        views.sort(key=_sort_key, reverse=True)
        return views

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in State if s is not State.UNKNOWN}
        for paper_id in set(self._papers) | set(self._states):
            status = self.view(paper_id).status
            if status is not State.UNKNOWN:
                counts[status.value] += 1
        counts["total"] = len(self._papers)
        return counts

    def get_meta(self, key: str, default: Any = None) -> Any:
        return self._meta.get(key, default)

    # ---------------------------------------------------------------- writes

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn)

    async def add_papers(self, papers: Sequence[Paper]) -> IngestResult:
        """Merge one poll's papers; one durable write per touched shard, then announce the new ones."""
        async with self._feed_lock:
            now = utc_now()
            merged: dict[str, Paper] = {}
            new: list[Paper] = []
            unchanged = 0
            for paper in papers:
                current = merged.get(paper.id) or self._papers.get(paper.id)
                if current is None:
                    record = replace(paper, first_seen_at=now)
                    new.append(record)
                else:
                    record = current.merged_with(paper)
                    if record == current:
                        unchanged += 1
                        continue
                merged[paper.id] = record
            if merged:
                shards: dict[str, dict[str, Paper]] = {}
                for paper_id, record in merged.items():
                    shards.setdefault(shard_key(paper_id), {})[paper_id] = record
                await self._run(lambda: self._write_shards(shards))
                self._papers.update(merged)
            new_ids = {p.id for p in new}
            result = IngestResult(
                tuple(merged[i] for i in new_ids if i in merged) if new else (), len(merged) - len(new_ids), unchanged
            )
        for paper in result.new:
            self.bus.publish("paper.new", {"id": paper.id, "title": paper.title})
        return result

    def _write_shards(self, shards: Mapping[str, Mapping[str, Paper]]) -> None:
        for key, papers in shards.items():
            storage = AtomicJSONStorage(self.feed_dir / f"{key}.json", kind="feed")
            docs = {p.id: p.to_dict() for p in self._papers.values() if shard_key(p.id) == key}
            docs.update({pid: p.to_dict() for pid, p in papers.items()})
            storage.write({"papers": docs})

    async def update_states(self, changes: Mapping[str, Mapping[str, Any]], *, event: bool = True) -> list[PaperState]:
        """Apply field changes to several papers' user data in one durable write.

        Accepted fields: seen, saved, read, dismissed (bool: sets or clears the timestamp, keeping an existing
        one), tags (list of str), note (str).
        """
        async with self._user_lock:
            now = utc_now()
            updated: dict[str, PaperState] = {}
            for paper_id, fields in changes.items():
                before = self._states.get(paper_id) or PaperState(id=paper_id)
                after = _apply(before, fields, now)
                if after != before:
                    updated[paper_id] = replace(after, updated_at=now)
            if updated:
                states = {**self._states, **updated}
                docs = {pid: s.to_dict() for pid, s in states.items()}
                await self._run(lambda: self._user.write({"states": docs}))
                self._states.update(updated)
        if event:
            for state in updated.values():
                self.bus.publish("paper.state", self.view(state.id).to_dict(full=False))
        return [self.get_state(pid) for pid in changes]

    async def update_state(self, paper_id: str, **fields: Any) -> PaperState:
        return (await self.update_states({paper_id: fields}))[0]

    async def put_meta(self, key: str, value: Any) -> None:
        async with self._meta_lock:
            meta = {**self._meta, key: value}
            await self._run(lambda: self._meta_storage.write({"meta": {"1": meta}}))
            self._meta = meta

    async def close(self) -> None:
        # Take every lock so no write is cut off half-way, then stop the writer thread.
        async with self._feed_lock, self._user_lock, self._meta_lock:
            self._writer.shutdown(wait=True)


def _apply(state: PaperState, fields: Mapping[str, Any], now: str) -> PaperState:
    updates: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("seen", "saved", "read", "dismissed"):
            attr = f"{name}_at"
            current = getattr(state, attr)
            updates[attr] = (current or now) if value else None
        elif name == "tags":
            updates["tags"] = tuple(dict.fromkeys(str(t).strip() for t in value if str(t).strip()))
        elif name == "note":
            updates["note"] = str(value)
        else:
            raise ValueError(f"unknown state field {name!r}")
    if updates.get("saved_at") or updates.get("read_at"):
        updates.setdefault("seen_at", state.seen_at or now)
    return replace(state, **updates)


def _sort_key(view: PaperView) -> tuple[str, int, str]:
    paper = view.paper
    day = (paper.daily_date if paper else None) or (view.state.saved_at or "")[:10]
    return (day or "", paper.upvotes if paper else 0, view.id)
