"""`PaperView.brief()` (lookup's per-paper badge, built without the full dict) says exactly what `to_dict()`
says for every kind of paper, and `Store.generation` moves on with every write that changes a view - also the
writes that announce nothing on the bus. Real store in a temp folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from papertray.events import EventBus
from papertray.models import Paper
from papertray.store import Store

BADGE = ("state", "saved", "read", "dismissed", "title")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = Store.open(tmp_path / "data", EventBus())
    yield s
    await s.close()


def expected(store: Store, paper_id: str) -> dict[str, object]:
    full = store.view(paper_id).to_dict(full=False)
    return {key: full[key] for key in BADGE}


async def test_brief_matches_the_full_view_for_every_kind_of_paper(store: Store) -> None:
    ids = [f"2507.0000{i}" for i in range(6)]
    await store.add_papers([Paper(id=pid, version=1, title=f"Title {pid}", daily_date="2025-07-31") for pid in ids])
    await store.update_states(
        {
            ids[1]: {"seen": True},
            ids[2]: {"saved": True},
            ids[3]: {"read": True, "saved": True},
            ids[4]: {"dismissed": True},
            "2401.99999": {"saved": True},  # saved from a page, never ingested
            "2401.99998": {"seen": True},  # seen on a page, never ingested
        }
    )
    cases = [*ids, "2401.99999", "2401.99998", "2401.77777", "hep-th/9901001"]
    briefs = {pid: store.view(pid).brief() for pid in cases}
    assert briefs == {pid: expected(store, pid) for pid in cases}
    assert [briefs[pid]["state"] for pid in ids[:4]] == ["new", "seen", "saved", "read"]
    assert briefs[ids[4]]["dismissed"] is True
    assert briefs["2401.99999"]["state"] == "saved" and briefs["2401.99999"]["title"] is None
    assert briefs["2401.77777"]["state"] == "unknown"


async def test_every_write_that_changes_a_view_moves_the_generation_on(store: Store) -> None:
    paper = Paper(id="2507.00001", version=1, title="First title", daily_date="2025-07-31")
    seen = [store.generation]
    await store.add_papers([paper])  # new
    seen.append(store.generation)
    await store.add_papers([replace(paper, title="Second title")])  # updated only: no paper.new event
    seen.append(store.generation)
    await store.update_states({paper.id: {"saved": True}}, event=False)  # no paper.state event
    seen.append(store.generation)
    assert len(set(seen)) == len(seen)
    await store.add_papers([replace(paper, title="Second title")])  # unchanged: nothing to invalidate
    await store.put_meta("cursor", 1)  # meta is not part of any view
    assert store.generation == seen[-1]
