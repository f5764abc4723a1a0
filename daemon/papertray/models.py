"""The nouns every layer shares: `Paper` (what a feed told us), `PaperState` (what the user did),
`SourceState` (how polling a source is going), and `canonical_id()` for arXiv identifiers.

Paper identity is the version-less arXiv id (`2307.12345`, `hep-th/9901001`); the version travels beside it.
The id grammar follows arXiv's own `arxiv/identifier` module (reference/feeds.md §3.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

# Accepts bare ids, `arXiv:` prefixes, abs/pdf/html URLs, `oai:` guids, HF paper URLs and the arXiv DOI form.
# The look-behind keeps us from matching inside longer numbers or words (`12307.12345`, `v2307.12345`).
# Digits and letters are ASCII only, written out rather than by IGNORECASE (which lets the long s pass for an `s` and
# the Kelvin sign for a `k`): a fullwidth or Arabic-Indic digit is no digit of an id. The look-arounds stay
# Unicode-aware on purpose, so such a digit or letter next to an id makes the whole thing no id (and so does a
# version that is not one: `2307.12345v0`, a fullwidth digit after the v). extension/lib/paper-id.js: the same.
ARXIV_ID = re.compile(
    r"(?<![\w.-])(?:[Aa][Rr][Xx][Ii][Vv][:.])?"
    r"(?P<id>(?P<new>[0-9]{4}\.[0-9]{4,5})|(?P<arch>[A-Za-z][A-Za-z-]*)(?:\.[A-Za-z]{2})?/(?P<num>[0-9]{7}))"
    r"(?:[vV](?P<v>[1-9][0-9]*))?(?![vV]?\d)"
)
# What a canonical id looks like once normalised; used to validate ids before they touch a path.
CANONICAL_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z-]*/\d{7})$", re.ASCII)
MAX_ID_INPUT = 2048
# Said wherever an id is refused, so the user sees what would have been taken.
ACCEPTED_FORMS = (
    "an arXiv id like 2307.12345 (five digits after the dot from 2015 on, four for 0704.0001 to 1412.9999) "
    "or hep-th/9901001, optionally with a version (v2), or an arxiv.org or huggingface.co/papers link to one"
)


def parse_paper_ref(text: str) -> tuple[str, int | None] | None:
    """Return `(canonical id, version or None)` for any accepted form of a paper reference, else None."""
    if not isinstance(text, str) or not text or len(text) > MAX_ID_INPUT:
        return None
    match = ARXIV_ID.search(text)
    if match is None:
        return None
    if match["new"] and not is_issued_number(match["new"]):
        return None
    base = match["new"] if match["new"] else f"{match['arch'].lower()}/{match['num']}"
    return base, int(match["v"]) if match["v"] else None


def is_issued_number(new_id: str) -> bool:
    """Could arXiv have issued this YYMM.NNNNN id? Months 01-12 from 0704 on; four digits until 1412, five
    since 1501 (arXiv's own identifier scheme). `2307.1234` is a typo for a 2023 paper, never a paper."""
    yymm, number = new_id.split(".")
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12 or (year, month) < (7, 4):
        return False
    return len(number) == (4 if year < 15 else 5)


def canonical_id(text: str) -> str | None:
    """The version-less canonical id of `text`, or None when it holds no paper id."""
    parsed = parse_paper_ref(text)
    return parsed[0] if parsed else None


def is_canonical_id(text: str) -> bool:
    return isinstance(text, str) and CANONICAL_ID.fullmatch(text) is not None


def id_month(paper_id: str) -> str | None:
    """`YYYY-MM`, the month an arXiv id was issued (its first version's submission), read from the id itself:
    `2307.12345` → `2023-07`, `hep-th/9901001` → `1999-01`. A known fact about the paper, not a guess; None
    for anything that is not a canonical id."""
    if not is_canonical_id(paper_id):
        return None
    digits = paper_id.split("/")[-1][:4]
    year, month = int(digits[:2]), int(digits[2:])
    if not 1 <= month <= 12:
        return None
    # Old-style ids ran from 1991-08 to 2007-03; new-style ids began in 2007-04.
    century = 1900 if "/" in paper_id and year >= 91 else 2000
    return f"{century + year:04d}-{month:02d}"


class State(StrEnum):
    """What the extension shows. Precedence: read > saved > seen > new; `unknown` was never ingested."""

    UNKNOWN = "unknown"
    NEW = "new"
    SEEN = "seen"
    SAVED = "saved"
    READ = "read"


# The states a listed paper can be in (every one but `unknown`), in precedence order: the CLI's choices, the
# API's `state=` values and the store's counts all come from here.
LISTED_STATES: tuple[str, ...] = tuple(s.value for s in State if s is not State.UNKNOWN)
# A list a paper came from, as `Paper.sources` names it and `list --source` / `?source=` take it: a family (`hf`,
# `arxiv`, `library`) and optionally one of its lists after a colon (`hf:week`, `arxiv:cs.LG`, `arxiv:hep-th`).
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}(?::[A-Za-z0-9._-]{1,40})?\Z", re.ASCII)
# A calendar day as the API and the CLI accept it: `YYYY-MM-DD` with a month of 01-12 and a day of 01-31.
DATE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\Z")


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper as the feeds describe it. Everything but `id` may be missing from a feed."""

    id: str
    version: int | None = None
    title: str = ""
    summary: str = ""
    authors: tuple[str, ...] = ()
    published_at: str | None = None  # arXiv publication time of the first version (ISO 8601, UTC)
    # The UTC day it first appeared on a followed list (YYYY-MM-DD): its Daily Papers day, or the day arXiv
    # announced it on a followed category; later listings keep the first day.
    daily_date: str | None = None
    submitted_at: str | None = None  # when it entered Daily Papers (ISO 8601)
    upvotes: int = 0
    num_comments: int = 0
    ai_summary: str = ""
    ai_keywords: tuple[str, ...] = ()
    organization: str = ""
    github_repo: str = ""
    project_page: str = ""
    # Every list or hand it came from, first arrival first: "hf", "hf:week", "arxiv:cs.LG", "library", "import".
    sources: tuple[str, ...] = ("hf",)
    categories: tuple[str, ...] = ()  # arXiv categories, the primary one first ("cs.LG", "stat.ML")
    # Each version papertray has heard of with the time arXiv dated it (ISO 8601 or None), oldest first.
    versions: tuple[tuple[int, str | None], ...] = ()
    first_seen_at: str | None = None  # when papertray first ingested it (set by the store)

    @property
    def source(self) -> str:
        """Where it first came from (the first of `sources`)."""
        return self.sources[0] if self.sources else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "summary": self.summary,
            "authors": list(self.authors),
            "published_at": self.published_at,
            "daily_date": self.daily_date,
            "submitted_at": self.submitted_at,
            "upvotes": self.upvotes,
            "num_comments": self.num_comments,
            "ai_summary": self.ai_summary,
            "ai_keywords": list(self.ai_keywords),
            "organization": self.organization,
            "github_repo": self.github_repo,
            "project_page": self.project_page,
            "source": self.source,
            "sources": list(self.sources),
            "categories": list(self.categories),
            "versions": [{"version": number, "at": at} for number, at in self.versions],
            "first_seen_at": self.first_seen_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper:
        return cls(
            id=str(data["id"]),
            version=data.get("version"),
            title=data.get("title") or "",
            summary=data.get("summary") or "",
            authors=tuple(data.get("authors") or ()),
            published_at=data.get("published_at"),
            daily_date=data.get("daily_date"),
            submitted_at=data.get("submitted_at"),
            upvotes=int(data.get("upvotes") or 0),
            num_comments=int(data.get("num_comments") or 0),
            ai_summary=data.get("ai_summary") or "",
            ai_keywords=tuple(data.get("ai_keywords") or ()),
            organization=data.get("organization") or "",
            github_repo=data.get("github_repo") or "",
            project_page=data.get("project_page") or "",
            sources=sources_of_record(data),
            categories=tuple(str(c) for c in data.get("categories") or ()),
            versions=_versions_from(data.get("versions")),
            first_seen_at=data.get("first_seen_at"),
        )

    def merged_with(self, newer: Paper) -> Paper:
        """The record after `newer` arrives for the same id: newer non-empty fields win, first_seen stays."""
        updates: dict[str, Any] = {}
        for name in Paper.__dataclass_fields__:
            if name in ("id", "first_seen_at"):
                continue
            value = getattr(newer, name)
            if name == "version":
                if value is not None and (self.version is None or value > self.version):
                    updates[name] = value
            elif name == "sources":
                # A cross-list or a second list adds a source; the paper stays one record.
                extra = tuple(s for s in value if s not in self.sources)
                if extra:
                    updates[name] = self.sources + extra
            elif name == "versions":
                versions = merge_versions(self.versions, value)
                if versions != self.versions:
                    updates[name] = versions
            elif name == "daily_date":
                # A paper belongs to the first day it appeared on; later re-listings keep that day.
                if self.daily_date is None and value is not None:
                    updates[name] = value
            elif name in ("upvotes", "num_comments"):
                # Only Hugging Face counts; an arXiv list's 0 means "not said", not "none left".
                if value and value != getattr(self, name):
                    updates[name] = value
            elif value not in (None, "", ()):
                updates[name] = value
        return replace(self, **updates) if updates else self


def sources_of_record(data: dict[str, Any]) -> tuple[str, ...]:
    """A stored record's sources; records written before `sources` existed name one `source`."""
    return tuple(str(s) for s in data.get("sources") or ()) or (str(data.get("source") or "hf"),)


def merge_versions(
    old: tuple[tuple[int, str | None], ...], new: tuple[tuple[int, str | None], ...]
) -> tuple[tuple[int, str | None], ...]:
    """Every version of both, oldest first; a version's known time wins over an unknown one."""
    times: dict[int, str | None] = dict(old)
    for number, at in new:
        if times.get(number) is None:
            times[number] = at
    return tuple(sorted(times.items()))


def _versions_from(raw: Any) -> tuple[tuple[int, str | None], ...]:
    if not isinstance(raw, list):
        return ()
    pairs: list[tuple[int, str | None]] = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("version"), int) and not isinstance(item["version"], bool):
            at = item.get("at")
            pairs.append((item["version"], at if isinstance(at, str) else None))
    return merge_versions((), tuple(pairs))


@dataclass(frozen=True, slots=True)
class PaperState:
    """What the user did with a paper. Precious: kept apart from the feed cache, never lost."""

    id: str
    seen_at: str | None = None
    saved_at: str | None = None
    read_at: str | None = None
    dismissed_at: str | None = None
    tags: tuple[str, ...] = ()
    note: str = ""
    updated_at: str | None = None
    # The citation key exports use; given once (imported, or made from author, year and title) and never changed.
    cite_key: str = ""

    @property
    def state(self) -> State:
        if self.read_at:
            return State.READ
        if self.saved_at:
            return State.SAVED
        if self.seen_at:
            return State.SEEN
        return State.NEW

    @property
    def saved(self) -> bool:
        return self.saved_at is not None

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def dismissed(self) -> bool:
        return self.dismissed_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seen_at": self.seen_at,
            "saved_at": self.saved_at,
            "read_at": self.read_at,
            "dismissed_at": self.dismissed_at,
            "tags": list(self.tags),
            "note": self.note,
            "updated_at": self.updated_at,
            **({"cite_key": self.cite_key} if self.cite_key else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaperState:
        return cls(
            id=str(data["id"]),
            seen_at=data.get("seen_at"),
            saved_at=data.get("saved_at"),
            read_at=data.get("read_at"),
            dismissed_at=data.get("dismissed_at"),
            tags=tuple(data.get("tags") or ()),
            note=data.get("note") or "",
            updated_at=data.get("updated_at"),
            cite_key=str(data.get("cite_key") or ""),
        )


@dataclass(frozen=True, slots=True)
class SourceState:
    """How polling one source is going; shown by `papertray status`, the tray and the API."""

    name: str
    last_poll_at: str | None = None
    last_success_at: str | None = None
    next_poll_at: str | None = None
    error_count: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    papers_last_poll: int = 0
    skipped_entries: int = 0
    polling: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "last_poll_at": self.last_poll_at,
            "last_success_at": self.last_success_at,
            "next_poll_at": self.next_poll_at,
            "error_count": self.error_count,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "papers_last_poll": self.papers_last_poll,
            "skipped_entries": self.skipped_entries,
            "polling": self.polling,
            **({"extra": self.extra} if self.extra else {}),
        }
