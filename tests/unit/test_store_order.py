"""The list order after a write is merged, not made again (issue 13, item 1 of the store at a million papers):
the merge gives exactly the order a whole rebuild gives, a poll never sorts every paper again on the event
loop, and a reader while a poll's merge runs sees each paper once."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path
from typing import Any

from papertray.models import Paper, PaperState, State
from papertray.store import Store
from papertray.store.month_index import MonthIndex, encode_changes
from papertray.store.ordering import ListOrder
from papertray.store.views import SortKey, Summary, shard_key

MONTHS = ("1411", "2306", "2307", "9901")  # four-digit numbers, five-digit numbers, old-style ids' month


def random_id(rng: random.Random) -> str:
    month = rng.choice(MONTHS)
    if month == "9901" or rng.random() < 0.05:
        return (
            f"{rng.choice(('hep-th', 'math.AG', 'cs'))}/{'9901' if month == '9901' else month}{rng.randint(0, 999):03d}"
        )
    digits = 4 if month < "1501" else 5
    return f"{month}.{rng.randint(0, 10**digits - 1):0{digits}d}"


def random_summary(rng: random.Random, pid: str) -> Summary:
    roll = rng.random()
    day = None if roll < 0.1 else ("2025-13-99x" if roll < 0.13 else f"2025-0{rng.randint(1, 3)}-0{rng.randint(1, 4)}")
    votes = rng.choice((0, 0, 1, 2, rng.randint(0, 50), 2**40 if rng.random() < 0.02 else 3))
    return (
        f"Title {pid} {rng.random()}",
        day,
        votes,
        rng.choice((None, 1, 2)),
        rng.choice((("hf",), ("arxiv:cs.LG",))),
    )


def random_state(rng: random.Random, pid: str) -> PaperState:
    saved = f"2025-0{rng.randint(1, 4)}-0{rng.randint(1, 9)}T10:00:00Z" if rng.random() < 0.6 else None
    seen = "2025-01-01T00:00:00Z" if rng.random() < 0.8 else None
    return PaperState(id=pid, saved_at=saved, seen_at=seen)


def keys_of(order: ListOrder) -> list[SortKey]:
    return [order.entry(n)[0] for n in range(len(order))]


def months_of(summaries: dict[str, dict[str, Summary]]) -> dict[str, MonthIndex]:
    return {m: MonthIndex.build(m, s) for m, s in summaries.items() if s}


def test_i13_1_merged_order_is_the_rebuilt_order_on_random_stores() -> None:
    for seed in range(40):
        rng = random.Random(seed)
        summaries: dict[str, dict[str, Summary]] = {m: {} for m in MONTHS}
        for _ in range(rng.randint(0, 300)):
            pid = random_id(rng)
            summaries[shard_key(pid)][pid] = random_summary(rng, pid)
        # Papers only saved or seen from a page (never ingested), and states of ingested papers.
        states: dict[str, PaperState] = {}
        for _ in range(rng.randint(0, 40)):
            pid = random_id(rng)
            states[pid] = random_state(rng, pid)
        months = months_of(summaries)
        order = ListOrder(months.values(), states)
        for _ in range(4):
            # A poll: new papers, replacements (day and upvotes move), papers only saved so far arriving.
            changes: dict[str, dict[str, Summary]] = {}
            known = [pid for s in summaries.values() for pid in s]
            picked = rng.sample(known, min(len(known), rng.randint(0, 30))) + [random_id(rng) for _ in range(20)]
            picked += rng.sample(sorted(states), min(len(states), 5))
            for pid in picked:
                changes.setdefault(shard_key(pid), {})[pid] = random_summary(rng, pid)
            kept = order.removed(k for m in changes.values() for pid in m if (k := order.key_of(pid)) is not None)
            assert kept is not None
            for month, changed in changes.items():
                summaries[month].update(changed)
                raw = encode_changes(month, months.get(month), changed)
                months[month] = MonthIndex.decode(raw, Path(month) / "index.bin")
            order = order.merged(months.values(), kept, [pid for m in changes.values() for pid in m])
            whole = ListOrder(months.values(), states)
            assert keys_of(order) == keys_of(whole), seed
            assert keys_of(whole) == sorted(keys_of(whole), reverse=True)
            assert len(whole) == len({k[2] for k in keys_of(whole)})
            # A save: papers without a day move to the day they were saved, unsaved ones leave `all`.
            moving = [*rng.sample(sorted(states), min(len(states), 4)), random_id(rng)]
            kept = order.removed(k for pid in moving if (k := order.key_of(pid)) is not None)
            assert kept is not None
            for pid in moving:
                states[pid] = random_state(rng, pid)
            order = order.merged(order.months, kept, moving)
            assert keys_of(order) == keys_of(ListOrder(months.values(), states)), seed


def paper(pid: str, day: str | None, upvotes: int = 0, title: str = "") -> Paper:
    return Paper(id=pid, version=1, title=title or f"Title of {pid}", daily_date=day, upvotes=upvotes)


def listed(store: Store) -> list[str]:
    return [v.id for v in store.query()]


async def test_i13_1_a_poll_merges_the_order_off_the_event_loop(tmp_path: Path, monkeypatch: Any) -> None:
    rng = random.Random(7)
    first = [paper(f"2507.{n:05d}", f"2025-07-{rng.randint(1, 9):02d}", rng.randint(0, 9)) for n in range(200)]
    first += [paper("hep-th/9901001", "2025-07-03"), paper("2507.00500", None)]
    store = Store.open(tmp_path / "data")
    await store.add_papers(first)
    await store.update_state("2401.00003", saved=True)  # never ingested
    listed(store)  # the order is made once
    made_on: list[str] = []
    whole = ListOrder._sorted

    def watched(self: ListOrder, *args: Any) -> Any:
        made_on.append(threading.current_thread().name)
        return whole(self, *args)

    monkeypatch.setattr(ListOrder, "_sorted", watched)
    replaced = [paper(p.id, "2025-07-20", 99, "Replaced") for p in rng.sample(first, 30)]
    await store.add_papers([paper(f"2507.{n:05d}", "2025-07-11", n % 7) for n in range(900, 1000)] + replaced)
    await store.add_papers([paper("2401.00003", "2025-07-15", 4), paper("hep-th/9901002", None)])
    await store.update_state("2507.00500", saved=True)  # no day: moves to the day it was saved
    after = listed(store)
    assert made_on == []  # not made whole again, on the loop or anywhere
    await store.close()
    again = Store.open(tmp_path / "data")
    assert after == listed(again)  # exactly what a fresh open's order gives
    assert len(after) == len(set(after)) == len(again)
    await again.close()


async def test_i13_1_a_reader_while_a_poll_is_merged_sees_each_paper_once(tmp_path: Path, monkeypatch: Any) -> None:
    store = Store.open(tmp_path / "data")
    await store.add_papers([paper(f"2507.{n:05d}", "2025-07-01", n % 5) for n in range(300)])
    before = listed(store)
    inside, release = threading.Event(), threading.Event()
    merge = ListOrder.merged

    def slow(self: ListOrder, *args: Any) -> ListOrder:
        inside.set()
        release.wait(10)
        return merge(self, *args)

    monkeypatch.setattr(ListOrder, "merged", slow)
    batch = [paper(f"2507.{n:05d}", "2025-07-02", 1) for n in range(300, 350)]
    batch += [paper(f"2507.{n:05d}", "2025-07-03", 9, "v2") for n in range(0, 300, 10)]
    poll = asyncio.ensure_future(store.add_papers(batch))
    while not inside.is_set():
        await asyncio.sleep(0.01)
    # The files are written and the merge is under way: a reader pages through the old order, whole.
    pages: list[str] = []
    views, total = store.page(limit=37)
    while views:
        pages += [v.id for v in views]
        views, total = store.page(limit=37, after=views[-1].sort_key)
    assert pages == before and total == 300
    release.set()
    await poll
    after = listed(store)
    assert len(after) == len(set(after)) == 350 == len(store)
    await store.close()
    again = Store.open(tmp_path / "data")
    assert after == listed(again)
    await again.close()


async def test_i13_1_a_poll_keeps_in_memory_only_the_record_shards_of_its_new_papers(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data")
    old = [paper(f"2401.{n:05d}", "2024-01-02") for n in range(0, 5000, 1000)]  # five record shards
    await store.add_papers(old)
    await store.close()
    store = Store.open(tmp_path / "data")  # nothing cached
    store.get_paper("2401.03000")  # its shard is cached before the poll
    await store.add_papers(
        [paper("2507.00001", "2025-07-01")] + [paper(p.id, "2024-01-02", 5, "Replaced") for p in old]
    )
    # The replacements' shards were written and let go (the garbage collector's full passes scanned every
    # one of them while the event loop waited); the cached one was kept current, not stale.
    assert set(store._shards) == {("2507", "00"), ("2401", "03")}
    assert all(store.get_paper(p.id).title == "Replaced" for p in old)  # type: ignore[union-attr]
    again = Store.open(tmp_path / "data")
    assert [again.get_paper(p.id).title for p in old] == ["Replaced"] * 5  # type: ignore[union-attr]
    await store.close()
    await again.close()


async def test_i13_1_status_counts_new_papers_without_walking_every_paper(tmp_path: Path, monkeypatch: Any) -> None:
    rng = random.Random(3)
    store = Store.open(tmp_path / "data")
    await store.add_papers([paper(f"2507.{n:05d}", f"2025-07-0{n % 3 + 1}", n % 4) for n in range(300)])
    await store.add_papers([paper("2507.00900", None), paper("hep-th/9901001", "2025-07-02")])
    for pid in rng.sample([f"2507.{n:05d}" for n in range(300)], 60):
        await store.update_state(pid, **rng.choice(({"seen": True}, {"saved": True}, {"dismissed": True})))
    await store.update_state("2401.00001", saved=True)  # never ingested
    await store.update_state("2401.00002", dismissed=True)  # never ingested, not listed
    whole = store.page(state=State.NEW, include_dismissed=False, limit=0)[1]
    today = store.page(state=State.NEW, since="2025-07-03", include_dismissed=False, limit=0)[1]
    listed(store)
    walked: list[int] = []
    entry = ListOrder.entry

    def counted(self: ListOrder, position: int) -> Any:
        walked.append(position)
        return entry(self, position)

    monkeypatch.setattr(ListOrder, "entry", counted)
    counts = store.new_counts()
    assert (counts.day, counts.unseen, counts.today) == ("2025-07-03", whole, today)
    assert 0 < whole < 302 and len(walked) <= 110  # the newest day's 100 papers and a few, not all 302
    await store.close()
