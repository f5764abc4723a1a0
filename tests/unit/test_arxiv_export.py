"""The export API's pages (real captures) and one record per paper whichever list it came from (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertray.errors import FeedError
from papertray.models import Paper
from papertray.sources.arxiv import parse_export_page

# Real captures copied into the repository (tests/fixtures/arxiv/PROVENANCE.md says from where).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "arxiv"


def test_i13_a_real_export_page_gives_every_paper_with_its_categories_primary_first() -> None:
    page = parse_export_page((FIXTURES / "arxiv_api_query_2026-06-14.atom.xml").read_bytes())
    assert (page.total, page.start, len(page.papers), page.skipped) == (28946, 0, 5, 0)
    mana = page.papers[0]
    assert mana.id == "2606.13677" and mana.version == 1
    assert mana.categories == ("cs.RO", "cs.AI", "cs.CV", "cs.LG")  # primary cs.RO first, no repeat
    assert mana.versions == ((1, "2026-06-11T17:59:49.000Z"),)
    assert mana.sources == ("arxiv",)


def test_i13_the_error_feed_is_one_sentence_naming_arxivs_reason() -> None:
    with pytest.raises(FeedError, match=r"refused the query: incorrect id format for 1234\.12345"):
        parse_export_page((FIXTURES / "api_error_feed.xml").read_bytes())


@pytest.mark.parametrize(
    "body", [b"<html><body>Service unavailable</body></html>", b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>"]
)
def test_i13_an_answer_that_is_not_an_atom_feed_is_a_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError, match="not an Atom feed"):
        parse_export_page(body)


def test_i13_a_paper_seen_on_hf_and_two_lists_is_one_record_with_every_source_and_version() -> None:
    from_hf = Paper(id="2307.12345", version=1, title="T", upvotes=12, daily_date="2023-07-24")
    from_lg = Paper(
        id="2307.12345",
        version=1,
        sources=("arxiv:cs.LG",),
        categories=("cs.LG", "cs.CL"),
        versions=((1, "2023-07-23T10:00:00Z"),),
        daily_date="2023-07-25",
    )
    from_cl = Paper(id="2307.12345", version=2, sources=("arxiv:cs.CL",), versions=((2, "2023-08-01T09:00:00Z"),))
    merged = from_hf.merged_with(from_lg).merged_with(from_cl).merged_with(from_lg)
    assert merged.sources == ("hf", "arxiv:cs.LG", "arxiv:cs.CL")
    assert merged.categories == ("cs.LG", "cs.CL")
    assert merged.version == 2
    assert merged.versions == ((1, "2023-07-23T10:00:00Z"), (2, "2023-08-01T09:00:00Z"))
    assert merged.daily_date == "2023-07-24" and merged.upvotes == 12  # its first day stays


def test_i13_records_written_before_sources_existed_read_as_one_source() -> None:
    old = {"id": "2307.12345", "title": "T", "source": "library"}
    paper = Paper.from_dict(old)
    assert paper.sources == ("library",) and paper.source == "library"
    assert Paper.from_dict(paper.to_dict()) == paper
    assert Paper.from_dict(
        {"id": "2307.12345", "versions": [{"version": True}, "x", {"version": 3, "at": 5}]}
    ).versions == ((3, None),)
