"""Fetching one saved paper: its metadata (Hugging Face's paper endpoint, falling back to arXiv's export API,
both parsed by `sources/`), then its newest PDF, through the guarded HTTP layer. A download goes to a hidden
`.part` file that becomes `<id>v<N>.pdf` by an atomic rename only once it is complete and starts with `%PDF-`: a
crash never leaves a partial file presented as complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from yarl import URL

from papertray.atomic import fsync_dir
from papertray.config import Config
from papertray.errors import DownloadFailed, DownloadRefused, one_sentence
from papertray.library.folder import Progress, folder_key
from papertray.library.meta import sha256_of
from papertray.library.queue import QueueBase
from papertray.models import Paper
from papertray.sources.arxiv import arxiv_api_base, parse_arxiv_atom
from papertray.sources.daily_papers import parse_paper_details
from papertray.sources.http import CHUNK, SafeHttp
from papertray.store import utc_now

log = logging.getLogger(__name__)

MAX_METADATA_BYTES = 4 * 1024 * 1024


class Downloads(QueueBase):
    """Fetching one queued paper; a failure is a `DownloadFailed` for the queue to record."""

    http: SafeHttp
    _last_progress: float

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
                found = parse_paper_details(body, paper_id)
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
        merged = known.merged_with(found) if known else replace(found, sources=("library",))
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
