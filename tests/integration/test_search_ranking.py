"""Issue 16: how the index orders and counts matches (a real SQLite FTS5 index file in a temp dir), with and
without filters, since the two paths build different SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertray.search.index import Doc, Filters, IndexFile
from papertray.search.query import to_fts

TITLE = Doc(
    "2401.00010",
    title="Sparse Autoencoders for Vision Transformers",
    abstract="We study features learned by dictionary methods.",
    day="2024-01-05",
)
# The query's words only in the abstract, and more often than in the title match: still ranked below it.
ABSTRACT_ONLY = Doc(
    "2402.00020",
    title="Dictionary Learning at Scale",
    abstract="Sparse autoencoders trained on vision transformers: sparse autoencoders, vision transformers again.",
    day="2024-02-05",
)
OTHER = Doc("2403.00030", title="Protein Folding", abstract="Nothing about the query.", day="2024-03-05")

FILTERS = [Filters(), Filters(since="2024-01-01")]  # no join / the join with the docs table


@pytest.fixture
def index(tmp_path: Path) -> IndexFile:
    found = IndexFile.open(tmp_path / "index.sqlite3")
    found.upsert([TITLE, ABSTRACT_ONLY, OTHER])
    return found


@pytest.mark.parametrize("filters", FILTERS)
def test_i16_multi_word_query_ranks_a_title_match_above_an_abstract_only_match(
    index: IndexFile, filters: Filters
) -> None:
    for query in ("sparse vision autoencoders", '"vision transformers" sparse', "autoenc* vision"):
        page = index.search(to_fts(query), filters, limit=20)
        assert [hit.id for hit in page.hits] == [TITLE.id, ABSTRACT_ONLY.id], query
        assert page.total == 2 and page.hits[0].score < page.hits[1].score  # bm25: lower is better
        assert "\x02" in page.hits[0].snippet  # the matched words are marked in the snippet


@pytest.mark.parametrize("filters", FILTERS)
def test_i16_papers_with_equal_scores_list_the_newest_first(tmp_path: Path, filters: Filters) -> None:
    # The same text posted three times (a replacement under a new id, a duplicate listing): the newest first,
    # whatever order they were indexed in.
    index = IndexFile.open(tmp_path / "index.sqlite3")
    ids = ["2405.00001", "2301.00002", "2409.00003"]
    index.upsert([Doc(pid, title="Graph Transformers", abstract="Same text.", day="2024-06-01") for pid in ids])
    page = index.search(to_fts("graph transformers"), filters, limit=20)
    assert [hit.id for hit in page.hits] == ["2409.00003", "2405.00001", "2301.00002"]
    assert index.search(to_fts("graph"), filters, limit=1, offset=1).hits[0].id == "2405.00001"


@pytest.mark.parametrize("filters", FILTERS)
def test_i16_a_page_past_the_last_match_still_says_how_many_there_are(index: IndexFile, filters: Filters) -> None:
    page = index.search(to_fts("sparse"), filters, limit=20, offset=40)
    assert page.hits == [] and page.total == 2 and not page.more
    assert index.search(to_fts("quokka"), filters, limit=20).total == 0
