"""arXiv's export API (`/api/query`, Atom): pure, no I/O. Used by the reading list for a paper's details and
current version; the listing feeds come next (issue 13).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

from yarl import URL

from papertray.models import Paper, parse_paper_ref
from papertray.sources.daily_papers import MAX_VERSION, utc_timestamp

log = logging.getLogger(__name__)

ATOM = {"a": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}


def parse_arxiv_atom(body: bytes, paper_id: str) -> Paper | None:
    """The entry for `paper_id` in an arXiv export API answer, or None (no entry, or the Error entry)."""
    try:
        # expat does not fetch external entities and limits entity expansion (Python >= 3.7.1, expat >= 2.4.1).
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        return None
    for entry in root.findall("a:entry", ATOM):
        ref = parse_paper_ref(entry.findtext("a:id", "", ATOM))
        if ref is None or ref[0] != paper_id:
            continue
        title = " ".join(entry.findtext("a:title", "", ATOM).split())
        if title == "Error":
            return None
        authors = tuple(" ".join((a.findtext("a:name", "", ATOM)).split()) for a in entry.findall("a:author", ATOM))
        version = ref[1]
        if version is not None and version > MAX_VERSION:
            # Upstream garbage (a number past 2**64 crashed the store's JSON): keep the entry, drop the field.
            log.warning("arXiv reported an impossible version id=%s digits=%d", paper_id, len(str(version)))
            version = None
        return Paper(
            id=paper_id,
            version=version,
            title=title,
            summary=" ".join(entry.findtext("a:summary", "", ATOM).split()),
            authors=tuple(a for a in authors if a),
            published_at=utc_timestamp(entry.findtext("a:published", None, ATOM)),  # as Hugging Face's
            source="arxiv",
        )
    return None


def arxiv_api_base(arxiv_url: str) -> str:
    """arXiv serves its export API from export.arxiv.org; a test or mirror base serves both from one place."""
    url = URL(arxiv_url)
    if url.host in ("arxiv.org", "www.arxiv.org"):
        return str(url.with_host("export.arxiv.org")).rstrip("/")
    return arxiv_url.rstrip("/")
