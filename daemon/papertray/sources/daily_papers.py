"""Hugging Face Daily Papers, the one parser of both of its endpoints: pure, no I/O. The list
(`/api/daily_papers`, which the poller reads) and the paper (`/api/papers/{id}`, which the reading list reads for
a saved paper's details) give the same paper object, so both go through `paper_from_entry`: the same authors
(hidden ones kept), the same normalised dates, the same checked URLs.

Tolerant by design (reference/feeds.md §1.2): only `paper.id` is guaranteed, every other field may be missing,
of another type or under the entry's top level instead of under `paper`. An entry we cannot use is skipped
and counted; it never fails the batch. Values no real entry has are tamed, keeping the rest of the entry:
counts past `MAX_COUNT` (or not finite) are clamped, a version past `MAX_VERSION` is dropped, and a date
beyond tomorrow (UTC) is not believed: the paper gets the day it was listed on, as when no date is given.
A body that is not a JSON array (an HTML error page, cut-off JSON, an object) is a `FeedError` with one
sentence.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from papertray.errors import FeedError
from papertray.models import Paper, parse_paper_ref
from papertray.timestamps import iso_z

log = logging.getLogger(__name__)

SOURCE_HF = "hf"
# Far beyond any real upvote or comment count, and far inside the 64-bit integers the store's JSON can hold.
MAX_COUNT = 1_000_000_000
MAX_VERSION = 9999  # the page's PDF route accepts up to four digits; arXiv's record is in the dozens


def parse_daily_papers(
    body: bytes, *, day: str, host: str = "huggingface.co", now: datetime | None = None
) -> tuple[list[Paper], int]:
    """`(papers, skipped)` from one page of `/api/daily_papers?date=day`. `day` is the UTC day asked for: the
    daily date of entries that do not say when they entered Daily Papers (or say a day beyond tomorrow)."""
    entries = decode_entries(body, day=day, host=host)
    papers: list[Paper] = []
    skipped = 0
    for index, entry in enumerate(entries):
        try:
            paper = paper_from_entry(entry, day=day, now=now)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            paper = None
            log.debug("entry unusable day=%s index=%d error=%s", day, index, exc)
        if paper is None:
            skipped += 1
            continue
        papers.append(paper)
    if skipped:
        log.info("skipped entries day=%s skipped=%d kept=%d", day, skipped, len(papers))
    return papers, skipped


def parse_paper_details(body: bytes, paper_id: str, *, now: datetime | None = None) -> Paper | None:
    """The flat object of `GET /api/papers/{id}` as a Paper, or None if it is unusable or not about `paper_id`.
    It has no listing day: `daily_date` comes only from its own `submittedOnDailyAt`."""
    try:
        data = json.loads(body, parse_int=_bounded_int)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, Mapping) or data.get("id") != paper_id:
        return None
    try:
        return paper_from_entry(data, day=None, now=now)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        log.debug("paper details unusable id=%s error=%s", paper_id, exc)
        return None


def decode_entries(body: bytes, *, day: str, host: str = "huggingface.co") -> list[Any]:
    """The JSON array of a Daily Papers answer, or a FeedError saying in one sentence what came instead."""
    what = f"{host}'s answer for {day}"
    stripped = body.lstrip()
    if not stripped:
        raise FeedError(f"{what} was empty instead of a list of papers.")
    if stripped[:1] == b"<":
        raise FeedError(f"{what} was a web page (HTML), not the list of papers papertray asked for.")
    try:
        data = json.loads(body, parse_int=_bounded_int)
    except UnicodeDecodeError:
        raise FeedError(f"{what} is not UTF-8 text.") from None
    except (ValueError, RecursionError):
        raise FeedError(f"{what} is cut off or is not valid JSON.") from None
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping) and isinstance(data.get("error"), str):
        message = " ".join(data["error"].split())[:200].rstrip(".")
        raise FeedError(f"{what} was an error instead of papers: {message}.")
    raise FeedError(f"{what} was a JSON {_json_kind(data)}, not the list of papers papertray expects.")


def paper_from_entry(entry: Any, *, day: str | None, now: datetime | None = None) -> Paper | None:
    """One Daily Papers entry (`{"paper": {...}, ...}`, or a flat paper object) as a Paper; None if unusable.
    `now` (default: the clock) is what "beyond tomorrow" is measured from."""
    if not isinstance(entry, Mapping):
        return None
    inner = entry.get("paper")
    paper: Mapping[str, Any] = inner if isinstance(inner, Mapping) else entry
    raw_id = paper.get("id")
    if not isinstance(raw_id, str):
        return None
    ref = parse_paper_ref(raw_id.strip())
    if ref is None:
        return None
    paper_id, version = ref
    if version is not None and version > MAX_VERSION:
        version = None
    latest = (now or datetime.now(UTC)).astimezone(UTC).date() + timedelta(days=1)

    def pick(key: str) -> Any:
        value = paper.get(key)
        return value if value not in (None, "", [], {}) else entry.get(key)

    def when(value: Any) -> datetime | None:
        return _not_after(_timestamp(value), latest)

    submitted_on_daily = when(paper.get("submittedOnDailyAt")) or when(entry.get("submittedOnDailyAt"))
    daily_date = submitted_on_daily.date().isoformat() if submitted_on_daily else day
    submitted_at = _iso(submitted_on_daily) or _iso(when(entry.get("publishedAt")))

    return Paper(
        id=paper_id,
        version=version,
        title=_text(pick("title")),
        summary=_text(pick("summary")),
        authors=_authors(pick("authors")),
        published_at=_iso(when(paper.get("publishedAt"))),
        daily_date=daily_date,
        submitted_at=submitted_at,
        upvotes=_count(pick("upvotes")),
        num_comments=_count(entry.get("numComments") if "numComments" in entry else paper.get("numComments")),
        ai_summary=_text(pick("ai_summary")),
        ai_keywords=_keywords(pick("ai_keywords")),
        organization=_organization(pick("organization")),
        github_repo=_url(pick("githubRepo")),
        project_page=_url(pick("projectPage")),
        sources=(SOURCE_HF,),
    )


def _text(value: Any) -> str:
    """arXiv hard-wraps titles and abstracts; collapse every run of whitespace to one space."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _authors(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names: list[str] = []
    for author in value:
        # Hidden authors are kept: arXiv lists them, and rules match on author names.
        name = author.get("name") if isinstance(author, Mapping) else author
        text = _text(name)
        if text:
            names.append(text)
    return tuple(names)


def _keywords(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(k for k in (_text(v) for v in value) if k))


def _organization(value: Any) -> str:
    if isinstance(value, Mapping):
        return _text(value.get("fullname")) or _text(value.get("name"))
    return _text(value)


def _url(value: Any) -> str:
    text = _text(value)
    return text if text.startswith(("https://", "http://")) else ""


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        return 0
    return min(MAX_COUNT, max(0, int(value)))


def _bounded_int(text: str) -> int:
    """A JSON integer; one of thousands of digits (which Python refuses to convert) is only very large."""
    if len(text) > 20:
        return -(10**20) if text.startswith("-") else 10**20
    return int(text)


def _not_after(value: datetime | None, latest: date) -> datetime | None:
    if value is not None and value.date() > latest:
        log.debug("date beyond tomorrow ignored value=%s", value.isoformat())
        return None
    return value


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def utc_timestamp(value: Any) -> str | None:
    """An ISO 8601 time from either source (`2026-06-10T00:00:00.000Z`, `2023-07-21T17:59:59Z`) in the one
    form papertray stores (UTC, milliseconds, `Z`); None when it is missing or no time."""
    return _iso(_timestamp(value))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else iso_z(value, "milliseconds")


def _json_kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "true/false value"
    if value is None:
        return "null"
    return "number"
