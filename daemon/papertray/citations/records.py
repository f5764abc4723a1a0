"""What every citation format shares: the imported entry and the report of what was skipped, what an export
reads from a paper, and the field rules the formats agree on (the year, the arXiv links, tags, arXiv ids)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from papertray.models import id_month, parse_paper_ref

MAX_IMPORT_CHARS = 20 * 1024 * 1024
TOO_LARGE = "it is larger than 20 MB; split it and import the parts."
NO_ARXIV_ID = "No arXiv id in it (papertray keeps arXiv papers only)."


class PaperLike(Protocol):
    """What an export needs: store.PaperView satisfies it (kept structural so this package stays pure)."""

    @property
    def id(self) -> str: ...

    def to_dict(self, *, full: bool = True) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class ImportEntry:
    id: str
    version: int | None = None
    title: str = ""
    authors: tuple[str, ...] = ()
    summary: str = ""
    published_at: str | None = None  # ISO date (YYYY, YYYY-MM or YYYY-MM-DD)
    tags: tuple[str, ...] = ()
    note: str = ""
    read: bool = False
    key: str = ""  # the record's own citation key (Zotero's, the user's), kept for their \cite{}s


@dataclass(frozen=True, slots=True)
class Skipped:
    label: str  # the citation key, the title, or "entry N": how the user recognises it
    reason: str  # one sentence


@dataclass
class ParseResult:
    entries: list[ImportEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    records: int = 0  # records found, read or not: 0 means the text is not in this format at all
    problem: str | None = None  # why the text as a whole is not in this format ("it …" clause), or None


def year_of(data: dict[str, Any]) -> str:
    for key in ("published_at", "daily_date"):
        value = data.get(key)
        if isinstance(value, str) and re.match(r"^[0-9]{4}", value):
            return value[:4]
    # Never the day it was saved (a paper saved before its metadata came was exported as this year's): the id
    # itself says the year and month arXiv issued it, which is known; anything else stays unknown (11.20).
    month = id_month(str(data.get("id", "")))
    return month[:4] if month else ""


def abs_url(paper_id: str) -> str:
    return f"https://arxiv.org/abs/{paper_id}"


def arxiv_doi(paper_id: str) -> str:
    """The DataCite DOI arXiv registers for every paper."""
    return f"10.48550/arXiv.{paper_id}"


def find_arxiv(values: Iterable[Any]) -> tuple[str, int | None] | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            text = value.strip()
            # The DataCite DOI of an arXiv paper: 10.48550/arXiv.2307.12345
            text = re.sub(r"10\.48550/arxiv\.", "arXiv:", text, flags=re.IGNORECASE)
            found = parse_paper_ref(text)
            if found is not None:
                return found
    return None


def tags_of(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        items = [str(v) for v in value]
    elif isinstance(value, str):
        items = re.split(r"[,;]", value)
    else:
        return ()
    return tuple(dict.fromkeys(t.strip() for t in items if t.strip()))
