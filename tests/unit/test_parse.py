"""The sources' parsers: Daily Papers (its list and its paper endpoint) on the real entry shapes, the 53-entry
synthetic day, a real recorded day and broken input; and the dates of arXiv's export API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from papertray.errors import FeedError
from papertray.sources.arxiv import parse_arxiv_atom
from papertray.sources.daily_papers import MAX_COUNT, parse_daily_papers, parse_paper_details
from tests.support.feed_server import load_entry, load_fixture_day, load_real_day, make_entry


def body(entries: list[Any]) -> bytes:
    return json.dumps(entries).encode()


def test_the_2024_shape_without_daily_date_or_ai_fields() -> None:
    papers, skipped = parse_daily_papers(body([load_entry("entry_2024-10-25_raw")]), day="2024-10-25")
    assert skipped == 0
    [paper] = papers
    assert paper.id == "2410.16251"
    assert paper.version is None
    assert paper.title == "Can Knowledge Editing Really Correct Hallucinations?"
    # arXiv's hard line breaks are gone from the abstract
    assert "\n" not in paper.summary
    assert paper.summary.startswith(
        "Large Language Models (LLMs) suffer from hallucinations, referring to the non-factual"
    )
    assert paper.authors == ("Baixiang Huang", "Canyu Chen", "Xiongxiao Xu", "Ali Payani", "Kai Shu")
    assert paper.published_at == "2024-10-21T17:55:54.000Z"
    # no submittedOnDailyAt: the day asked for, and the entry's own submission time
    assert paper.daily_date == "2024-10-25"
    assert paper.submitted_at == "2024-10-25T03:32:14.953Z"
    assert paper.upvotes == 41
    assert paper.num_comments == 2
    assert (paper.ai_summary, paper.ai_keywords, paper.github_repo, paper.project_page) == ("", (), "", "")
    assert paper.source == "hf"


def test_the_2026_shape_with_every_optional_field() -> None:
    # asked for the next day: the paper still belongs to the day it entered Daily Papers
    papers, skipped = parse_daily_papers(body([load_entry("entry_2026-03")]), day="2026-03-07")
    assert skipped == 0
    [paper] = papers
    assert paper.id == "2602.23229"
    assert paper.title == "Large Multimodal Models as General In-Context Classifiers"
    assert paper.daily_date == "2026-03-06"
    assert paper.submitted_at == "2026-03-06T03:55:12.777Z"
    assert paper.authors[0] == "Marco Garosi" and len(paper.authors) == 5
    assert paper.ai_summary.startswith("Large Multimodal Models demonstrate superior performance")
    assert "in-context learning" in paper.ai_keywords
    assert paper.github_repo == "https://github.com/marco-garosi/CIRCLE"
    assert paper.project_page == "https://circle-lmm.github.io/"
    assert paper.organization == "Multimedia and Human Understanding Group"
    assert paper.upvotes == 10
    assert paper.num_comments == 1


def test_the_synthetic_day_gives_exactly_53_papers() -> None:
    entries = load_fixture_day()
    papers, skipped = parse_daily_papers(body(entries), day="2025-07-31")
    assert skipped == 0
    assert len(papers) == 53
    assert len({p.id for p in papers}) == 53
    assert {p.id for p in papers} == {e["paper"]["id"] for e in entries}
    assert {p.daily_date for p in papers} == {"2025-07-31"}
    assert all(p.title and p.summary and p.authors for p in papers)


def test_bad_entries_are_skipped_and_counted_and_the_rest_kept() -> None:
    good = [make_entry("2507.00001", "2025-07-31"), make_entry("2507.00002", "2025-07-31")]
    bad: list[Any] = [
        "2507.00003",  # not an object
        None,
        {"title": "no paper, no id"},
        {"paper": {"title": "a paper without id"}},
        {"paper": {"id": 2507.00004}},  # id is a number
        {"paper": {"id": "not-an-id"}},
        {"paper": {"id": ""}},
    ]
    papers, skipped = parse_daily_papers(body([good[0], *bad, good[1]]), day="2025-07-31")
    assert [p.id for p in papers] == ["2507.00001", "2507.00002"]
    assert skipped == len(bad)


def test_fields_of_the_wrong_type_are_dropped_not_the_paper() -> None:
    entry = make_entry(
        "2507.00001",
        "2025-07-31",
        title=42,
        authors="Ada Lovelace",
        upvotes="many",
        organization=["x"],
        ai_keywords="not a list",
        githubRepo="javascript:alert(1)",
        submittedOnDailyAt="yesterday",
        publishedAt=None,
    )
    entry["title"] = None
    entry["numComments"] = True
    [paper], skipped = parse_daily_papers(body([entry]), day="2025-07-31")
    assert skipped == 0
    assert paper.id == "2507.00001"
    assert paper.title == ""
    assert paper.authors == ()
    assert paper.upvotes == 0 and paper.num_comments == 0
    assert paper.organization == "" and paper.ai_keywords == () and paper.github_repo == ""
    assert paper.daily_date == "2025-07-31"  # unusable submittedOnDailyAt: the day asked for
    assert paper.published_at is None


def test_only_the_id_is_needed_and_unknown_fields_are_ignored() -> None:
    entries = [{"paper": {"id": "2507.00009", "somethingNew": {"x": 1}}, "alsoNew": [1, 2]}]
    [paper], skipped = parse_daily_papers(body(entries), day="2025-07-30")
    assert (paper.id, paper.daily_date, paper.title, skipped) == ("2507.00009", "2025-07-30", "", 0)


def test_fields_at_the_top_level_are_found_too() -> None:
    entry = {
        "paper": {"id": "2507.00001"},
        "title": "Top-level\n   title",
        "summary": "Top-level summary",
        "ai_summary": "AI summary",
        "ai_keywords": ["a", "b", "a"],
        "githubRepo": "https://github.com/x/y",
        "projectPage": "https://example.org/",
        "organization": {"name": "org-name"},
    }
    [paper], _ = parse_daily_papers(body([entry]), day="2025-07-31")
    assert paper.title == "Top-level title"
    assert paper.summary == "Top-level summary"
    assert paper.ai_summary == "AI summary"
    assert paper.ai_keywords == ("a", "b")
    assert paper.github_repo == "https://github.com/x/y"
    assert paper.project_page == "https://example.org/"
    assert paper.organization == "org-name"


def test_versioned_and_old_style_ids_are_canonicalised() -> None:
    entries = [{"paper": {"id": "2307.12345v3"}}, {"paper": {"id": "math.GT/0309136v2"}}, {"id": "hep-th/9901001"}]
    papers, skipped = parse_daily_papers(body(entries), day="2025-07-31")
    assert [(p.id, p.version) for p in papers] == [("2307.12345", 3), ("math/0309136", 2), ("hep-th/9901001", None)]
    assert skipped == 0


def test_an_empty_day_is_no_papers_and_no_error() -> None:
    assert parse_daily_papers(b"[]", day="2025-08-02") == ([], 0)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"<!DOCTYPE html><html><body>Bad gateway</body></html>", "web page"),
        (b'[{"paper": {"id": "2507.00001"}}, {"paper": {"id": "25', "cut off"),
        (b'{"papers": []}', "JSON object"),
        (b'{"error": "Invalid date\\n"}', "Invalid date"),
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\xff\xfe\xfa[]", "not"),
        (b"null", "null"),
        (b"42", "number"),
    ],
)
def test_a_body_that_is_not_a_list_is_one_clear_sentence(raw: bytes, says: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_daily_papers(raw, day="2025-07-31", host="huggingface.co")
    message = str(caught.value)
    assert says in message
    assert "2025-07-31" in message and "huggingface.co" in message
    assert message.endswith(".") and "\n" not in message and message.count(". ") == 0


def test_s10_numbers_past_64_bits_are_clamped_and_the_entry_and_the_day_are_kept() -> None:
    healthy = [make_entry(f"2507.0000{n}", "2025-07-31", upvotes=n) for n in (1, 2)]
    wild = [
        make_entry("2507.00003", "2025-07-31", upvotes=1e300, title="Huge"),
        make_entry("2507.00004v99999999999999999999999", "2025-07-31", upvotes=-5),
        make_entry("2507.00005", "2025-07-31", upvotes=float("inf")),
    ]
    wild[2]["numComments"] = float("nan")
    raw = body([healthy[0], *wild, healthy[1]])
    raw = raw.replace(b'"upvotes": -5', b'"upvotes": ' + b"9" * 5000)  # more digits than Python converts
    papers, skipped = parse_daily_papers(raw, day="2025-07-31")
    assert skipped == 0
    assert [p.id for p in papers] == ["2507.00001", "2507.00003", "2507.00004", "2507.00005", "2507.00002"]
    by_id = {p.id: p for p in papers}
    assert by_id["2507.00003"].upvotes == MAX_COUNT and by_id["2507.00003"].title == "Huge"
    assert by_id["2507.00004"].upvotes == MAX_COUNT and by_id["2507.00004"].version is None
    assert by_id["2507.00005"].upvotes == 0 and by_id["2507.00005"].num_comments == 0
    assert by_id["2507.00002"].upvotes == 2 and by_id["2507.00002"].title


def test_I_dates_beyond_tomorrow_are_not_believed() -> None:
    now = datetime(2025, 7, 31, 23, 0, tzinfo=UTC)
    entries = [
        make_entry("2507.00001", "2099-01-01"),  # far in the future: listed first for ever if believed
        make_entry("2507.00002", "2025-08-01"),  # tomorrow: time zones make that possible
        make_entry("2507.00003", "2025-07-30"),
    ]
    papers, _ = parse_daily_papers(body(entries), day="2025-07-31", now=now)
    dated = {p.id: (p.daily_date, p.published_at, p.submitted_at) for p in papers}
    assert dated["2507.00001"] == ("2025-07-31", None, None)  # the day it was listed on
    assert dated["2507.00002"][0] == "2025-08-01" and dated["2507.00002"][1] == "2025-08-01T01:00:00.000Z"
    assert dated["2507.00003"][0] == "2025-07-30"


def test_the_paper_endpoint_says_what_the_list_said_about_every_paper_of_a_real_day() -> None:
    """`/api/papers/{id}` answers with the list entry's own paper object: one parser, the same paper (hidden
    authors kept, dates normalised, URLs checked), whichever endpoint it came from."""
    entries = load_real_day("2026-06-12")
    listed, skipped = parse_daily_papers(body(entries), day="2026-06-12")
    assert skipped == 0 and len(listed) == len(entries) == 30
    fields = ("title", "summary", "authors", "published_at", "daily_date", "github_repo", "project_page", "upvotes")
    for entry, from_list in zip(entries, listed, strict=True):
        details = parse_paper_details(json.dumps(entry["paper"]).encode(), from_list.id)
        assert details is not None
        assert [getattr(details, f) for f in fields] == [getattr(from_list, f) for f in fields], from_list.id
    hidden = next(p for p in listed if p.id == "2606.12575")
    assert len(hidden.authors) == 10 and "Dengyang Jiang" in hidden.authors


def test_paper_details_about_another_paper_or_not_json_are_not_used() -> None:
    paper = load_real_day("2026-06-12")[0]["paper"]
    assert parse_paper_details(json.dumps(paper).encode(), "2401.00001") is None
    assert parse_paper_details(b"<html>busy</html>", paper["id"]) is None
    assert parse_paper_details(b"[]", paper["id"]) is None


def test_paper_details_are_checked_like_the_list_urls_and_dates_included() -> None:
    details = {
        "id": "2307.12345",
        "title": "A title",
        "authors": [{"name": "Ada Lovelace", "hidden": True}, {"name": "Alan Turing"}],
        "publishedAt": "2023-07-21T17:59:59+02:00",
        "githubRepo": "javascript:alert(1)",
        "projectPage": "https://example.org/project",
    }
    paper = parse_paper_details(json.dumps(details).encode(), "2307.12345")
    assert paper is not None
    assert paper.authors == ("Ada Lovelace", "Alan Turing")
    assert paper.published_at == "2023-07-21T15:59:59.000Z"
    assert paper.github_repo == "" and paper.project_page == "https://example.org/project"


def test_the_export_api_gives_its_dates_in_the_same_form_as_hugging_face() -> None:
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2307.12345v2</id>'
        b"<published>2023-07-21T17:59:59Z</published><title>A\n  title</title><summary>An abstract.</summary>"
        b"<author><name>Ada Lovelace</name></author></entry></feed>"
    )
    paper = parse_arxiv_atom(atom, "2307.12345")
    assert paper is not None and paper.version == 2 and paper.title == "A title"
    assert paper.published_at == "2023-07-21T17:59:59.000Z"
