"""A paper's folder in the reading list: where it is, its PDFs, and the files papertray writes into it
(`meta.json`, `paper.bib`, `notes.md`), each written only when its bytes change, atomically.

`LibraryBase` carries what every part of the reading list shares (config, store, bus, locks, the download in
progress); the queue (`queue.py`), the downloads (`downloads.py`) and `Library` (`reading_list.py`) build on it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertray import __version__, citations
from papertray.atomic import write_atomic
from papertray.config import Config
from papertray.events import EventBus
from papertray.library import meta as library_meta
from papertray.library.meta import pdf_files
from papertray.library.trash import Trash
from papertray.models import Paper, is_canonical_id
from papertray.store import Store


def folder_key(paper_id: str) -> str:
    return paper_id.replace("/", "_")


def id_from_key(key: str) -> str | None:
    """The canonical id for a folder key (`hep-th_9901001` → `hep-th/9901001`), or None if it is not one."""
    if not isinstance(key, str) or len(key) > 64:
        return None
    candidate = key.replace("_", "/", 1) if "_" in key else key
    return candidate if is_canonical_id(candidate) else None


@dataclass
class Progress:
    """The download in progress, as the page and `status` show it."""

    id: str
    stage: str  # "metadata" | "pdf"
    bytes: int = 0
    total: int | None = None


class LibraryBase:
    """The reading list's shared state (set by `Library.__init__`) and its folders. The queue, the downloads and
    `Library` extend it in that order, each using only what stands below it."""

    _config: Callable[[], Config]
    store: Store
    bus: EventBus
    problems: list[str]  # shown by `papertray status` beside the store's
    _active: Progress | None
    _file_lock: asyncio.Lock
    _repair_lock: asyncio.Lock

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

    def _progress(self, paper_id: str, state: str, **extra: Any) -> None:
        self.bus.publish("library.progress", {"id": paper_id, "state": state, **extra})

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
