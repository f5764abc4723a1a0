"""arXiv's export API (`/api/query`, Atom): pure, no I/O. The reading list asks it for a paper's details and
current version; catch-up and the saved papers' version check read whole pages of it.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from yarl import URL

from papertray.errors import FeedError
from papertray.models import Paper, parse_paper_ref
from papertray.sources.daily_papers import MAX_VERSION, utc_timestamp

log = logging.getLogger(__name__)

ATOM = {
    "a": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
# An arXiv archive or category as arXiv writes them: `cs`, `cs.LG`, `math.AG`, `hep-th`, `astro-ph.CO`, `q-bio.NC`.
CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]{2,3})?", re.ASCII)


@dataclass(frozen=True, slots=True)
class ExportPage:
    """One page of an export API answer: its papers and where the page sits in the whole result."""

    papers: tuple[Paper, ...]
    total: int  # opensearch:totalResults (0 when the answer does not say)
    start: int  # opensearch:startIndex
    skipped: int  # entries without a usable id


def parse_export_page(body: bytes) -> ExportPage:
    """Every entry of an export API answer (`/api/query`), each with its categories (primary first) and the
    version its id names, dated by the entry's `updated`. Raises `FeedError` in one sentence for an answer
    that is not Atom, and for arXiv's error feed (one entry titled `Error`, its reason in the summary)."""
    try:
        # expat does not fetch external entities and limits entity expansion (Python >= 3.7.1, expat >= 2.4.1).
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise FeedError(f"arXiv's export API answered with something that is not an Atom feed ({exc}).") from exc
    if root.tag != f"{{{ATOM['a']}}}feed":
        raise FeedError("arXiv's export API answered with something that is not an Atom feed.")
    papers: list[Paper] = []
    skipped = 0
    for entry in root.findall("a:entry", ATOM):
        title = _text(entry.findtext("a:title", "", ATOM))
        ref = parse_paper_ref(entry.findtext("a:id", "", ATOM))
        if title == "Error" and ref is None:
            reason = _text(entry.findtext("a:summary", "", ATOM)) or "no reason given"
            raise FeedError(f"arXiv's export API refused the query: {reason[:200]}.")
        if ref is None:
            skipped += 1
            continue
        papers.append(_paper(entry, ref[0], ref[1], title))
    return ExportPage(
        papers=tuple(papers),
        total=_count(root.findtext("opensearch:totalResults", "", ATOM)),
        start=_count(root.findtext("opensearch:startIndex", "", ATOM)),
        skipped=skipped,
    )


def parse_arxiv_atom(body: bytes, paper_id: str) -> Paper | None:
    """The entry for `paper_id` in an arXiv export API answer, or None (no entry, the error feed, not Atom)."""
    try:
        page = parse_export_page(body)
    except FeedError:
        return None
    return next((paper for paper in page.papers if paper.id == paper_id), None)


def _paper(entry: ET.Element, paper_id: str, version: int | None, title: str) -> Paper:
    authors = tuple(_text(a.findtext("a:name", "", ATOM)) for a in entry.findall("a:author", ATOM))
    if version is not None and version > MAX_VERSION:
        # Upstream garbage (a number past 2**64 crashed the store's JSON): keep the entry, drop the field.
        log.warning("arXiv reported an impossible version id=%s digits=%d", paper_id, len(str(version)))
        version = None
    published = utc_timestamp(entry.findtext("a:published", None, ATOM))  # as Hugging Face's
    updated = utc_timestamp(entry.findtext("a:updated", None, ATOM))
    primary = entry.find("arxiv:primary_category", ATOM)
    terms = [c.get("term", "").strip() for c in entry.findall("a:category", ATOM)]
    first = [primary.get("term", "").strip()] if primary is not None else []
    categories = tuple(dict.fromkeys(t for t in first + terms if CATEGORY.fullmatch(t)))
    return Paper(
        id=paper_id,
        version=version,
        title=title,
        summary=_text(entry.findtext("a:summary", "", ATOM)),
        authors=tuple(a for a in authors if a),
        published_at=published,
        sources=("arxiv",),
        categories=categories,
        # v1's time is `published`; a later version's is the entry's `updated`.
        versions=((version, published if version == 1 else updated),) if version is not None else (),
    )


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _count(value: str | None) -> int:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else 0


def arxiv_api_base(arxiv_url: str) -> str:
    """arXiv serves its export API from export.arxiv.org; a test or mirror base serves both from one place."""
    url = URL(arxiv_url)
    if url.host in ("arxiv.org", "www.arxiv.org"):
        return str(url.with_host("export.arxiv.org")).rstrip("/")
    return arxiv_url.rstrip("/")
