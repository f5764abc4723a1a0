"""Turn a Daily Papers answer (`/api/daily_papers`) into `Paper`s: pure, no I/O.

Tolerant by design (reference/feeds.md §1.2): only `paper.id` is guaranteed, every other field may be missing,
of another type or under the entry's top level instead of under `paper`. An entry we cannot use is skipped
and counted; it never fails the batch. A body that is not a JSON array (an HTML error page, cut-off JSON, an
object) is a `FeedError` with one sentence.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from papertray.errors import FeedError
from papertray.models import Paper, parse_paper_ref

log = logging.getLogger(__name__)

SOURCE_HF = "hf"


def parse_daily_papers(body: bytes, *, day: str, host: str = "huggingface.co") -> tuple[list[Paper], int]:
    """`(papers, skipped)` from one page of `/api/daily_papers?date=day`. `day` is the UTC day asked for: the
    daily date of entries that do not say when they entered Daily Papers."""
    entries = decode_entries(body, day=day, host=host)
    papers: list[Paper] = []
    skipped = 0
    for index, entry in enumerate(entries):
        try:
            paper = paper_from_entry(entry, day=day)
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


def decode_entries(body: bytes, *, day: str, host: str = "huggingface.co") -> list[Any]:
    """The JSON array of a Daily Papers answer, or a FeedError saying in one sentence what came instead."""
    what = f"{host}'s answer for {day}"
    stripped = body.lstrip()
    if not stripped:
        raise FeedError(f"{what} was empty instead of a list of papers.")
    if stripped[:1] == b"<":
        raise FeedError(f"{what} was a web page (HTML), not the list of papers papertray asked for.")
    try:
        data = json.loads(body)
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


def paper_from_entry(entry: Any, *, day: str) -> Paper | None:
    """One Daily Papers entry (`{"paper": {...}, ...}`, or a flat paper object) as a Paper; None if unusable."""
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

    def pick(key: str) -> Any:
        value = paper.get(key)
        return value if value not in (None, "", [], {}) else entry.get(key)

    submitted_on_daily = _timestamp(paper.get("submittedOnDailyAt")) or _timestamp(entry.get("submittedOnDailyAt"))
    daily_date = submitted_on_daily.date().isoformat() if submitted_on_daily else day
    submitted_at = _iso(submitted_on_daily) or _iso(_timestamp(entry.get("publishedAt")))

    return Paper(
        id=paper_id,
        version=version,
        title=_text(pick("title")),
        summary=_text(pick("summary")),
        authors=_authors(pick("authors")),
        published_at=_iso(_timestamp(paper.get("publishedAt"))),
        daily_date=daily_date,
        submitted_at=submitted_at,
        upvotes=_count(pick("upvotes")),
        num_comments=_count(entry.get("numComments") if "numComments" in entry else paper.get("numComments")),
        ai_summary=_text(pick("ai_summary")),
        ai_keywords=_keywords(pick("ai_keywords")),
        organization=_organization(pick("organization")),
        github_repo=_url(pick("githubRepo")),
        project_page=_url(pick("projectPage")),
        source=SOURCE_HF,
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
    return max(0, int(value))


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


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
