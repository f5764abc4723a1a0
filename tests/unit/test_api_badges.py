"""Lookup's spliced answer is byte for byte the JSON of the plain dict answer (duplicates, aliases, invalid
references, long references, an empty list), and it follows every store write. Real store in a temp folder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        # no ranker here: every badge says the paper has no standing in its day yet
        papers.setdefault(paper_id, {**store.view(paper_id).brief(), "rank": None, "why": None, "for_you": False})
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


# ------------------------------------------------------------------ generated: any mix of pages and writes

KNOWN = [f"2507.0000{i}" for i in range(5)]
POOL = [
    *KNOWN,
    "2507.00001v3",
    "arXiv:2507.00002",
    "https://arxiv.org/pdf/2507.00003v1",
    "https://huggingface.co/papers/2507.00004",
    "2401.99999",
    "hep-th/9901001",
    "https://arxiv.org/abs/hep-th/9901001v2",
    "not a paper",
    "",
    "https://example.org/" + "y" * 300 + "/2507.00001",
    'quote " and \\ backslash',
]
CHANGES = [{"saved": True}, {"saved": False}, {"read": True}, {"dismissed": True}, {"seen": True}]


class SmallBadges(Badges):
    MAX_ENTRIES = 3  # forgets often, so answers are built from every mix of remembered and new references


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.lists(st.sampled_from(POOL), max_size=14),
            st.tuples(st.sampled_from([*KNOWN, "2401.99999"]), st.sampled_from(CHANGES)),
        ),
        max_size=14,
    ),
    small=st.booleans(),
)
def test_every_answer_is_the_plain_answer_through_any_writes(
    tmp_path_factory: pytest.TempPathFactory, steps: list[Any], small: bool
) -> None:
    async def run() -> None:
        store = Store.open(tmp_path_factory.mktemp("store") / "data", EventBus())
        try:
            await store.add_papers([Paper(id=paper_id, version=1, title=f"Title {paper_id}") for paper_id in KNOWN])
            badges = (SmallBadges if small else Badges)(store)
            for step in steps:
                if isinstance(step, list):
                    assert badges.answer(step) == plain(store, step)
                else:
                    await store.update_states({step[0]: step[1]}, event=False)
        finally:
            await store.close()

    asyncio.run(run())
