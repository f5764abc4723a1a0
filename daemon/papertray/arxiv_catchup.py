"""Catch-up for arXiv's listings: the announcements missed while the machine slept or was offline, fetched once
through the export API (`search_query=cat:X AND submittedDate:[… TO …]`, paged by `start` / `max_results`).

The listing feed only ever holds the latest announcement, so a gap between the last announcement day papertray
saw and the one it sees now means days missed. Their submissions span from the day before the last seen
announcement to the day before the new one (arXiv announces a weekday's submissions up to 14:00 New York time the
next evening); the window is wider than needed by a day at each end, which costs a page at most: papers already
stored are merged, not counted. At most `[poll] catch_up_days` back.

Politeness is the Fetcher's: every request takes the arXiv slot of the limiter it was built with (3 s apart, one
at a time). How long it will take is said before it starts and after each category's first page tells the total
(`progress`, shown in `papertray status`), and logged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from papertray.models import Paper
from papertray.sources.arxiv import arxiv_api_base, parse_export_page
from papertray.sources.arxiv_listing import with_sources
from papertray.sources.guard import host_label
from papertray.sources.http import Fetcher
from papertray.sources.politeness import wait_words
from papertray.timestamps import parse_iso

log = logging.getLogger(__name__)

PAGE_SIZE = 500  # the export API serves up to 2,000 a request; 500 keeps each answer under ~1.5 MB
MAX_PAGES = 40  # per category: 20,000 papers, far past any absence catch_up_days allows


def business_days_between(first: date, last: date) -> list[date]:
    """The weekdays strictly between two announcement days: the listings that were never seen."""
    days = []
    day = first + timedelta(days=1)
    while day < last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def window(last_seen: date, listed: date, max_days: int) -> tuple[date, date] | None:
    """The submission days to fetch when announcements between `last_seen` and `listed` were missed."""
    if not business_days_between(last_seen, listed) or max_days <= 0:
        return None
    since = max(last_seen - timedelta(days=1), listed - timedelta(days=max_days))
    return since, listed - timedelta(days=1)


def search_query(category: str, since: date, until: date) -> str:
    return f"cat:{category} AND submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"


def announced_day(paper: Paper) -> str | None:
    """When a caught-up paper was (about) announced: the next weekday after its submission (the export API does
    not say; `daily_date` is the first day it appeared on a followed list)."""
    if paper.published_at is None:
        return None
    try:
        day = parse_iso(paper.published_at).date() + timedelta(days=1)
    except ValueError:
        return None
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


@dataclass
class Progress:
    """What a catch-up has done and has left; `to_dict` is what status shows under the source's `extra`."""

    categories: tuple[str, ...]
    since: str
    until: str
    done: int = 0
    known_total: dict[str, int] = field(default_factory=dict)  # requests each category needs, once its first page said
    spacing: float = 3.0

    @property
    def total(self) -> int:
        return sum(self.known_total.get(c, 1) for c in self.categories)

    def eta_seconds(self) -> float:
        return max(0, self.total - self.done) * self.spacing

    def words(self) -> str:
        left = max(0, self.total - self.done)
        more = "" if len(self.known_total) == len(self.categories) else "at least "
        return f"{more}{left} request{'s' if left != 1 else ''} left, about {wait_words(self.eta_seconds())}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "categories": list(self.categories),
            "since": self.since,
            "until": self.until,
            "requests_done": self.done,
            "requests_total": self.total,
            "eta_seconds": round(self.eta_seconds()),
        }


async def catch_up(
    fetcher: Fetcher,
    arxiv_url: str,
    followed: Sequence[str],
    days: tuple[date, date],
    *,
    page_size: int = PAGE_SIZE,
    progress: Callable[[Progress], None] = lambda _p: None,
) -> tuple[dict[str, Paper], Progress]:
    """Every paper submitted in `days` to each followed archive or category, labelled with the followed lists
    it belongs to. Raises the Fetcher's `FeedError` (the export API's error feed is one too) at the first failed
    request: a catch-up is done whole or tried again whole at the next poll, so it is never half-counted."""
    base = arxiv_api_base(arxiv_url)
    since, until = days
    state = Progress(tuple(followed), since.isoformat(), until.isoformat(), spacing=_spacing(fetcher, base))
    log.info("arxiv catch-up started days=%s..%s lists=%s %s", since, until, ",".join(followed), state.words())
    progress(state)
    papers: dict[str, Paper] = {}
    for category in followed:
        query = search_query(category, since, until)
        for page in range(MAX_PAGES):
            start = page * page_size
            params = {"search_query": query, "start": start, "max_results": page_size}
            params |= {"sortBy": "submittedDate", "sortOrder": "ascending"}
            what = f"the papers of {category} from {since} to {until}" + (f" (page {page + 1})" if page else "")
            result = await fetcher.get(f"{base}/api/query?{urlencode(params)}", what=what)
            answer = parse_export_page(result.body)
            state.done += 1
            if page == 0:
                state.known_total[category] = max(1, min(MAX_PAGES, math.ceil(answer.total / page_size)))
                log.info("arxiv catch-up category=%s papers=%d %s", category, answer.total, state.words())
            progress(state)
            for paper in answer.papers:
                labelled = replace(with_sources(paper, followed), daily_date=announced_day(paper))
                known = papers.get(paper.id)
                papers[paper.id] = known.merged_with(labelled) if known else labelled
            if not answer.papers or start + len(answer.papers) >= answer.total:
                break
    log.info("arxiv catch-up done papers=%d requests=%d", len(papers), state.done)
    return papers, state


def _spacing(fetcher: Fetcher, base: str) -> float:
    return fetcher.limiter.spacing(host_label(base + "/"))
