"""The reading list on disk: every saved paper becomes a plain folder a person can use without papertray,
filled in the background by a polite, resumable download queue.

    <data>/library/<id>/            old-style ids use `_` for `/` (`hep-th_9901001`)
        <id>v<N>.pdf                one file per arXiv version; a new version lands beside the old one
        meta.json                   what the feeds said, the user's tags and dates, and each PDF's sha256
        paper.bib                   a BibTeX entry for the paper
        notes.md                    the user's note, kept in sync with the store
    <data>/library/.trash/<id>/     folders removed from the reading list, kept 7 days from removal (`trash.py`)

A save is made durable by the store first; `Library.run()` sees the `paper.state` event, records the paper in a
durable queue (`queue.py`), then fetches metadata and the PDF (`downloads.py`), one request at a time, at most
one per `spacing` seconds per host, with retries and exponential backoff.

Downloads refuse private, loopback and link-local addresses after DNS resolution and on every redirect, and
connect to exactly the address that was checked (SSRF, `sources/http.py`), except for hosts listed in
`allowed_private_hosts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from papertray import citations
from papertray.atomic import describe_os_error
from papertray.config import Config
from papertray.errors import DownloadFailed, StoreError
from papertray.events import EventBus
from papertray.library import bibfile
from papertray.library.bibfile import LibraryBib
from papertray.library.cite_keys import CiteKeys
from papertray.library.downloads import Downloads
from papertray.library.folder import Progress, folder_key
from papertray.library.queue import QueueItem
from papertray.models import Paper, is_canonical_id
from papertray.sources.http import METADATA_TIMEOUT, PDF_TIMEOUT, SafeHttp
from papertray.sources.politeness import HostLimiter
from papertray.store import PaperView, Store

log = logging.getLogger(__name__)


class Library(Downloads):
    def __init__(
        self,
        config: Callable[[], Config],
        store: Store,
        bus: EventBus,
        *,
        spacing: float = 3.0,
        retry_base: float = 60.0,
        retry_max: float = 6 * 3600.0,
        max_attempts: int = 8,
        connect_timeout: float = 20.0,
        read_timeout: float = 60.0,
        metadata_timeout: float = METADATA_TIMEOUT,
        pdf_timeout: float = PDF_TIMEOUT,
        limiter: HostLimiter | None = None,
    ) -> None:
        self._config = config
        self.store = store
        self.bus = bus
        self._retry_base = retry_base
        self._retry_max = retry_max
        self._max_attempts = max_attempts
        self.http = SafeHttp(
            config,
            spacing=spacing,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            metadata_timeout=metadata_timeout,
            pdf_timeout=pdf_timeout,
            limiter=limiter,
        )
        self._queue: dict[str, QueueItem] = {}
        self._active: Progress | None = None
        self._wake = asyncio.Event()
        self._queue_lock = asyncio.Lock()
        self._file_lock = asyncio.Lock()
        self._repair_lock = asyncio.Lock()
        self.problems: list[str] = []  # shown by `papertray status` beside the store's
        self._last_progress = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._done_count = 0
        self.keys = CiteKeys(store)
        self.bib = LibraryBib(lambda: self.root / bibfile.NAME, self._bib_papers, bus)

    def paper_status(self, paper_id: str) -> dict[str, Any]:
        """What the page shows for one paper: its files and where its download stands."""
        pdfs = [{"version": v, "file": name} for v, name in self.pdfs(paper_id)]
        item = self._queue.get(paper_id)
        if self._active is not None and self._active.id == paper_id:
            state = "downloading"
        elif item is not None and item.failed:
            state = "failed"
        elif item is not None and item.attempts:
            state = "retrying"
        elif item is not None:
            state = "queued"
        else:
            state = "ready" if pdfs or not self._config().download_pdfs else "missing"
        result: dict[str, Any] = {"state": state, "pdfs": pdfs}
        if item is not None and item.error:
            result["error"] = item.error
        if self._active is not None and self._active.id == paper_id:
            result["bytes"] = self._active.bytes
            result["total"] = self._active.total
        return result

    def status(self) -> dict[str, Any]:
        active = None
        if self._active is not None:
            active = {
                "id": self._active.id,
                "stage": self._active.stage,
                "bytes": self._active.bytes,
                "total": self._active.total,
            }
        pending = [i for i in self._queue.values() if not i.failed]
        return {
            "root": str(self.root),
            "downloads_enabled": self._config().download_pdfs,
            "queued": len(pending),
            "active": active,
            "done_this_run": self._done_count,
            "waiting": [
                {"id": i.id, "attempts": i.attempts, "error": i.error, "next_at": i.next_at}
                for i in pending
                if i.attempts
            ],
            "failed": [
                {"id": i.id, "attempts": i.attempts, "error": i.error} for i in self._queue.values() if i.failed
            ],
        }

    # ---------------------------------------------------------------- citation keys

    def reading_list(self) -> list[PaperView]:
        """Every saved or read paper."""
        return self.store.query(predicate=lambda v: v.state.saved or v.state.read)

    async def with_keys(self, views: list[PaperView]) -> list[PaperView]:
        """`views` with their citation keys, giving one to each paper that has none yet (and its paper.bib)."""
        views, given = await self.keys.ensure(views)
        for paper_id in given:
            try:
                await self.sync_user_files(paper_id)
            except (StoreError, OSError) as exc:
                log.warning("library could not bring a folder up to date id=%s error=%s", paper_id, exc)
        return views

    async def _bib_papers(self) -> list[dict[str, Any]]:
        return [v.to_dict() for v in await self.with_keys(self.reading_list())]

    # ---------------------------------------------------------------- run

    async def run(self) -> None:
        """Consume saves and the persisted queue until cancelled."""
        await asyncio.to_thread(self._tidy_disk)
        self._load_queue()
        events = asyncio.create_task(self._follow_events(), name="library-events")
        self._tasks.append(events)
        self._tasks.append(asyncio.create_task(self.bib.run(), name="library-bib"))
        await asyncio.sleep(0)  # let the subscription start before we look at what is already saved
        saved = [v.id for v in self.reading_list()]
        missing = [pid for pid in saved if self._needs_fetch(pid)]
        if missing:
            await self.enqueue(missing)
        for pid in saved:
            try:
                await self.sync_user_files(pid)
            except (StoreError, OSError) as exc:
                log.warning("library could not bring a folder up to date id=%s error=%s", pid, exc)
        try:
            await self._work()
        finally:
            events.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await events

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.http.close()

    def _tidy_disk(self) -> None:
        """Remove `.part` leftovers of interrupted downloads, and trash removed more than TRASH_DAYS ago."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        for part in self.root.glob("*/.*.part"):
            with contextlib.suppress(OSError):
                part.unlink()
                log.info("removed an interrupted download path=%s", part)
        self.trash.purge()

    async def _follow_events(self) -> None:
        async for event in self.bus.subscribe():
            if event.type != "paper.state":
                continue
            paper_id = event.data.get("id")
            if not isinstance(paper_id, str) or not is_canonical_id(paper_id):
                continue
            state = self.store.get_state(paper_id)
            try:
                if state.saved or state.read:
                    await self.sync_user_files(paper_id)
                    if self._needs_fetch(paper_id):
                        await self.enqueue([paper_id])
                elif paper_id in self._queue:
                    await self._dequeue(paper_id)
            except (StoreError, OSError) as exc:
                log.warning("library could not follow a change id=%s error=%s", paper_id, exc)

    def _needs_fetch(self, paper_id: str) -> bool:
        """No folder yet, or one written offline that still waits for its PDF."""
        if not (self.folder(paper_id) / "meta.json").exists():
            return True
        return self._config().download_pdfs and not self.pdfs(paper_id)

    async def _work(self) -> None:
        while True:
            self._wake.clear()
            item, wait = self._next_due()
            if item is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
                continue
            try:
                await self._process(item)
            except Exception:
                # Even recording the failure failed (the store cannot write): wait before this item again.
                log.exception("library queue could not record a result id=%s", item.id)
                if item.id in self._queue:
                    self._queue[item.id] = replace(item, next_at=time.time() + self._retry_base)

    async def _process(self, item: QueueItem) -> None:
        paper_id = item.id
        try:
            await self.fetch_paper(paper_id)
        except DownloadFailed as exc:
            await self._failed(item, exc)
            return
        except StoreError as exc:
            await self._failed(item, DownloadFailed(str(exc)))
            return
        except OSError as exc:
            # One sentence, not "[Errno 13] Permission denied: '/…'" (11.27).
            failure = describe_os_error(exc, Path(exc.filename or self.folder(paper_id) / "meta.json"))
            await self._failed(item, DownloadFailed(str(failure)))
            return
        except Exception:
            # A bug or an upstream answer nobody foresaw: it costs this paper one attempt, never the queue.
            log.exception("library fetch hit an internal error id=%s", paper_id)
            await self._failed(
                item, DownloadFailed("papertray hit an internal error fetching this paper; the log has the details.")
            )
            return
        finally:
            self._active = None
        self._done_count += 1
        await self._dequeue(paper_id)
        self._progress(paper_id, "done", pdfs=[name for _v, name in self.pdfs(paper_id)])

    # ---------------------------------------------------------------- delete / undo / import

    async def remove(self, paper_id: str) -> dict[str, Any]:
        """Take a paper off the reading list: clear saved/read, move its folder to `.trash/` (undo: `restore`)."""
        before = self.store.get_state(paper_id)
        undo = {"saved": before.saved, "read": before.read}
        await self.store.update_state(paper_id, saved=False, read=False)
        await self._dequeue(paper_id)
        folder = self.folder(paper_id)
        if folder.exists():
            await asyncio.to_thread(self.trash.put, folder)
        return undo

    async def restore(self, paper_id: str, *, read: bool = False) -> None:
        """Undo `remove`. Raises RestoreFailed (and changes nothing) when its files are no longer in the trash."""
        await asyncio.to_thread(self.trash.take_back, folder_key(paper_id), self.folder(paper_id), paper_id)
        await self.store.update_state(paper_id, saved=True, read=read)

    async def import_entries(self, entries: Iterable[citations.ImportEntry]) -> dict[str, int]:
        """Save imported records: metadata into the feed cache, saved + tags + note into user data."""
        entries = list(entries)
        papers = []
        for entry in entries:
            papers.append(
                Paper(
                    id=entry.id,
                    version=entry.version,
                    title=entry.title,
                    summary=entry.summary,
                    authors=entry.authors,
                    published_at=entry.published_at,
                    sources=("import",),
                )
            )
        already = sum(1 for e in entries if self.store.get_state(e.id).saved)
        # Queue the downloads in one durable write; the saves' events then find them queued already.
        await self.enqueue(e.id for e in entries if not (self.folder(e.id) / "meta.json").exists())
        if papers:
            await self.store.add_papers(papers)
        changes: dict[str, dict[str, Any]] = {}
        keys_seen: set[str] = set()
        for entry in entries:
            state = self.store.get_state(entry.id)
            fields: dict[str, Any] = {"saved": True}
            tags = list(dict.fromkeys([*state.tags, *entry.tags]))
            if tags != list(state.tags):
                fields["tags"] = tags
            if entry.note and not state.note:
                fields["note"] = entry.note
            if entry.read:
                fields["read"] = True
            # The user's own key (their \cite{}s use it) unless the paper has one or another paper holds it.
            fresh = entry.key and entry.key.casefold() not in keys_seen
            if fresh and not state.cite_key and self.keys.free(entry.key, entry.id):
                fields["cite_key"] = entry.key
                keys_seen.add(entry.key.casefold())
            changes[entry.id] = fields
        if changes:
            await self.store.update_states(changes)
        return {"imported": len(changes) - already, "already_saved": already}
