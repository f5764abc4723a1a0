"""What every part of the store shares: its folders, its in-memory state, its writer threads, and how it reports
a file it could not use. The parts (feed.py, user.py, queries.py) are mixins over this base, and `Store`
(facade.py) is their sum, so each part reads as one job while the store stays one object."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papertray.errors import UnreadableFile
from papertray.events import EventBus
from papertray.models import Paper, PaperState
from papertray.state_file import set_aside
from papertray.store.files import AtomicJSONStorage, read_or_error
from papertray.store.health import WriteHealth
from papertray.store.month_index import MonthIndex
from papertray.store.ordering import ListOrder
from papertray.store.views import PaperView, Summary, shard_key

log = logging.getLogger(__name__)

JOURNAL_LIMIT = 512 * 1024  # bytes of journal before it is folded into user.json
CACHE_SHARDS = 64  # record shards kept in memory (~150 records each)


@dataclass(slots=True)
class SaveRequest:
    changes: Mapping[str, Mapping[str, Any]]
    event: bool
    future: asyncio.Future[None]
    updated: dict[str, PaperState] = field(default_factory=dict)


class StoreBase:
    """The state every part reads and writes, set up once for all of them (open a store with `Store.open`)."""

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
        self._months: dict[str, MonthIndex] = {}
        self._order: ListOrder | None = None
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
        self._pending: list[SaveRequest] = []
        self._committer: asyncio.Task[None] | None = None
        self._feed_lock = asyncio.Lock()
        self._meta_lock = asyncio.Lock()
        # Bumped by every write that changes what `view()` answers, whether or not it announces itself on the
        # bus (`update_states(event=False)`, an ingest that only updates): caches of views key on it.
        self._generation = 0

    def _report_unreadable(self, path: Path, exc: UnreadableFile, outcome: str) -> None:
        target = set_aside(path)
        if target is None:
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

    def _summary(self, paper_id: str) -> Summary | None:
        month = self._months.get(shard_key(paper_id))
        return month.get(paper_id) if month is not None else None

    # Defined by one part and used by another (the stubs say so to the type checker).
    def __len__(self) -> int:
        raise NotImplementedError

    def get_paper(self, paper_id: str) -> Paper | None:
        raise NotImplementedError

    def get_state(self, paper_id: str) -> PaperState:
        raise NotImplementedError

    def view(self, paper_id: str) -> PaperView:
        raise NotImplementedError
