"""citations: every export format carries what a user needs, and BibTeX / CSL-JSON (as Zotero writes them)
import back with a reason for each record left out."""

from __future__ import annotations

import gc
import json
import time
from typing import Any

import pytest

from papertray import citations
from papertray.models import Paper, PaperState
from papertray.store import PaperView

XSS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "{{7*7}}",
    "${alert(1)}",
    "\u202eevil",
]


def view(paper_id: str, title: str, authors: tuple[str, ...], **state: Any) -> PaperView:
    paper = Paper(
        id=paper_id,
        title=title,
        authors=authors,
        summary=f"Abstract of {title} with 50% & $x_1$.",
        published_at="2023-07-21T00:00:00Z",
    )
    return PaperView(paper_id, paper, PaperState(id=paper_id, saved_at="2024-01-01T00:00:00Z", **state))


def sample() -> list[PaperView]:
    return [
        view(
            "2307.12345",
            "Sparse Autoencoders {Find} Features",
            ("Ada Lovelace", "Alan M. Turing"),
            tags=("interp", "saes"),
            note="Read section 3.\nCompare with #2.",
        ),
        view("hep-th/9901001", "Strings & Branes_in 100% of cases", ("Édouard Lucas",)),
        *[view(f"2401.0000{i}", payload, (payload, "Normal Name")) for i, payload in enumerate(XSS)],
    ]


def test_bibtex_round_trip_keeps_ids_titles_authors_tags_and_notes() -> None:
    papers = sample()
    text = citations.export(papers, "bibtex")
    assert "@misc{arXiv:2307.12345," in text
    assert "author = {Lovelace, Ada and Turing, Alan M.}" in text
    parsed = citations.parse_bibtex(text)
    assert parsed.skipped == []
    got = {e.id: e for e in parsed.entries}
    assert set(got) == {p.id for p in papers}
    for original in papers:
        entry = got[original.id]
        assert original.paper is not None
        assert entry.title == original.paper.title
        assert entry.authors == original.paper.authors
        assert entry.summary == original.paper.summary
        assert entry.tags == original.state.tags
        assert entry.note == " ".join(original.state.note.split())
        assert entry.published_at == "2023"


def test_csljson_round_trip_keeps_read_state_and_multiline_notes() -> None:
    papers = sample()
    papers[1] = PaperView(papers[1].id, papers[1].paper, PaperState(id=papers[1].id, saved_at="x", read_at="y"))
    parsed = citations.parse_csljson(citations.export(papers, "csljson"))
    assert parsed.skipped == []
    got = {e.id: e for e in parsed.entries}
    assert got["2307.12345"].note == "Read section 3.\nCompare with #2."
    assert got["2307.12345"].tags == ("interp", "saes")
    assert got["hep-th/9901001"].read is True
    assert got["2307.12345"].read is False
    for original in papers:
        assert original.paper is not None
        assert got[original.id].title == original.paper.title
        assert got[original.id].authors == original.paper.authors
        assert got[original.id].published_at == "2023-07-21"


def test_ris_and_markdown_name_every_paper_and_escape_markdown() -> None:
    papers = sample()
    ris = citations.export(papers, "ris")
    assert ris.count("TY  - GEN") == len(papers) == ris.count("ER  - ")
    assert (
        "AU  - Lovelace, Ada" in ris and "KW  - interp" in ris and "UR  - https://arxiv.org/abs/hep-th/9901001" in ris
    )
    markdown = citations.export(papers, "markdown")
    assert "[Sparse Autoencoders \\{Find\\} Features](https://arxiv.org/abs/2307.12345)" in markdown
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in markdown
    assert "  > Read section 3." in markdown
    data = json.loads(citations.export(papers, "json"))
    assert [d["id"] for d in data] == [p.id for p in papers]


def test_unknown_format_is_one_clear_sentence() -> None:
    with pytest.raises(ValueError, match="Unknown export format 'docx'"):
        citations.export([], "docx")


ZOTERO_BIB = r"""
% Exported by Zotero
@string{acl = "Association for Computational Linguistics"}
@comment{jabref-meta: databaseType:bibtex;}

@misc{vaswani_attention_2017,
	title = {Attention {Is} {All} {You} {Need}},
	url = {http://arxiv.org/abs/1706.03762},
	doi = {10.48550/arXiv.1706.03762},
	abstract = {The dominant sequence transduction models are based on complex recurrent networks.},
	urldate = {2024-01-02},
	publisher = {arXiv},
	author = {Vaswani, Ashish and Shazeer, Noam and {Google Brain}},
	month = dec,
	year = {2017},
	note = {arXiv:1706.03762 [cs]},
	keywords = {Computer Science - Computation and Language, Computer Science - Machine Learning},
}

@article{gödel_1931,
	title = "{\"U}ber formal unentscheidbare S{\"a}tze",
	author = "G{\"o}del, Kurt",
	journal = "Monatshefte f{\"u}r Mathematik",
	year = 1931,
}

@inproceedings{devlin_bert_2019,
	title = {{BERT}: Pre-training},
	booktitle = acl,
	author = {Devlin, Jacob and Chang, Ming-Wei},
	eprint = {1810.04805v2},
	archivePrefix = {arXiv},
	year = {2019}
}

@article{broken_one,
	title = {Never closed,
	year = {2020}

@misc{old_style,
	title = {An old one with {\'e}t{\'e} and \& and \%},
	eprint = {hep-th/9901001},
	author = {Maldacena, Juan},
	year = 1999,
}
"""


def test_zotero_bibtex_imports_arxiv_records_and_says_why_others_were_skipped() -> None:
    parsed = citations.parse_bibtex(ZOTERO_BIB)
    got = {e.id: e for e in parsed.entries}
    assert set(got) == {"1706.03762", "1810.04805", "hep-th/9901001"}
    attention = got["1706.03762"]
    assert attention.title == "Attention Is All You Need"
    assert attention.authors == ("Ashish Vaswani", "Noam Shazeer", "Google Brain")
    assert attention.published_at == "2017-12"
    assert "Computer Science - Machine Learning" in attention.tags
    assert got["1810.04805"].version == 2
    assert got["1810.04805"].title == "BERT: Pre-training"
    assert got["hep-th/9901001"].title == "An old one with été and & and %"
    reasons = {s.label: s.reason for s in parsed.skipped}
    assert "No arXiv id" in reasons["gödel_1931"]
    assert "Could not read this record" in reasons["broken_one"]


def test_bibtex_with_undefined_macro_is_skipped_not_fatal() -> None:
    parsed = citations.parse_bibtex("@misc{a, title = nowhere, eprint = {2307.12345}}\n@misc{b, eprint={2307.54321}}")
    assert [e.id for e in parsed.entries] == ["2307.54321"]
    assert "undefined @string 'nowhere'" in parsed.skipped[0].reason


ZOTERO_CSL = [
    {
        "id": "http://zotero.org/users/1/items/ABC",
        "type": "article",
        "title": "Attention Is All You Need",
        "author": [{"family": "Vaswani", "given": "Ashish"}, {"literal": "Google Brain"}],
        "issued": {"date-parts": [["2017", 12, 5]]},
        "number": "arXiv:1706.03762",
        "note": "arXiv:1706.03762 [cs]",
        "keyword": "Computer Science - Machine Learning",
        "URL": "http://arxiv.org/abs/1706.03762",
    },
    {"id": "book1", "type": "book", "title": "A Book", "ISBN": "123"},
    "not an object",
]


def test_zotero_csljson_imports_and_reports_skips() -> None:
    parsed = citations.parse_csljson(json.dumps(ZOTERO_CSL))
    assert len(parsed.entries) == 1
    entry = parsed.entries[0]
    assert entry.id == "1706.03762"
    assert entry.authors == ("Ashish Vaswani", "Google Brain")
    assert entry.published_at == "2017-12-05"
    assert entry.note == ""  # Zotero's Extra line is not the user's note
    assert entry.tags == ("Computer Science - Machine Learning",)
    assert [s.label for s in parsed.skipped] == ["book1", "entry 3"]


def test_csljson_that_is_not_json_is_one_clear_problem() -> None:
    parsed = citations.parse_csljson("{nope")
    assert parsed.entries == []
    assert parsed.skipped == [] and parsed.records == 0
    assert parsed.problem is not None and parsed.problem.startswith("it is not valid JSON")


def test_large_imports_split_into_chunks_that_read_back_the_same() -> None:
    entries = [
        citations.ImportEntry(
            id=f"2401.{n:05d}",
            version=2 if n % 2 else None,
            title=f"Paper {n} " + "x" * 300,
            authors=("Ada Lovelace",),
            tags=("t",),
            note=f"note {n}",
            read=n % 3 == 0,
        )
        for n in range(200)
    ]
    chunks = list(citations.csljson_chunks(entries, max_bytes=20_000))
    assert len(chunks) > 1 and sum(count for count, _doc in chunks) == 200
    assert all(len(doc.encode()) <= 20_000 for _count, doc in chunks)
    back = [e for _count, doc in chunks for e in citations.parse_csljson(doc).entries]
    assert back == [
        citations.ImportEntry(
            id=e.id,
            version=e.version,
            title=e.title,
            authors=e.authors,
            summary="",
            published_at="2024-01",  # no date given: the year and month come from the arXiv id
            tags=e.tags,
            note=e.note,
            read=e.read,
        )
        for e in entries
    ]


# Inputs that made the old BibTeX reader quadratic: each is `make(n)` of about n characters.
QUADRATIC_BEFORE = {
    "blank lines after an unclosed record": lambda n: "@misc{a,\n" + "\n" * n,
    "records that never close, one a line": lambda n: "@misc{k, t={x\n" * (n // 14),
    "quoted values that never close": lambda n: '@misc{k, t="x\n' * (n // 14),
    "spaces after a LaTeX accent": lambda n: "@misc{k, eprint={2307.12345}, title={\\'{" + " " * n + "xy}}}",
}


def _best_time(text: str, repeats: int, runs: int = 5) -> float:
    """The fastest of `runs` timings of `repeats` parses: the least disturbed by whatever else the machine runs.
    CPU time of this process, not the wall clock: on a loaded machine other processes' turns are not our work."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        for _ in range(repeats):
            citations.parse_bibtex(text)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("shape", sorted(QUADRATIC_BEFORE))
def test_s13_reading_bibtex_takes_time_linear_in_its_length(shape: str) -> None:
    make = QUADRATIC_BEFORE[shape]
    small, large = make(20_000), make(80_000)
    # Enough parses per timing that the small one takes milliseconds, so that timer noise does not decide.
    repeats = max(1, round(0.005 / max(_best_time(small, 1, runs=1), 1e-6)))
    gc.disable()
    try:
        ratio = _best_time(large, repeats) / _best_time(small, repeats)
    finally:
        gc.enable()
    # Four times the text: about 4 times the work when linear, 16 times when quadratic (as it was).
    assert ratio < 8, f"{shape}: 4x the text took {ratio:.1f}x the time"
