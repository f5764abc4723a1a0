"""The reading list on disk: every saved paper becomes a plain folder a person can use without papertray,
filled in the background by a polite, resumable download queue.

    <data>/library/<id>/            old-style ids use `_` for `/` (`hep-th_9901001`)
        <id>v<N>.pdf                one file per arXiv version; a new version lands beside the old one
        meta.json                   what the feeds said, the user's tags and dates, and each PDF's sha256
        paper.bib                   a BibTeX entry for the paper
        notes.md                    the user's note, kept in sync with the store
    <data>/library/.trash/<id>/     folders removed from the reading list, kept 7 days from removal
                                    (`library_trash.py`)

A save is made durable by the store first; `Library.run()` sees the `paper.state` event, records the paper in a
durable queue (store meta `library.queue`), then fetches metadata (Hugging Face, falling back to arXiv's export
API) and the PDF, one request at a time, at most one per `spacing` seconds per host, with retries and
exponential backoff. A download goes to a hidden `.part` file that becomes `<id>v<N>.pdf` by an atomic rename
only once it is complete and starts with `%PDF-`: a crash never leaves a partial file presented as complete.

Downloads refuse private, loopback and link-local addresses after DNS resolution and on every redirect, and
connect to exactly the address that was checked (SSRF), except for hosts listed in `allowed_private_hosts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from yarl import URL

from papertray import __version__, backoff, citations, library_meta
from papertray.atomic import describe_os_error, fsync_dir, write_atomic
from papertray.config import Config
from papertray.errors import DownloadFailed, DownloadRefused, StoreError, one_sentence
from papertray.events import EventBus
from papertray.library_http import CHUNK, METADATA_TIMEOUT, PDF_TIMEOUT, SafeHttp
from papertray.library_meta import pdf_files, sha256_of
from papertray.library_trash import Trash
from papertray.models import Paper, is_canonical_id, parse_paper_ref
from papertray.store import Store, utc_now

log = logging.getLogger(__name__)

QUEUE_META_KEY = "library.queue"
MAX_METADATA_BYTES = 4 * 1024 * 1024
ATOM = {"a": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}
MAX_VERSION = 9999  # the page's PDF route accepts up to four digits; arXiv's record is in the dozens


def folder_key(paper_id: str) -> str:
    return paper_id.replace("/", "_")


def id_from_key(key: str) -> str | None:
    """The canonical id for a folder key (`hep-th_9901001` → `hep-th/9901001`), or None if it is not one."""
    if not isinstance(key, str) or len(key) > 64:
        return None
    candidate = key.replace("_", "/", 1) if "_" in key else key
    return candidate if is_canonical_id(candidate) else None


# ------------------------------------------------------------------------------------------ metadata


def parse_hf_paper(body: bytes, paper_id: str) -> Paper | None:
    """The flat object of `GET /api/papers/{id}` as a Paper, or None if it is not about `paper_id`."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("id") != paper_id:
        return None
    authors = tuple(
        str(a["name"])
        for a in data.get("authors") or ()
        if isinstance(a, dict) and isinstance(a.get("name"), str) and not a.get("hidden")
    )
    org = data.get("organization")
    return Paper(
        id=paper_id,
        title=" ".join(str(data.get("title") or "").split()),
        summary=" ".join(str(data.get("summary") or "").split()),
        authors=authors,
        published_at=data.get("publishedAt") if isinstance(data.get("publishedAt"), str) else None,
        upvotes=int(data["upvotes"]) if isinstance(data.get("upvotes"), int) else 0,
        ai_summary=str(data.get("ai_summary") or ""),
        ai_keywords=tuple(str(k) for k in data.get("ai_keywords") or () if isinstance(k, str)),
        organization=str(org.get("fullname") or org.get("name") or "") if isinstance(org, dict) else "",
        github_repo=str(data.get("githubRepo") or ""),
        project_page=str(data.get("projectPage") or ""),
        source="hf",
    )


def parse_arxiv_atom(body: bytes, paper_id: str) -> Paper | None:
    """The entry for `paper_id` in an arXiv export API answer, or None (no entry, or the Error entry)."""
    try:
        # expat does not fetch external entities and limits entity expansion (Python >= 3.7.1, expat >= 2.4.1).
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        return None
    for entry in root.findall("a:entry", ATOM):
        ref = parse_paper_ref(entry.findtext("a:id", "", ATOM))
        if ref is None or ref[0] != paper_id:
            continue
        title = " ".join(entry.findtext("a:title", "", ATOM).split())
        if title == "Error":
            return None
        authors = tuple(" ".join((a.findtext("a:name", "", ATOM)).split()) for a in entry.findall("a:author", ATOM))
        version = ref[1]
        if version is not None and version > MAX_VERSION:
            # Upstream garbage (a number past 2**64 crashed the store's JSON): keep the entry, drop the field.
            log.warning("arXiv reported an impossible version id=%s digits=%d", paper_id, len(str(version)))
            version = None
        return Paper(
            id=paper_id,
            version=version,
            title=title,
            summary=" ".join(entry.findtext("a:summary", "", ATOM).split()),
            authors=tuple(a for a in authors if a),
            published_at=entry.findtext("a:published", None, ATOM),
            source="arxiv",
        )
    return None


def arxiv_api_base(arxiv_url: str) -> str:
    """arXiv serves its export API from export.arxiv.org; a test or mirror base serves both from one place."""
    url = URL(arxiv_url)
    if url.host in ("arxiv.org", "www.arxiv.org"):
        return str(url.with_host("export.arxiv.org")).rstrip("/")
    return arxiv_url.rstrip("/")


# ------------------------------------------------------------------------------------------ the library


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: str
    attempts: int = 0
    next_at: float = 0.0  # wall-clock seconds (survives restarts)
    error: str | None = None
    failed: bool = False  # gave up: waits for the user's retry

    def to_dict(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "next_at": self.next_at, "error": self.error, "failed": self.failed}


@dataclass
class Progress:
    id: str
    stage: str  # "metadata" | "pdf"
    bytes: int = 0
    total: int | None = None


class Library:
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

    # ---------------------------------------------------------------- paths

    @property
    def root(self) -> Path:
        return self._config().paths.library_dir

    @property
    def trash(self) -> Trash:
        return Trash(self.root)

    def folder(self, paper_id: str) -> Path:
        if not is_canonical_id(paper_id):
            raise ValueError(f"{paper_id!r} is not a canonical paper id")
        return self.root / folder_key(paper_id)

    def pdf_path(self, paper_id: str, version: int | None = None) -> Path | None:
        """The stored PDF (the newest version when `version` is None), resolved inside the library, or None."""
        if not is_canonical_id(paper_id):
            return None
        files = self.pdfs(paper_id)
        if version is not None:
            files = [f for f in files if f[0] == version]
        if not files:
            return None
        path = self.folder(paper_id) / files[-1][1]
        root = self.root.resolve()
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        # A symlink planted in the folder must not lead outside the library.
        if not resolved.is_relative_to(root) or path.is_symlink() or not resolved.is_file():
            return None
        return resolved

    def pdfs(self, paper_id: str) -> list[tuple[int | None, str]]:
        """(version, file name) of every complete PDF in the paper's folder, oldest version first."""
        return pdf_files(self.folder(paper_id), folder_key(paper_id))

    async def pdf_records(self, paper_id: str) -> list[dict[str, Any]]:
        """meta.json's record of the folder's PDFs; a damaged meta.json is kept aside, reported in `problems`
        and its records rebuilt from the files (OSError when it cannot even be moved)."""
        async with self._repair_lock:  # one repair at a time: the worker and a note edit may both ask
            records, problem = await asyncio.to_thread(
                library_meta.pdf_records, self.folder(paper_id), folder_key(paper_id), paper_id
            )
        if problem is not None:
            self.problems.append(problem)
        return records

    # ---------------------------------------------------------------- status

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

    def _progress(self, paper_id: str, state: str, **extra: Any) -> None:
        self.bus.publish("library.progress", {"id": paper_id, "state": state, **extra})

    # ---------------------------------------------------------------- queue

    async def _persist_queue(self) -> None:
        await self.store.put_meta(QUEUE_META_KEY, {pid: item.to_dict() for pid, item in self._queue.items()})

    async def enqueue(self, paper_ids: Iterable[str], *, reset: bool = False) -> None:
        """Queue downloads (durably). `reset` also re-queues papers that failed or are already there."""
        async with self._queue_lock:
            changed = False
            for paper_id in paper_ids:
                if not is_canonical_id(paper_id):
                    continue
                current = self._queue.get(paper_id)
                if current is None or (reset and (current.failed or current.attempts)):
                    self._queue[paper_id] = QueueItem(paper_id)
                    changed = True
            if changed:
                await self._persist_queue()
        self._wake.set()

    async def retry(self, paper_id: str) -> None:
        """The user asked again: fetch metadata and look for a newer PDF version now."""
        await self.enqueue([paper_id], reset=True)

    async def _dequeue(self, paper_id: str) -> None:
        async with self._queue_lock:
            if self._queue.pop(paper_id, None) is not None:
                await self._persist_queue()

    def _load_queue(self) -> None:
        raw = self.store.get_meta(QUEUE_META_KEY, {})
        if not isinstance(raw, dict):
            return
        for paper_id, doc in raw.items():
            if not is_canonical_id(paper_id) or not isinstance(doc, dict):
                continue
            self._queue[paper_id] = QueueItem(
                paper_id,
                attempts=int(doc.get("attempts") or 0),
                next_at=float(doc.get("next_at") or 0.0),
                error=doc.get("error") if isinstance(doc.get("error"), str) else None,
                failed=bool(doc.get("failed")),
            )

    # ---------------------------------------------------------------- run

    async def run(self) -> None:
        """Consume saves and the persisted queue until cancelled."""
        await asyncio.to_thread(self._tidy_disk)
        self._load_queue()
        events = asyncio.create_task(self._follow_events(), name="library-events")
        self._tasks.append(events)
        await asyncio.sleep(0)  # let the subscription start before we look at what is already saved
        saved = [v.id for v in self.store.query() if v.state.saved or v.state.read]
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

    def _next_due(self) -> tuple[QueueItem | None, float]:
        now = time.time()
        best: QueueItem | None = None
        wait = 3600.0
        for item in self._queue.values():
            if item.failed:
                continue
            if item.next_at <= now:
                if best is None or item.next_at < best.next_at:
                    best = item
            else:
                wait = min(wait, item.next_at - now)
        return best, wait

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

    async def _failed(self, item: QueueItem, exc: DownloadFailed) -> None:
        attempts = item.attempts + 1
        give_up = not exc.retry or attempts >= self._max_attempts
        delay = backoff.ceiling(attempts, base=self._retry_base, cap=self._retry_max)
        if exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, self._retry_max))
        updated = replace(item, attempts=attempts, error=str(exc), failed=give_up, next_at=time.time() + delay)
        async with self._queue_lock:
            if item.id in self._queue:  # not unsaved meanwhile
                self._queue[item.id] = updated
                await self._persist_queue()
        log.info("library fetch failed id=%s attempts=%d give_up=%s error=%s", item.id, attempts, give_up, exc)
        self._progress(
            item.id, "failed" if give_up else "retrying", error=str(exc), attempts=attempts, next_at=updated.next_at
        )

    # ---------------------------------------------------------------- fetching one paper

    async def fetch_paper(self, paper_id: str) -> None:
        """Metadata, then the folder's files, then the newest PDF. Raises DownloadFailed."""
        config = self._config()
        folder = self.folder(paper_id)
        known = self.store.get_paper(paper_id)
        if known is not None and known.title and not (folder / "meta.json").exists():
            # The feed already said what the paper is: the folder need not wait for the network (11.20).
            await self._write_files(paper_id, known, await self.pdf_records(paper_id))
        self._active = Progress(paper_id, "metadata")
        self._progress(paper_id, "metadata")
        paper = await self._metadata(config, paper_id)
        files = await self.pdf_records(paper_id)
        await self._write_files(paper_id, paper, files)  # only changed files are written again
        if config.download_pdfs:
            record = await self._download_pdf(config, paper, folder)
            if record is not None:
                files = [f for f in files if f.get("file") != record["file"]] + [record]
                await self._write_files(paper_id, paper, files)

    async def _metadata(self, config: Config, paper_id: str) -> Paper:
        known = self.store.get_paper(paper_id)
        found: Paper | None = None
        errors: list[str] = []
        if "/" not in paper_id:  # Hugging Face indexes new-style ids only
            try:
                body = await self.http.get_bytes(
                    f"{config.hf_url}/api/papers/{paper_id}", MAX_METADATA_BYTES, what=f"the details of {paper_id}"
                )
                found = parse_hf_paper(body, paper_id)
            except DownloadRefused:
                raise
            except DownloadFailed as exc:
                errors.append(str(exc))
        # arXiv's export API is the one source of the current version: ask it when Hugging Face could not
        # help, when no version is known, or when PDFs are already here (a refresh looks for a new version).
        refresh = bool(self.pdfs(paper_id))
        if found is None or refresh or (found.version is None and (known is None or known.version is None)):
            try:
                body = await self.http.get_bytes(
                    f"{arxiv_api_base(config.arxiv_url)}/api/query?id_list={paper_id}",
                    MAX_METADATA_BYTES,
                    what=f"the details of {paper_id}",
                )
                from_arxiv = parse_arxiv_atom(body, paper_id)
                if from_arxiv is not None:
                    found = from_arxiv if found is None else found.merged_with(from_arxiv)
                elif found is None:
                    errors.append(f"arXiv knows no paper {paper_id}.")
            except DownloadRefused:
                raise
            except DownloadFailed as exc:
                errors.append(str(exc))
        if found is None:
            if known is not None and known.title:
                return known  # the feed already told us enough to file it
            raise DownloadFailed(f"No title or abstract for {paper_id} yet: {one_sentence(errors) or 'not found.'}")
        merged = known.merged_with(found) if known else replace(found, source="library")
        if merged != known:
            await self.store.add_papers([merged])
        return self.store.get_paper(paper_id) or merged

    async def _download_pdf(self, config: Config, paper: Paper, folder: Path) -> dict[str, Any] | None:
        """Download the newest PDF; return its record, or None when it equals a version we already have."""
        paper_id = paper.id
        url = f"{config.arxiv_url}/pdf/{paper_id}"
        cap = config.max_pdf_mb * 1024 * 1024
        key = folder_key(paper_id)
        part = folder / f".{key}.{os.getpid()}.part"
        self._active = Progress(paper_id, "pdf")
        digest = hashlib.sha256()
        size = 0
        try:
            async with self.http.open(url, what=f"the PDF of {paper_id}", total=self.http.pdf_timeout) as response:
                length = response.content_length
                if length is not None and length > cap:
                    raise DownloadFailed(
                        f"The PDF of {paper_id} is {length // 2**20} MB, over max_pdf_mb = {config.max_pdf_mb}.",
                        retry=False,
                    )
                self._active.total = length
                handle = await asyncio.to_thread(open, part, "wb")
                try:
                    head = b""  # the first bytes, judged once five have come (a slow server sends fewer at first)
                    async for chunk in response.content.iter_chunked(CHUNK):
                        if len(head) < 5:
                            head = (head + chunk)[:5]
                            if not b"%PDF-".startswith(head):
                                raise DownloadFailed(
                                    f"{URL(url).host} sent something that is not a PDF for {paper_id}."
                                )
                        size += len(chunk)
                        if size > cap:
                            raise DownloadFailed(
                                f"The PDF of {paper_id} is over max_pdf_mb = {config.max_pdf_mb}.", retry=False
                            )
                        digest.update(chunk)
                        await asyncio.to_thread(handle.write, chunk)
                        self._active.bytes = size
                        now = time.monotonic()
                        if now - self._last_progress > 0.25:
                            self._last_progress = now
                            self._progress(paper_id, "downloading", bytes=size, total=length)
                    if head != b"%PDF-":
                        raise DownloadFailed(f"{URL(url).host} sent an empty PDF for {paper_id}.")
                    await asyncio.to_thread(_finish_file, handle)
                finally:
                    handle.close()
        except BaseException:
            with contextlib.suppress(OSError):
                part.unlink()
            raise
        if not await asyncio.to_thread(_ends_like_pdf, part):
            part.unlink(missing_ok=True)
            raise DownloadFailed(f"The PDF of {paper_id} arrived truncated (no %%EOF at its end).")
        sha = digest.hexdigest()
        known = {f.get("file"): f.get("sha256") for f in await self.pdf_records(paper_id)}
        if sha in known.values():
            part.unlink(missing_ok=True)
            return None  # the newest PDF is one we already have
        name = f"{key}v{paper.version}.pdf" if paper.version else f"{key}.pdf"
        target = folder / name
        if target.exists() and (await asyncio.to_thread(sha256_of, target))[0] != sha:
            # Different bytes under a name we already filled: arXiv has a newer version it did not name.
            # Keep the old file untouched and ask again later, when the export API tells the version.
            part.unlink(missing_ok=True)
            raise DownloadFailed(f"arXiv has a newer PDF of {paper_id} but did not say its version yet.")
        await asyncio.to_thread(_publish, part, target)  # also adopts a file a crash left unrecorded
        log.info("library stored pdf id=%s file=%s bytes=%d", paper_id, name, size)
        return {
            "file": name,
            "version": paper.version,
            "sha256": sha,
            "bytes": size,
            "url": url,
            "fetched_at": utc_now(),
        }

    # ---------------------------------------------------------------- the folder's files

    async def _write_files(self, paper_id: str, paper: Paper | None, pdfs: list[dict[str, Any]]) -> None:
        async with self._file_lock:
            view = self.store.view(paper_id)
            current = paper or view.paper
            meta = {
                "schema": 1,
                "id": paper_id,
                "paper": current.to_dict() if current else {"id": paper_id},
                "saved_at": view.state.saved_at,
                "read_at": view.state.read_at,
                "tags": list(view.state.tags),
                "pdfs": pdfs,
                "abs_url": f"https://arxiv.org/abs/{paper_id}",
                "written_by": f"papertray {__version__}",
            }
            folder = self.folder(paper_id)
            files = {
                "meta.json": json.dumps(meta, ensure_ascii=False, indent=2).encode() + b"\n",
                "paper.bib": citations.bibtex_entry(view.to_dict()).encode(),
                "notes.md": view.state.note.encode(),
            }
            await asyncio.to_thread(_write_changed, folder, files)

    async def sync_user_files(self, paper_id: str) -> None:
        """Bring notes.md, paper.bib and meta.json in line with the store (note, tags, read)."""
        if not (self.folder(paper_id) / "meta.json").exists():
            return
        await self._write_files(paper_id, None, await self.pdf_records(paper_id))

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
                    source="import",
                )
            )
        already = sum(1 for e in entries if self.store.get_state(e.id).saved)
        # Queue the downloads in one durable write; the saves' events then find them queued already.
        await self.enqueue(e.id for e in entries if not (self.folder(e.id) / "meta.json").exists())
        if papers:
            await self.store.add_papers(papers)
        changes: dict[str, dict[str, Any]] = {}
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
            changes[entry.id] = fields
        if changes:
            await self.store.update_states(changes)
        return {"imported": len(changes) - already, "already_saved": already}


def _finish_file(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _ends_like_pdf(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 2048))
        return b"%%EOF" in handle.read()


def _publish(part: Path, target: Path) -> None:
    os.replace(part, target)
    fsync_dir(target.parent)


def _write_changed(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, data in files.items():
        path = folder / name
        try:
            if path.read_bytes() == data:
                continue
        except OSError:
            pass
        write_atomic(path, data, mode=0o644)
