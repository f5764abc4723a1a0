"""The compact month index (issue 13): for a store of every kind of paper (old-style and odd ids, no version or
a huge one, no day or an odd one, several sources, non-ASCII titles, papers only the user touched) lookup, the
list order, pages, counts and the source filter answer what the per-paper summaries answered, in memory, after a
reopen from index.bin and after the migration of a JSON month index."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from papertray.models import Paper
from papertray.store import AtomicJSONStorage, Store
from papertray.store.month_index import NAME, MonthIndex, encode, encode_changes
from papertray.store.views import summary_of

PAPERS = [
    Paper(id="2507.12345", version=2, title="Über ∑ attention 😀", daily_date="2025-07-31", upvotes=5, sources=("hf",)),
    Paper(id="2507.00001", version=1, title="a", daily_date="2025-07-31", upvotes=5, sources=("arxiv:cs.LG",)),
    Paper(
        id="2507.00002",
        version=3,
        title="cross-listed",
        daily_date="2025-07-30",
        sources=("arxiv:cs.LG", "arxiv:cs.CL"),
        versions=((1, None), (3, "2025-07-30T00:00:00Z")),
    ),
    Paper(id="2507.00003", title="no version, no day", sources=("hf", "arxiv:cs.CV")),
    Paper(id="2507.1234", version=1, title="an id of the wrong length", daily_date="2025-07-31", upvotes=5),
    Paper(id="2507.00004", version=70000, title="a huge version", daily_date="2025-07-29", upvotes=2**40),
    Paper(id="2507.00005", version=1, title="an odd day", daily_date="31/07/2025", sources=("library",)),
    Paper(id="2507.00006", version=1, title="", daily_date="2025-02-31", upvotes=-3, sources=("hf:week", "hf")),
    Paper(id="1201.1234", version=4, title="a four-digit year", daily_date="2012-01-15", sources=("arxiv:math.GT",)),
    Paper(id="hep-th/9901001", version=1, title="old style", daily_date="2025-07-31", upvotes=5),
    # A month of only regular rows (the fast path of the order), tied on day and upvotes with other months.
    *(Paper(id=f"2506.{n:05d}", version=1, title=f"t{n}", daily_date="2025-07-31", upvotes=5) for n in (7, 70, 700)),
    Paper(id="2506.00008", version=1, title="no day in a regular month", upvotes=1, sources=("arxiv:cs.AI",)),
    Paper(id="math/0309136", title="old style, no day", sources=("import",)),
]


async def fill(data: Path) -> Store:
    store = Store.open(data)
    await store.add_papers(PAPERS)
    await store.update_state("2401.00001", saved=True)  # never ingested, saved
    await store.update_state("2507.00003", saved=True)  # no day: listed by the day it was saved
    await store.update_state("math/0309136", seen=True)
    await store.update_state("2507.00001", dismissed=True)
    return store


def expected_order(store: Store) -> list[str]:
    """The list order as the tuples gave it: (daily date or saved day, upvotes, id), newest first."""
    keys = []
    for p in PAPERS:
        saved = store.get_state(p.id).saved_at
        keys.append((p.daily_date or (saved or "")[:10], p.upvotes, p.id))
    keys.append(((store.get_state("2401.00001").saved_at or "")[:10], 0, "2401.00001"))
    return [key[2] for key in sorted(keys, reverse=True)]


def check(store: Store) -> None:
    for p in PAPERS:
        view = store.view(p.id)
        assert view.known and view.sources == p.sources
        assert (view.title, view.daily_date, view.upvotes, view.version) == (
            p.title,
            p.daily_date,
            p.upvotes,
            p.version,
        )
        brief = view.to_dict(full=False)
        assert (brief["title"], brief["daily_date"], brief["upvotes"], brief["version"]) == summary_of(p)[:4]
        assert view.brief()["title"] == p.title
    assert not store.view("2507.99999").known and not store.view("2507.0001").known
    found = store.lookup([p.id for p in PAPERS] + ["2507.99999"])  # (2507.1234 is no reference arXiv issued)
    assert set(found) == {p.id for p in PAPERS} - {"2507.1234"} | {"2507.99999"}
    assert [found[p.id].brief()["title"] for p in PAPERS if p.id in found] == [p.title for p in PAPERS if p.id in found]
    order = expected_order(store)
    assert [v.id for v in store.query()] == order
    assert [v.sort_key[2] for v in store.query()] == order
    paged: list[str] = []
    after = None
    while True:
        page, total = store.page(limit=3, after=after)
        assert total == len(order)
        if not page:
            break
        paged += [v.id for v in page]
        after = page[-1].sort_key
    assert paged == order
    assert store.counts()["total"] == len(order)
    assert [v.id for v in store.query(source="arxiv:cs.LG")] == ["2507.00001", "2507.00002"]
    assert [v.id for v in store.query(source="arxiv:cs.LG", include_dismissed=False)] == ["2507.00002"]
    arxiv = [p.id for p in PAPERS if any(s.startswith("arxiv:") for s in p.sources)]
    assert sorted(v.id for v in store.query(source="arxiv")) == sorted(arxiv)
    hf = [i for i in order if any(s == "hf" or s.startswith("hf:") for s in store.view(i).sources)]
    assert [v.id for v in store.query(source="hf")] == hf
    page, total = store.page(source="hf", limit=2)
    assert [v.id for v in page] == hf[:2] and total == len(hf)
    assert [v.id for v in store.query(source="library")] == ["2507.00005"]
    assert store.query(source="arxiv:cs.RO") == []


async def test_i13_the_compact_index_answers_as_the_summaries_did_for_a_mixed_store(tmp_path: Path) -> None:
    store = await fill(tmp_path / "data")
    check(store)
    await store.close()
    again = Store.open(tmp_path / "data")  # from index.bin
    assert again.problems == []
    check(again)
    await again.close()


async def test_i13_a_json_month_index_is_migrated_once_with_the_sources_of_its_records(tmp_path: Path) -> None:
    store = await fill(tmp_path / "data")
    await store.close()
    for folder in (tmp_path / "data" / "feed").iterdir():  # as the layout before index.bin left it
        month = MonthIndex.decode((folder / NAME).read_bytes(), folder / NAME)
        index = {pid: list(summary[:4]) for pid, summary in month.items()}
        AtomicJSONStorage(folder / "index.json", kind="feed-index").write({"index": index})
        (folder / NAME).unlink()
    migrated = Store.open(tmp_path / "data")
    assert migrated.problems == []
    check(migrated)
    assert not list((tmp_path / "data" / "feed").rglob("index.json")), "migrated once, then removed"
    await migrated.close()
    again = Store.open(tmp_path / "data")
    check(again)
    await again.close()


@pytest.mark.parametrize("how", ["truncated", "flipped", "empty"])
async def test_i13_a_damaged_index_bin_is_rebuilt_from_the_records(tmp_path: Path, how: str) -> None:
    store = await fill(tmp_path / "data")
    await store.close()
    path = tmp_path / "data" / "feed" / "2507" / NAME
    raw = path.read_bytes()
    path.write_bytes({"truncated": raw[:-7], "flipped": raw[:-3] + bytes([raw[-3] ^ 1]) + raw[-2:], "empty": b""}[how])
    again = Store.open(tmp_path / "data")
    assert len(again.problems) == 1 and "rebuilt from 2507's records" in again.problems[0]
    check(again)
    await again.close()
    third = Store.open(tmp_path / "data")
    assert third.problems == []
    await third.close()


def test_i13_a_polls_changes_to_a_month_give_the_index_a_whole_rewrite_would() -> None:
    """encode_changes copies the untouched rows as slices; what it writes must read back as encode's would."""
    rng = random.Random(13)
    sources = [("hf",), ("arxiv:cs.LG",), ("arxiv:cs.LG", "arxiv:cs.CL"), ("hf", "arxiv:cs.CV")]

    def summary() -> tuple[object, ...]:
        day = rng.choice([None, "2025-07-31", "2025-07-01"])
        return (f"t{rng.random()} ∑", day, rng.randint(0, 50), rng.choice([None, 1, 2]), rng.choice(sources))

    for case in range(40):
        before = {f"2507.{n:05d}": summary() for n in rng.sample(range(1, 30000), rng.randint(0, 60))}
        index = MonthIndex.decode(encode("2507", before), Path("index.bin")) if before or case % 2 else None
        changes = {pid: summary() for pid in rng.sample(sorted(before), min(len(before), rng.randint(0, 10)))}
        changes |= {f"2507.{n:05d}": summary() for n in rng.sample(range(1, 30000), rng.randint(0, 10))}
        if case % 7 == 0:
            changes["hep-th/0701001"] = summary()  # an odd id: the whole way, still the same answer
        got = MonthIndex.decode(encode_changes("2507", index, changes), Path("index.bin"))
        assert got.to_dict() == {**(index.to_dict() if index else {}), **changes}, case
        assert list(got) == sorted(got, key=lambda pid: ("/" in pid, pid))


@pytest.mark.parametrize("seed", range(6))
async def test_i13_the_list_order_is_the_tuple_order_for_random_stores(tmp_path: Path, seed: int) -> None:
    """Ties on day and upvotes across months, odd and old-style ids among regular ones, papers never ingested."""
    rng = random.Random(seed)
    ids = {f"{m}.{n:05d}" for m in ("2506", "2507", "2511") for n in rng.sample(range(1, 3000), 40)}
    ids |= {"2507.1234", "2507.0001", "hep-th/9901001", "cs/0101001", "1201.1234", "0704.0001"}
    papers = [
        Paper(
            id=pid,
            title=pid,
            daily_date=rng.choice([None, "2025-07-31", "2025-07-30", "2025-06-01"]),
            upvotes=rng.choice([0, 0, 1, 5]),
            sources=(rng.choice(["hf", "arxiv:cs.LG"]),),
        )
        for pid in sorted(ids)
    ]
    store = Store.open(tmp_path / "data")
    await store.add_papers(papers)
    touched = rng.sample(sorted(ids), 10) + [f"2507.{n:05d}" for n in rng.sample(range(3000, 3999), 3)] + ["2401.00002"]
    for pid in touched:
        await store.update_state(pid, saved=True)
    for reopened in (False, True):
        if reopened:
            await store.close()
            store = Store.open(tmp_path / "data")
        keys = []
        for pid in ids | set(touched):
            view = store.view(pid)
            keys.append((view.daily_date or (store.get_state(pid).saved_at or "")[:10], view.upvotes, pid))
        expected = [key[2] for key in sorted(keys, reverse=True)]
        assert [v.id for v in store.query()] == expected
        middle = store.query()[len(expected) // 2].sort_key
        page, _ = store.page(after=middle, limit=5)
        assert [v.id for v in page] == expected[len(expected) // 2 + 1 :][:5]
    await store.close()
