"""Issue 16: what a search result's snippet shows (search/snippets.py with tantivy's own folding analyzer)."""

from __future__ import annotations

from papertray.search.engine import fold
from papertray.search.query import parse
from papertray.search.snippets import HIT_END, HIT_START, Wanted, snippet, wanted


def want(query: str) -> Wanted:
    return wanted([(tuple(t for w in term.words for t in fold(w)), term.prefix) for term in parse(query)])


def marked(text: str) -> list[str]:
    return [piece.split(HIT_END)[0] for piece in text.split(HIT_START)[1:]]


def test_i16_a_folded_match_is_marked_as_written() -> None:
    shown = snippet({"authors": "Ada Lovelace; Bernhard Schölkopf"}, want("scholkopf"))
    assert marked(shown) == ["Schölkopf"]
    assert shown.replace(HIT_START, "").replace(HIT_END, "") == "Ada Lovelace; Bernhard Schölkopf"


def test_i16_a_phrase_is_one_mark_and_other_words_one_each() -> None:
    texts = {"title": "Sparse autoencoders find features; autoencoders are sparse"}
    assert marked(snippet(texts, want('"sparse autoencoders"'))) == ["Sparse autoencoders", "autoencoders", "sparse"]
    assert marked(snippet({"title": "Vision, transformers"}, want("vision transformers"))) == ["Vision", "transformers"]
    assert marked(snippet({"title": "Vision transformers"}, want("vision transformers"))) == ["Vision", "transformers"]
    assert marked(snippet({"title": "Vision transformers"}, want('"vision transformers"'))) == ["Vision transformers"]


def test_i16_the_field_with_most_of_the_query_is_shown_and_a_prefix_marks_whole_words() -> None:
    texts = {"title": "Interpretability at scale", "abstract": "We study interpretable circuits in vision models."}
    shown = snippet(texts, want("interp* circuits"))
    assert marked(shown) == ["interpretable", "circuits"]  # two words of the query, not a phrase: two marks
    assert marked(snippet(texts, want("interp*"))) == ["Interpretability"]


def test_i16_a_match_deep_in_a_pdf_is_shown_in_its_window_with_ellipses() -> None:
    pdf = " ".join(f"word{n}" for n in range(5000)) + " the quokka appears here " + "tail " * 100
    shown = snippet({"title": "Unrelated", "fulltext": pdf}, want("quokka"))
    assert marked(shown) == ["quokka"]
    assert shown.startswith("…") and shown.endswith("…") and len(shown.split()) <= 25
    assert "word4999" in shown
