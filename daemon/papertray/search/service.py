"""The search service: keeps the index (index.py) in step with the store and answers searches.

* Reads papers only through the Store facade (`query`, `view`), on the event loop, in small chunks.
* Every SQLite call runs on one worker thread that owns the connection; PDF text is extracted on another
  (pdftext.py), so neither a rebuild nor a 300-page PDF ever stalls the event loop or a search for long.
* At start it compares each paper's stamp (version, title, day, user-data time) with the index's and
  re-indexes what differs: a missing, stale or half-built index (a kill -9 mid-update) catches up the same way.
* Then it follows the event bus: `paper.new` and `paper.state` re-index those papers, `library.progress`
  "done" indexes the new PDF's text, and a `poll.done` that updated known papers has its days' papers compared
  with the index by their text's checksum (the stamp's part after `#`), so a changed abstract is re-indexed.
  A gap in event ids (the bus dropped events for a slow subscriber) starts a new stamp comparison, so nothing
  is missed for long.
* A damaged or other-schema index is moved aside, rebuilt and reported in `problems`; any failure leaves
  the daemon running and search answering "unavailable" in one sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sqlite3
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from papertray.atomic import move_aside
from papertray.errors import PapertrayError
from papertray.events import EventBus
from papertray.models import State
from papertray.search import pdftext
from papertray.search.engine import TextIndexError
from papertray.search.index import Doc, Filters, IndexFile, IndexUnusable, Page, is_damage
from papertray.search.query import parse
from papertray.store import PaperView, SortKey, Store

log = logging.getLogger(__name__)

INDEX_NAME = "index.sqlite3"
CHUNK = 500  # papers read from the store per turn of the event loop, and written per transaction
CATCH_UP_PAGE = 2000  # papers whose stamps are compared at a time
T = TypeVar("T")
OPEN_WAIT_SECONDS = 10.0
WRITE_RETRY_SECONDS = 60.0
FAILURE_GRACE_SECONDS = 60.0  # a write failure shorter than this (a full disk freed again) is only logged
REST_SECONDS = 30.0  # this long after the last search (a burst of typing), the index lets go of its threads


class SearchUnavailable(PapertrayError):
    """Search cannot answer right now (the index could not be opened); said in one sentence."""


def stamp_of(view: PaperView) -> str:
    """What must change for a paper to be indexed again (no record read: summary and user state only)."""
    state = view.state
    title = view.title or ""
    return f"{view.version}|{view.daily_date}|{zlib.crc32(title.encode())}|{state.updated_at}|{view.status.value}"


def content_of(doc: Doc) -> str:
    """A checksum of the paper's own indexed text: an abstract can change under the same version and title."""
    text = "\x1f".join((doc.title, doc.abstract, doc.authors, doc.keywords, doc.categories))
    return f"{zlib.crc32(text.encode()):08x}"


def summary_part(indexed: str | None) -> str | None:
    """The indexed stamp without its content checksum: what a start compares with `stamp_of` (no record read)."""
    return indexed.partition("#")[0] if indexed is not None else None


def doc_of(view: PaperView) -> Doc:
    paper = view.paper
    state = view.state
    day = (paper.daily_date or (paper.published_at or "")[:10]) if paper else ""
    day = day or (state.saved_at or "")[:10]
    doc = Doc(
        id=view.id,
        title=paper.title if paper else (view.title or ""),
        abstract="\n".join(filter(None, (paper.summary, paper.ai_summary))) if paper else "",
        authors="; ".join(paper.authors) if paper else "",
        keywords="; ".join(filter(None, (*paper.ai_keywords, paper.organization))) if paper else "",
        categories="; ".join(getattr(paper, "categories", ()) or ()),  # once arXiv sources carry them
        tags=" ".join(state.tags),
        notes=state.note,
        state=view.status.value,
        source=paper.source if paper else "",
        day=day or "",
        saved=state.saved,
    )
    return replace(doc, stamp=f"{stamp_of(view)}#{content_of(doc)}")


class SearchService:
    def __init__(
        self,
        folder: Path,
        store: Store,
        bus: EventBus,
        *,
        pdf_path: Callable[[str], Path | None] | None = None,
    ) -> None:
        self.path = folder / INDEX_NAME
        self.store = store
        self.bus = bus
        self.pdf_path = pdf_path
        self._problems: list[str] = []  # lasting: a damaged index moved aside, an index that cannot be opened
        self._failing_since: float | None = None  # the first of the index writes failing now (monotonic)
        self._failure: str | None = None
        self.progress: dict[str, int] = {"done": 0, "total": 0}
        self.building = False
        self._index: IndexFile | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-index")
        self._pdf_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-pdf")
        self._dirty: set[str] = set()
        self._pdfs: set[str] = set()
        self._polled_days: set[str] = set()
        self._wake = asyncio.Event()
        self._resync = True
        self.ready = asyncio.Event()  # set once the first catch-up finished (tests and status)
        self._opened = asyncio.Event()  # set once opening the index was tried, whatever came of it
        self._rest_timer: asyncio.TimerHandle | None = None
        self._searched_at = -REST_SECONDS  # monotonic
        self._resting: asyncio.Future[None] | None = None
        self._repair: asyncio.Future[None] | None = None
        self._recovering: IndexFile | None = None  # the damaged index being moved aside (once)

    # ------------------------------------------------------------------ worker

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    def _open(self) -> IndexFile:
        try:
            return IndexFile.open(self.path)
        except IndexUnusable as exc:
            if exc.kind == "stale":  # another version's index: nothing to keep, it is rebuilt from the store
                log.info("search index from another version (%s): rebuilding", exc)
                for part in IndexFile.parts(self.path):
                    if part.is_dir():
                        shutil.rmtree(part)
                    else:
                        part.unlink(missing_ok=True)
                return IndexFile.open(self.path)
            aside = [move_aside(part) for part in IndexFile.parts(self.path) if part.exists()]
            self._problems.append(
                f"The search index was damaged; it was moved aside as {aside[0].name if aside else '?'} and rebuilt."
            )
            log.warning("search index damaged detail=%s moved=%s", exc, aside)
            return IndexFile.open(self.path)

    def _close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Open (or rebuild) the index, catch up with the store, then follow the bus until cancelled."""
        while self._index is None:
            try:
                self._index = await self._run(self._open)
            except (sqlite3.Error, OSError, TextIndexError) as exc:  # a full disk, an I/O error: try again later
                self._opened.set()
                await self._write_failed(exc, lambda: None)
            except Exception as exc:  # the daemon runs on without search
                self._problems.append(f"Search is unavailable: the index at {self.path} could not be opened ({exc}).")
                log.exception("search index could not be opened")
                self.ready.set()
                return
            finally:
                self._opened.set()
        self._write_ok()
        follow = asyncio.create_task(self._follow())
        try:
            while True:
                if self._resync:
                    self._resync = False
                    await self._catch_up()
                    self.ready.set()
                if self._polled_days:
                    await self._recheck_days()
                while self._dirty:
                    batch = [self._dirty.pop() for _ in range(min(CHUNK, len(self._dirty)))]
                    await self._index_ids(batch)
                while self._pdfs and not self._dirty and not self._resync:
                    await self._index_pdf(self._pdfs.pop())
                if not (self._dirty or self._pdfs or self._resync or self._polled_days):
                    self._wake.clear()
                    self._rest_later(max(0.0, self._searched_at + REST_SECONDS - time.monotonic()))
                    await self._wake.wait()
        finally:
            follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follow

    async def _follow(self) -> None:
        last = self.bus.last_id
        async for event in self.bus.subscribe(last):
            if event.id != last + 1:
                self._resync = True  # the bus dropped events for us: compare stamps again
            last = event.id
            paper_id = event.data.get("id")
            if event.type in ("paper.new", "paper.state") and isinstance(paper_id, str):
                self._dirty.add(paper_id)
            elif event.type == "poll.done" and event.data.get("updated"):
                # Known papers the poll changed announce nothing: look again at its days' papers.
                self._polled_days.update(d for d in event.data.get("days") or () if isinstance(d, str))
            elif event.type == "library.progress" and event.data.get("state") == "done" and isinstance(paper_id, str):
                self._pdfs.add(paper_id)
            else:
                continue
            self._wake.set()

    async def _catch_up(self) -> None:
        """Compare stamps page by page (bounded memory: never all 250k views or stamps at once) and index what
        differs; then drop what the store no longer has, and queue saved papers whose PDF is not indexed."""
        assert self._index is not None
        index = self._index
        after: SortKey | None = None
        checked = 0
        self.progress = {"done": 0, "total": len(self.store)}
        while True:
            views, _total = self.store.page(after=after, limit=CATCH_UP_PAGE)
            if not views:
                break
            after = views[-1].sort_key
            indexed = await self._run(index.stamps_of, [v.id for v in views])
            todo = [v.id for v in views if summary_part(indexed.get(v.id)) != stamp_of(v)]
            if todo and not self.building:
                self.building = True
                log.info("search index catching up from paper=%d of %d", checked, self.progress["total"])
            for start in range(0, len(todo), CHUNK):
                await self._index_ids(todo[start : start + CHUNK])
            checked += len(views)
            self.progress = {"done": checked, "total": max(checked, len(self.store))}
        self.building = False
        if await self._run(index.count) > checked:  # rare: papers gone from the store (a restored backup)
            known = {v.id for v in self.store.query()}
            await self._run(lambda: index.delete([pid for pid in index.stamps() if pid not in known]))
        if self.pdf_path is not None:
            names = await self._run(index.pdf_names)
            for state in (State.SAVED, State.READ):
                for view in self.store.query(state=state):
                    pdf = self.pdf_path(view.id)
                    if pdf is not None and names.get(view.id) != pdf.name:
                        self._pdfs.add(view.id)

    async def _recheck_days(self) -> None:
        """Re-index the papers of the days a poll changed whose own text differs from what is indexed (an
        abstract corrected under the same version and title); a day's papers are read a chunk at a time."""
        assert self._index is not None
        days, self._polled_days = self._polled_days, set()
        views = [v for v in self.store.query(since=min(days)) if v.daily_date in days]
        for start in range(0, len(views), CHUNK):
            docs = [doc_of(view) for view in views[start : start + CHUNK]]
            indexed = await self._run(self._index.stamps_of, [doc.id for doc in docs])
            changed = [doc.id for doc in docs if indexed.get(doc.id) != doc.stamp]
            if changed:
                log.info("search re-indexes papers a poll changed count=%d", len(changed))
                self._dirty.update(changed)

    async def _index_ids(self, ids: list[str]) -> None:
        index = self._index
        assert index is not None
        docs = [doc_of(self.store.view(pid)) for pid in ids]
        await asyncio.sleep(0)
        try:
            await self._run(index.upsert, docs)
        except Exception as exc:
            if is_damage(exc):
                await self._recover(index)
                return
            await self._write_failed(exc, lambda: self._dirty.update(ids))
            return
        self._write_ok()

    async def _write_failed(self, exc: BaseException, requeue: Callable[[], None]) -> None:
        """A write the index could not make (the disk is full, an I/O error): nothing is damaged, so the file is
        kept and the papers are queued again; the next change, or a minute, brings the next try. Said in `status`
        only when it lasts, since a full disk is already reported there by the store."""
        requeue()
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
            log.warning("search index write failed, will retry error=%s", exc)
        self._failure = f"The search index could not be written ({exc}); papertray keeps trying."
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), WRITE_RETRY_SECONDS)

    def _write_ok(self) -> None:
        if self._failing_since is not None:
            log.info("search index writes work again")
        self._failing_since = None
        self._failure = None

    @property
    def problems(self) -> list[str]:
        lasting = self._failing_since is not None and time.monotonic() - self._failing_since >= FAILURE_GRACE_SECONDS
        return [*self._problems, *([self._failure] if lasting and self._failure else [])]

    async def _index_pdf(self, paper_id: str) -> None:
        index = self._index
        assert index is not None
        pdf = self.pdf_path(paper_id) if self.pdf_path else None
        if pdf is None:
            return
        loop = asyncio.get_running_loop()
        text = await loop.run_in_executor(self._pdf_worker, pdftext.extract, pdf)
        if text is None:
            return
        try:
            await self._run(index.set_fulltext, doc_of(self.store.view(paper_id)), pdf.name, text)
        except Exception as exc:
            if is_damage(exc):
                await self._recover(index)
                return
            await self._write_failed(exc, lambda: self._pdfs.add(paper_id))
            return
        self._write_ok()

    async def _recover(self, broken: IndexFile) -> None:
        """A write or a search found the files damaged under us: move them aside, rebuild from the store (once,
        however many requests found it)."""
        if self._index is not broken or self._recovering is broken:
            return
        self._recovering = broken
        log.warning("search index damaged; rebuilding", exc_info=True)
        await self._run(self._close)
        self._index = await self._run(self._force_rebuild)
        self._resync = True
        self._wake.set()

    def _force_rebuild(self) -> IndexFile:
        aside = [move_aside(p) for p in IndexFile.parts(self.path) if p.exists()]
        self._problems.append(
            f"The search index was damaged; it was moved aside as {aside[0].name if aside else '?'} and rebuilt."
        )
        return IndexFile.open(self.path)

    def _rest_later(self, delay: float) -> None:
        """Let the index rest (drop tantivy's threads and mapped files) once writes are done and searches have
        been quiet for a while: an idle daemon has no thread polling (engine.py), and the next search or write
        opens them again in about a millisecond."""
        if self._rest_timer is not None:
            self._rest_timer.cancel()
        self._rest_timer = asyncio.get_running_loop().call_later(delay, self._rest_now)

    def _rest_now(self) -> None:
        self._rest_timer = None
        index = self._index
        if index is None:
            return
        if self.building or self._dirty or self._pdfs or self._resync:
            return  # the run loop asks again once the work is done
        self._resting = asyncio.ensure_future(self._run(index.rest))
        self._resting.add_done_callback(_log_rest_failure)

    async def close(self) -> None:
        if self._rest_timer is not None:
            self._rest_timer.cancel()
        with contextlib.suppress(Exception):
            await self._run(self._close)
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._pdf_worker.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ answering

    def status(self) -> dict[str, Any]:
        return {
            "ready": self._index is not None and self.ready.is_set(),
            "building": self.building,
            "progress": dict(self.progress),
            "path": str(self.path),
        }

    async def search(self, text: str, filters: Filters, *, limit: int = 20, offset: int = 0) -> Page:
        """Raises QueryError for a query that cannot run, SearchUnavailable when there is no index."""
        terms = parse(text)
        if self._index is None and not self._opened.is_set():
            # Just after a start the index is still being opened (a large file, a slow disk): a search then waits
            # for it a little rather than answering "unavailable" with nothing in `status` to say why.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._opened.wait(), OPEN_WAIT_SECONDS)
        if self._index is None:
            raise SearchUnavailable("Search is unavailable right now; `papertray status` says why.")
        index = self._index
        try:
            return await self._run(lambda: index.search(terms, filters, limit=limit, offset=offset))
        except (sqlite3.Error, TextIndexError) as exc:
            if not is_damage(exc):
                raise SearchUnavailable(f"Search could not read its index right now ({exc}).") from None
            if self._repair is None or self._repair.done():
                self._repair = asyncio.ensure_future(self._recover(index))
            raise SearchUnavailable(
                "The search index was damaged; it is being rebuilt, and `papertray status` shows how far."
            ) from None
        finally:
            self._searched_at = time.monotonic()
            self._rest_later(REST_SECONDS)


def _log_rest_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        # The pending commit could not be made (a full disk): the next write tries again and says so.
        log.warning("search index could not close its text files error=%s", done.exception())
