"""Issue 16: how the index orders and counts matches (a real tantivy and SQLite index in a temp dir), with and
without filters, since filters are clauses of the query that must not change the ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertray.search.index import Doc, Filters, IndexFile
from papertray.search.query import parse

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
        page = index.search(parse(query), filters, limit=20)
        assert [hit.id for hit in page.hits] == [TITLE.id, ABSTRACT_ONLY.id], query
        assert page.total == 2 and page.hits[0].score < page.hits[1].score  # negated BM25: lower is better
        assert "\x02" in page.hits[0].snippet  # the matched words are marked in the snippet


@pytest.mark.parametrize("filters", FILTERS)
def test_i16_papers_with_equal_scores_list_the_newest_first(tmp_path: Path, filters: Filters) -> None:
    # The same text posted three times (a replacement under a new id, a duplicate listing): the newest first,
    # whatever order they were indexed in.
    index = IndexFile.open(tmp_path / "index.sqlite3")
    ids = ["2405.00001", "2301.00002", "2409.00003"]
    index.upsert([Doc(pid, title="Graph Transformers", abstract="Same text.", day="2024-06-01") for pid in ids])
    page = index.search(parse("graph transformers"), filters, limit=20)
    assert [hit.id for hit in page.hits] == ["2409.00003", "2405.00001", "2301.00002"]
    assert index.search(parse("graph"), filters, limit=1, offset=1).hits[0].id == "2405.00001"


@pytest.mark.parametrize("filters", FILTERS)
def test_i16_a_page_past_the_last_match_still_says_how_many_there_are(index: IndexFile, filters: Filters) -> None:
    page = index.search(parse("sparse"), filters, limit=20, offset=40)
    assert page.hits == [] and page.total == 2 and not page.more
    assert index.search(parse("quokka"), filters, limit=20).total == 0


def test_i16_a_phrase_matches_its_words_in_order_not_only_its_word_pairs(tmp_path: Path) -> None:
    # Phrases are answered from indexed word pairs: "sparse autoencoders" and "autoencoders vision" both occur in
    # the second paper, but not "sparse autoencoders vision"; the third paper has the words, not the phrase.
    index = IndexFile.open(tmp_path / "index.sqlite3")
    try:
        index.upsert(
            [
                Doc("2401.00001", title="Sparse autoencoders vision models"),
                Doc("2401.00002", title="Sparse autoencoders; autoencoders vision"),
                Doc("2401.00003", title="Vision autoencoders sparse"),
                Doc("hep-th/9901001", title="Branes", abstract="cite 2401.00001 here"),
            ]
        )
        assert [h.id for h in index.search(parse('"sparse autoencoders vision"'), Filters(), limit=9).hits] == [
            "2401.00001"
        ]
        both = {h.id for h in index.search(parse('"sparse autoencoders"'), Filters(), limit=9).hits}
        assert both == {"2401.00001", "2401.00002"}
        assert [h.id for h in index.search(parse("autoencoders-vision mod*"), Filters(), limit=9).hits] == [
            "2401.00001"  # a phrase of a word's parts, then a prefix
        ]
        assert [h.id for h in index.search(parse("hep-th/99010*"), Filters(), limit=9).hits] == ["hep-th/9901001"]
        # An id is a phrase of its parts: found in the paper itself first, then where it is cited.
        assert [h.id for h in index.search(parse("2401.00001"), Filters(), limit=9).hits] == [
            "2401.00001",
            "hep-th/9901001",
        ]
        assert [h.id for h in index.search(parse("hep-th/9901001"), Filters(), limit=9).hits] == ["hep-th/9901001"]
    finally:
        index.close()


@pytest.mark.parametrize("filters", FILTERS)
def test_i16_a_prefix_alone_lists_title_matches_newest_first_then_the_others(tmp_path: Path, filters: Filters) -> None:
    index = IndexFile.open(tmp_path / "index.sqlite3")
    try:
        index.upsert(
            [
                Doc("2402.00001", title="Interpretability of circuits", day="2024-02-01"),
                Doc("2405.00002", title="Interpretable features", day="2024-05-01"),
                Doc("2409.00003", title="Protein folding", abstract="An interpretable model.", day="2024-09-01"),
                Doc("2403.00004", title="Scaling laws", abstract="Nothing to see.", day="2024-03-01"),
                Doc("2410.00005", title="Graph learning", authors="Ida Interpol", day="2024-10-01"),
            ]
        )
        page = index.search(parse("interp*"), filters, limit=10)
        assert [hit.id for hit in page.hits] == ["2405.00002", "2402.00001", "2410.00005", "2409.00003"]
        assert page.total == 4
        assert [hit.id for hit in index.search(parse("interp*"), filters, limit=2, offset=1).hits] == [
            "2402.00001",
            "2410.00005",
        ]
        assert "\x02Interpretable\x03" in page.hits[0].snippet
        recent = index.search(parse("interp*"), Filters(since="2024-09-01"), limit=10)
        assert [hit.id for hit in recent.hits] == ["2410.00005", "2409.00003"] and recent.total == 2
    finally:
        index.close()
