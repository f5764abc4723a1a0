"""`<library>/library.bib`: the whole reading list as one BibTeX file for LaTeX users (`\\bibliography{…}`),
rewritten whenever the list changes. Changes that arrive together share one write (debounced), the text is made
and written in a worker thread (never on the event loop), and the file is replaced atomically (atomic.py), so a
LaTeX run never reads half a file. Entries are in key order, so a change shows as a small diff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from papertray import citations
from papertray.atomic import describe_os_error, write_atomic
from papertray.errors import StoreError
from papertray.events import Event, EventBus

log = logging.getLogger(__name__)

NAME = "library.bib"
HEADER = (
    "% The reading list of papertray, rewritten by papertray whenever it changes: edits here are lost.\n"
    "% Citation keys never change once given; use them in \\cite{}.\n\n"
)


def _relevant(event: Event) -> bool:
    # A save, removal, tag or note; or a paper's metadata arriving (its key and fields are then known).
    return event.type == "paper.state" or (event.type == "library.progress" and event.data.get("state") == "done")


class LibraryBib:
    def __init__(
        self,
        path: Callable[[], Path],
        papers: Callable[[], Awaitable[list[dict[str, Any]]]],
        bus: EventBus,
        *,
        delay: float = 1.0,
    ) -> None:
        self._path = path
        self._papers = papers  # the reading list as the API shows it, each paper with its citation key
        self._bus = bus
        self._delay = delay
        self._written: bytes | None = None

    async def run(self) -> None:
        """Write once now, then after every burst of changes, until cancelled."""
        changed = asyncio.Event()

        async def follow() -> None:
            async for event in self._bus.subscribe():
                if _relevant(event):
                    changed.set()

        follower = asyncio.create_task(follow(), name="library-bib-events")
        try:
            while True:
                await self.write()
                await changed.wait()
                await asyncio.sleep(self._delay)  # changes in the meantime share this write
                changed.clear()
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower

    async def write(self) -> None:
        try:
            papers = await self._papers()
            await asyncio.to_thread(self._write, papers)
        except OSError as exc:
            # Told in the log; the next change tries again (the file keeps its last complete version).
            log.warning("library.bib could not be written: %s", describe_os_error(exc, self._path()))
        except StoreError as exc:  # the keys could not be stored (disk full): the same, next change again
            log.warning("library.bib could not be written: %s", exc)

    def _write(self, papers: list[dict[str, Any]]) -> None:
        papers = sorted(papers, key=lambda p: (citations.cite_key(p).casefold(), p["id"]))
        data = (HEADER + citations.to_bibtex(papers)).encode()
        if data == self._written:
            return
        path = self._path()
        if not papers and not path.exists():
            return  # an empty reading list leaves the library folder empty; the first save makes the file
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, data, mode=0o644)
        self._written = data
