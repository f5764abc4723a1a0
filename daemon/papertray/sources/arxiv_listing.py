"""arXiv's RSS listing feed (`rss.arxiv.org/rss/cs.LG+cs.CL`, reference/feeds.md §4.2): pure, no I/O.

One item per paper and announcement: `new` (first announced in the feed's categories), `cross` (a cross-list
into them: the same paper), `replace` and `replace-cross` (a new version: `versions` gets `(n, pubDate)`).
The id is read from the guid (`oai:arXiv.org:2509.13338v1`), else the link, else the description, in any old or
new form. An item listed twice is one paper; an unknown `announce_type` is skipped and counted.

A feed cut off mid-way keeps the items that arrived whole (read with a pull parser) and says so in one sentence;
so does an empty listing on a weekday (arXiv announces Sunday to Thursday evenings, so its feed is empty on
Saturdays and Sundays only). A body that is no RSS at all (HTML, an error page) is a `FeedError`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast

from yarl import URL

from papertray.errors import FeedError
from papertray.models import Paper, parse_paper_ref
from papertray.sources.arxiv import CATEGORY
from papertray.sources.daily_papers import MAX_VERSION
from papertray.timestamps import iso_z

ARXIV_NS = "http://arxiv.org/schemas/atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
ANNOUNCE_TYPES = frozenset({"new", "cross", "replace", "replace-cross"})
WEEKEND = (5, 6)  # Saturday, Sunday: no announcement, an empty feed is expected


@dataclass(frozen=True, slots=True)
class Listing:
    """What one listing feed said: its papers (one per id), the announcement day, what was left out and why."""

    papers: tuple[Paper, ...]
    day: str | None  # the announcement day (the channel's pubDate, in arXiv's own time zone), YYYY-MM-DD
    unknown_types: int = 0  # items of an announce_type papertray does not know
    skipped: int = 0  # items without a usable id
    duplicates: int = 0  # items that listed a paper already listed
    error: str | None = None  # one sentence when the feed was cut off or empty on a weekday


def listing_query(followed: Sequence[str]) -> str:
    """The combined feed's path segment: `cs.LG+cs.CL`."""
    return "+".join(followed)


def arxiv_rss_base(arxiv_url: str) -> str:
    """arXiv serves its listing feeds from rss.arxiv.org; a test or mirror base serves them from one place."""
    url = URL(arxiv_url)
    if url.host in ("arxiv.org", "www.arxiv.org"):
        return str(url.with_host("rss.arxiv.org")).rstrip("/")
    return arxiv_url.rstrip("/")


def followed_sources(categories: Sequence[str], followed: Sequence[str]) -> tuple[str, ...]:
    """`arxiv:<name>` for each followed archive or category a paper belongs to (an archive holds its
    categories: `cs` follows `cs.LG`); plain `arxiv` when it belongs to none of them."""
    hits = [
        name
        for name in followed
        if any(cat == name or ("." not in name and cat.startswith(name + ".")) for cat in categories)
    ]
    return tuple(f"arxiv:{name}" for name in hits) or ("arxiv",)


def parse_listing(body: bytes, followed: Sequence[str]) -> Listing:
    """Every usable item of one listing feed. Raises `FeedError` in one sentence for a body that is no RSS."""
    what = listing_query(followed)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    channel_day: str | None = None
    root_seen = False
    papers: dict[str, Paper] = {}
    unknown = skipped = duplicates = 0
    cut: str | None = None
    try:
        # expat does not fetch external entities and limits entity expansion (Python >= 3.7.1, expat >= 2.4.1).
        parser.feed(body)
        parser.close()
    except ET.ParseError as exc:
        cut = str(exc)
    events = cast(Iterator[tuple[str, Any]], parser.read_events())  # typeshed's union of every event's payload
    for event, found in events:
        if not isinstance(found, ET.Element):
            continue  # only start and end events were asked for, which carry elements
        element: ET.Element = found
        if event == "start":
            if not root_seen:
                root_seen = True
                if element.tag != "rss":
                    raise FeedError(f"arXiv answered the listing for {what} with something that is not an RSS feed.")
            continue
        if element.tag == "pubDate" and channel_day is None and not papers:
            channel_day = _day(element.text)
        elif element.tag == "item":
            kind = (element.findtext(f"{{{ARXIV_NS}}}announce_type") or _type_in(element) or "").strip().lower()
            if kind not in ANNOUNCE_TYPES:
                unknown += 1
            else:
                paper = _paper(element, kind, followed)
                if paper is None:
                    skipped += 1
                elif paper.id in papers:
                    duplicates += 1
                    papers[paper.id] = papers[paper.id].merged_with(paper)
                else:
                    papers[paper.id] = paper
            element.clear()  # a day of 1,000 items need not be held twice
    if not root_seen:
        raise FeedError(f"arXiv answered the listing for {what} with something that is not an RSS feed ({cut}).")
    error = None
    if cut is not None:
        kept = f"the {len(papers)} whole items before the cut were kept" if papers else "nothing in it was usable"
        error = f"arXiv's listing for {what} was cut off ({cut}); {kept}."
    elif not papers and not unknown and not skipped and not _weekend(channel_day):
        error = (
            f"arXiv's listing for {what} of {channel_day or 'an unknown day'} has no papers although arXiv announces "
            "on weekdays; papertray will ask again later."
        )
    return Listing(tuple(papers.values()), channel_day, unknown, skipped, duplicates, error)


def _paper(item: ET.Element, kind: str, followed: Sequence[str]) -> Paper | None:
    ref = None
    for text in (item.findtext("guid"), item.findtext("link"), item.findtext("description")):
        ref = parse_paper_ref(text or "")
        if ref is not None:
            break
    if ref is None:
        return None
    paper_id, version = ref
    if version is not None and version > MAX_VERSION:
        version = None
    announced = _moment(item.findtext("pubDate"))
    terms = (_text(element.text) for element in item.findall("category"))
    categories = tuple(dict.fromkeys(term for term in terms if CATEGORY.fullmatch(term)))
    if version is None and kind in ("new", "cross"):
        version = 1  # a first announcement is version 1, whether or not the guid says so
    paper = Paper(
        id=paper_id,
        version=version,
        title=_text(item.findtext("title")),
        summary=_abstract(item.findtext("description")),
        authors=_authors(item.findtext(f"{{{DC_NS}}}creator")),
        # v1's announcement is its publication; a replacement says nothing of when v1 came out
        published_at=announced if kind == "new" and version == 1 else None,
        daily_date=_day(item.findtext("pubDate")),
        sources=followed_sources(categories, followed),
        categories=categories,
        versions=((version, announced),) if version is not None else (),
    )
    return paper


def _type_in(item: ET.Element) -> str | None:
    """Older feeds say the type only in the description: `arXiv:2509.13338v1 Announce Type: new`."""
    text = item.findtext("description") or ""
    marker = "Announce Type:"
    if marker not in text:
        return None
    rest = text.split(marker, 1)[1].split()
    return rest[0] if rest else None


def _abstract(description: str | None) -> str:
    text = description or ""
    if "Abstract:" in text:
        text = text.split("Abstract:", 1)[1]
    return _text(text)


def _authors(creator: str | None) -> tuple[str, ...]:
    text = _text(creator).replace(" and ", ", ")
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _parsed(value: str | None) -> datetime | None:
    try:
        moment = parsedate_to_datetime((value or "").strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _moment(value: str | None) -> str | None:
    moment = _parsed(value)
    return iso_z(moment) if moment is not None else None


def _day(value: str | None) -> str | None:
    """The day as arXiv dates it (its own midnight, `-0400`): Thu 18 Sep 2025 00:00 -0400 is 2025-09-18."""
    moment = _parsed(value)
    return moment.date().isoformat() if moment is not None else None


def _weekend(day: str | None) -> bool:
    return day is not None and date.fromisoformat(day).weekday() in WEEKEND


def with_sources(paper: Paper, followed: Sequence[str]) -> Paper:
    """An export API paper (source `arxiv`) labelled with the followed lists its categories belong to."""
    return replace(paper, sources=followed_sources(paper.categories, followed))
