"""Every source's poller behind the one `PollerLike` the API, the tray, the CLI and the digest use: Hugging Face
Daily Papers (`poller.py`) first, then the arXiv listings (`arxiv_poller.py`), then Hugging Face's optional
weekly, monthly and trending lists (`hf_lists.py`). Each runs its own schedule, so a
failing source never holds up another; `source_states()` lists them all and a normal `poll_now()` polls them
all at once. Explicit days (`papertray backfill`) are Hugging Face's alone: arXiv's listing has no past days.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from papertray.arxiv_poller import ArxivPoller, ArxivReport
from papertray.hf_lists import HfListsPoller, ListsReport
from papertray.models import SourceState
from papertray.poller import Poller, PollReport


@dataclass(frozen=True, slots=True)
class PollAll:
    """One normal poll of every source: Hugging Face's report at the top (as before), each source's under
    `sources`, and `error` only when every source polled failed."""

    reports: tuple[PollReport | ArxivReport | ListsReport, ...]

    def to_dict(self) -> dict[str, Any]:
        first = self.reports[0].to_dict()
        failed = [r for r in self.reports if r.error]
        return {
            **first,
            "error": first["error"] if len(failed) == len(self.reports) else None,
            "sources": [r.to_dict() for r in self.reports],
        }


class Pollers:
    def __init__(self, hf: Poller, arxiv: ArxivPoller, lists: HfListsPoller | None = None) -> None:
        self.hf = hf
        self.arxiv = arxiv
        self.lists = lists

    def source_states(self) -> list[SourceState]:
        extra = self.lists.source_states() if self.lists is not None else []
        return [*self.hf.source_states(), *self.arxiv.source_states(), *extra]

    async def poll_now(self, days: Sequence[str] | None = None) -> PollReport | PollAll:
        if days is not None:
            return await self.hf.poll_now(days)
        polls: list[Any] = [self.hf.poll_now()]
        if self.arxiv.followed:
            polls.append(self.arxiv.poll_now())
        if self.lists is not None and self.lists.followed:
            polls.append(self.lists.poll_now())
        return PollAll(tuple(await asyncio.gather(*polls)))

    async def run(self) -> None:
        """Every schedule until cancelled; each records its own errors and never raises."""
        loops = [self.hf.run(), self.arxiv.run()] + ([self.lists.run()] if self.lists is not None else [])
        await asyncio.gather(*loops)

    async def close(self) -> None:
        await self.hf.close()
        await self.arxiv.close()
        if self.lists is not None:
            await self.lists.close()
