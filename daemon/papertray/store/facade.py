"""`Store`, the one object the rest of papertray holds: the feed cache (feed.py), the user data (user.py) and
the queries over both (queries.py), opened together, with the small key/value state of other modules
(`meta.json`: poller bookkeeping). The package docstring (__init__.py) draws the files on disk."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from papertray.atomic import make_dir_durable, remove_stale_temp_files
from papertray.errors import StoreError, UnreadableFile
from papertray.events import EventBus
from papertray.runtime import pid_alive
from papertray.store.base import CACHE_SHARDS, JOURNAL_LIMIT
from papertray.store.feed import FeedCache
from papertray.store.files import read_feed_layout, read_or_error
from papertray.store.month_index import NAME, read_month_file
from papertray.store.queries import Queries
from papertray.store.recovery import read_user_data
from papertray.store.user import UserData

log = logging.getLogger(__name__)


class Store(Queries, UserData, FeedCache):
    """Open with `Store.open(data_dir, bus)`; close with `await store.close()`."""

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
        before every commit and raises StoreError when this process may no longer write here (lock.py).
        """
        store = cls(data_dir, bus, journal_limit=journal_limit, cache_shards=cache_shards, guard=guard)
        # Every read first, so that newer data refuses the open before any file was touched.
        user = read_user_data(store._user.path, data_dir / "user.json.bak", [store._journal_old, store._journal])
        meta = read_or_error(store._meta_storage)
        months, flat = read_feed_layout(store.feed_dir)
        binary = [read_month_file(folder / NAME) for folder, _ in months]
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
        store._load_feed(months, binary, flat)
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

    def get_meta(self, key: str, default: Any = None) -> Any:
        return self._meta.get(key, default)

    async def put_meta(self, key: str, value: Any) -> None:
        async with self._meta_lock:
            meta = {**self._meta, key: value}
            loop = asyncio.get_running_loop()
            await self._health.watch("meta", loop.run_in_executor(self._feed_writer, lambda: self._write_meta(meta)))
            self._meta = meta

    def check_folder(self) -> None:
        """Raise StoreError when the data folder is no longer the one this daemon locked (moved, replaced): what
        writes files of its own beside the store (the feed files) asks first, as every store commit does."""
        self._guard()

    def _write_meta(self, meta: dict[str, Any]) -> None:
        self._guard()
        self._meta_storage.write({"meta": {"1": meta}})

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
