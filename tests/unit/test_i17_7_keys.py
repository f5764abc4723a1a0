"""Citation keys (issue 17, item 7): readable, unique, and what BibTeX accepts; the store takes a key only once."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertray.citations import bibtex_entry, parse_bibtex
from papertray.citations.keys import base_key, new_key, valid_key
from papertray.events import EventBus
from papertray.store import Store


def test_i17_7_a_key_is_family_name_year_and_first_significant_word() -> None:
    data = {"id": "2307.12345", "authors": ["Bernhard Schölkopf", "Ada"], "title": "On the Causal Web"}
    assert base_key(data) == "scholkopf2023causal"  # accent folded, "On the" skipped, year from the id
    assert base_key({"id": "2401.00001", "title": "The 3 Laws of Sparse Models"}) == "arxiv2024laws"
    assert base_key({"id": "2401.00001", "authors": ["李 雷"], "title": "—"}) == "arxiv2024"


def test_i17_7_a_new_key_never_takes_one_already_given_whatever_its_case() -> None:
    data = {"id": "2307.00001", "authors": ["Ada Lovelace"], "title": "Sparse Features"}
    taken = {"lovelace2023sparse", "lovelace2023sparsea"}
    assert new_key(data, taken) == "lovelace2023sparseb"
    assert new_key(data, {k.casefold() for k in ["Lovelace2023Sparse"]}) == "lovelace2023sparsea"
    many = {"lovelace2023sparse"} | {f"lovelace2023sparse{chr(c)}" for c in range(ord("a"), ord("z") + 1)}
    assert new_key(data, many) == "lovelace2023sparseaa"


@pytest.mark.parametrize("key", ["vaswani_attention_2017", "arXiv:1706.03762", "Smith2020-b", "müller2021"])
def test_i17_7_keys_zotero_writes_are_valid(key: str) -> None:
    assert valid_key(key)


@pytest.mark.parametrize("key", ["", "two words", "a,b", "x{y}", "50%", "a\\b", "k" * 121])
def test_i17_7_keys_bibtex_cannot_hold_are_not(key: str) -> None:
    assert not valid_key(key)


def test_i17_7_bibtex_writes_the_stored_key_and_reads_the_records_own() -> None:
    assert bibtex_entry({"id": "2307.12345", "cite_key": "ada_sparse_2023"}).startswith("@misc{ada_sparse_2023,")
    assert bibtex_entry({"id": "2307.12345"}).startswith("@misc{arXiv:2307.12345,")
    parsed = parse_bibtex("@misc{ada_sparse_2023, title={T}, eprint={2307.12345}}")
    assert [e.key for e in parsed.entries] == ["ada_sparse_2023"]


async def test_i17_7_the_store_keeps_the_first_key_it_is_given(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data", EventBus())
    try:
        await store.update_state("2307.12345", saved=True, cite_key="first")
        await store.update_state("2307.12345", cite_key="second")
        assert store.get_state("2307.12345").cite_key == "first"
        assert store.cite_keys() == {"first": "2307.12345"}
    finally:
        await store.close()
    reopened = Store.open(tmp_path / "data", EventBus())
    try:
        assert reopened.get_state("2307.12345").cite_key == "first"
    finally:
        await reopened.close()
