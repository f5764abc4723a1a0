"""Every source's poller behind the one `PollerLike` the API, the tray, the CLI and the digest use: Hugging Face
Daily Papers (`poller.py`) first, then the arXiv listings (`arxiv_poller.py`). Each runs its own schedule, so a
failing source never holds up another; `source_states()` lists them all and a normal `poll_now()` polls them
all at once. Explicit days (`papertray backfill`) are Hugging Face's alone: arXiv's listing has no past days.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from papertray.arxiv_poller import ArxivPoller, ArxivReport
from papertray.models import SourceState
from papertray.poller import Poller, PollReport


@dataclass(frozen=True, slots=True)
class PollAll:
    """One normal poll of every source: Hugging Face's report at the top (as before), each source's under
    `sources`, and `error` only when every source polled failed."""

    reports: tuple[PollReport | ArxivReport, ...]

    def to_dict(self) -> dict[str, Any]:
        first = self.reports[0].to_dict()
        failed = [r for r in self.reports if r.error]
        return {
            **first,
            "error": first["error"] if len(failed) == len(self.reports) else None,
            "sources": [r.to_dict() for r in self.reports],
        }


class Pollers:
    def __init__(self, hf: Poller, arxiv: ArxivPoller) -> None:
        self.hf = hf
        self.arxiv = arxiv

    def source_states(self) -> list[SourceState]:
        return [*self.hf.source_states(), *self.arxiv.source_states()]

    async def poll_now(self, days: Sequence[str] | None = None) -> PollReport | PollAll:
        if days is not None:
            return await self.hf.poll_now(days)
        if not self.arxiv.followed:
            return PollAll((await self.hf.poll_now(),))
        hf, arxiv = await asyncio.gather(self.hf.poll_now(), self.arxiv.poll_now())
        return PollAll((hf, arxiv))

    async def run(self) -> None:
        """Both schedules until cancelled; each records its own errors and never raises."""
        await asyncio.gather(self.hf.run(), self.arxiv.run())

    async def close(self) -> None:
        await self.hf.close()
        await self.arxiv.close()
