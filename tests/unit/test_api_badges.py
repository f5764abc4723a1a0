"""Lookup's spliced answer is byte for byte the JSON of the plain dict answer (duplicates, aliases, invalid
references, long references, an empty list), and it follows every store write. Real store in a temp folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from papertray.api.badges import Badges
from papertray.events import EventBus
from papertray.models import Paper, canonical_id
from papertray.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = Store.open(tmp_path / "data", EventBus())
    await s.add_papers([Paper(id=f"2507.0000{i}", version=1, title=f"Title {i}") for i in range(5)])
    yield s
    await s.close()


def plain(store: Store, refs: list[str]) -> bytes:
    """The answer built the obvious way."""
    papers: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    invalid: list[str] = []
    for ref in refs:
        paper_id = canonical_id(ref) if len(ref) <= 2048 else None
        if paper_id is None:
            invalid.append(ref)
            continue
        if ref != paper_id:
            aliases[ref] = paper_id
        papers.setdefault(paper_id, store.view(paper_id).brief())
    return orjson.dumps({"papers": papers, "refs": aliases, "invalid": invalid})


REFS = [
    "2507.00001",
    "https://arxiv.org/abs/2507.00001v2",  # the same paper again, as a link
    "https://huggingface.co/papers/2507.00002",
    "arXiv:2507.00003",
    "2401.99999",  # never ingested
    "not a paper",
    "not a paper",
    "https://example.org/" + "x" * 300 + "/2507.00004",  # long: answered, not kept
    'quote " and \\ backslash',
]


async def test_the_spliced_answer_is_the_plain_answer(store: Store) -> None:
    badges = Badges(store)
    for refs in (REFS, [], REFS[::-1], REFS):  # the last one is answered from memory
        assert badges.answer(refs) == plain(store, refs)


async def test_the_answer_follows_every_write(store: Store) -> None:
    badges = Badges(store)
    before = orjson.loads(badges.answer(REFS))
    assert before["papers"]["2507.00001"]["saved"] is False
    await store.update_states({"2507.00001": {"saved": True}, "2401.99999": {"read": True}}, event=False)
    after = badges.answer(REFS)
    assert after == plain(store, REFS)
    assert orjson.loads(after)["papers"]["2507.00001"]["state"] == "saved"
    assert orjson.loads(after)["papers"]["2401.99999"]["state"] == "read"
