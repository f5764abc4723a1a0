"""The store against real files in a temp folder: what survives a reopen, what a poll rewrites, how bad files
are moved aside and what comes back."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from pathlib import Path

import orjson
import pytest

from papertray import __version__
from papertray.atomic import write_atomic
from papertray.errors import NewerDataError, UnreadableFile
from papertray.events import EventBus
from papertray.models import Paper, State
from papertray.store import AtomicJSONStorage, Store, record_shard
from papertray.store.month_index import MonthIndex, encode


def paper(pid: str, day: str = "2025-07-31", upvotes: int = 0, **fields: object) -> Paper:
    return Paper(
        id=pid,
        version=1,
        title=f"Title of {pid}",
        summary=f"Abstract of {pid}. " * 20,
        authors=("Ada Lovelace", "Alan Turing"),
        daily_date=day,
        upvotes=upvotes,
        **fields,  # type: ignore[arg-type]
    )


def one_sentence(message: str) -> bool:
    return message.endswith(".") and "\n" not in message and re.search(r"\.\s+[A-Z]", message) is None


def reopen(store: Store) -> Store:
    return Store.open(store.data_dir)


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store.open(tmp_path / "data", EventBus())
    yield s
    await s.close()


async def test_papers_survive_a_reopen_with_full_records(store: Store) -> None:
    papers = [paper("2507.12345", upvotes=3), paper("2507.00001"), paper("2401.09999"), paper("hep-th/9901001")]
    result = await store.add_papers(papers)
    assert {p.id for p in result.new} == {p.id for p in papers}
    again = reopen(store)
    try:
        assert again.problems == []
        assert len(again) == 4
        for p in papers:
            got = again.get_paper(p.id)
            assert got is not None
            assert got.summary == p.summary and got.authors == p.authors and got.first_seen_at
        assert again.get_paper("2507.99999") is None
    finally:
        await again.close()


async def test_a_second_poll_merges_and_counts_updates(store: Store) -> None:
    await store.add_papers([paper("2507.12345", upvotes=1)])
    first_seen = store.get_paper("2507.12345").first_seen_at  # type: ignore[union-attr]
    result = await store.add_papers([paper("2507.12345", upvotes=9), paper("2507.12346")])
    assert [p.id for p in result.new] == ["2507.12346"]
    assert (result.updated, result.unchanged) == (1, 0)
    result = await store.add_papers([paper("2507.12345", upvotes=9)])
    assert (len(result.new), result.updated, result.unchanged) == (0, 0, 1)
    got = store.get_paper("2507.12345")
    assert got is not None and got.upvotes == 9 and got.first_seen_at == first_seen
    assert store.view("2507.12345").to_dict(full=False)["upvotes"] == 9


async def test_new_papers_are_announced_once(store: Store) -> None:
    await store.add_papers([paper("2507.12345")])
    await store.add_papers([paper("2507.12345"), paper("2507.12399")])
    new = [e.data["id"] for e in store.bus.since(0) if e.type == "paper.new"]
    assert new == ["2507.12345", "2507.12399"]


async def test_a_poll_rewrites_only_the_files_of_the_papers_it_touched(store: Store) -> None:
    history = [paper(f"23{m:02d}.{n:05d}") for m in range(1, 13) for n in range(0, 30000, 1500)]
    await store.add_papers(history)
    before = {p: p.stat().st_ino for p in store.feed_dir.rglob("*") if p.is_file()}
    await store.add_papers([paper("2507.12345"), paper("2507.12346")])
    after = {p: p.stat().st_ino for p in store.feed_dir.rglob("*") if p.is_file()}
    assert all(after[p] == ino for p, ino in before.items()), "an old shard was rewritten"
    assert sorted(str(p.relative_to(store.feed_dir)) for p in set(after) - set(before)) == [
        "2507/12.json",
        "2507/index.bin",
    ]


async def test_views_and_states(store: Store) -> None:
    await store.add_papers([paper("2507.00001", day="2025-07-01"), paper("2507.00002", day="2025-07-02")])
    views = store.lookup(["https://arxiv.org/abs/2507.00001v2", "arXiv:2507.00002", "2507.77777", "nonsense"])
    assert {k: v.status for k, v in views.items()} == {
        "2507.00001": State.NEW,
        "2507.00002": State.NEW,
        "2507.77777": State.UNKNOWN,
    }
    await store.update_state("2507.00001", saved=True, tags=["x", "x", " y "], note="good")
    st = store.get_state("2507.00001")
    assert st.saved and st.seen_at and st.tags == ("x", "y") and st.note == "good"
    full = store.view("2507.00001").to_dict()
    assert full["summary"].startswith("Abstract of 2507.00001") and full["state"] == "saved"
    brief = store.view("2507.00001").to_dict(full=False)
    assert "summary" not in brief and brief["title"] == "Title of 2507.00001" and brief["tags"] == ["x", "y"]
    events = [e for e in store.bus.since(0) if e.type == "paper.state"]
    assert events[-1].data["id"] == "2507.00001" and events[-1].data["saved"] is True
    with pytest.raises(ValueError, match="unknown state field"):
        await store.update_state("2507.00001", starred=True)
    assert store.get_state("2507.00001").note == "good"


async def test_query_filters_and_orders(store: Store) -> None:
    await store.add_papers(
        [
            paper("2507.00001", day="2025-07-01", upvotes=5),
            paper("2507.00002", day="2025-07-02", upvotes=1),
            paper("2507.00003", day="2025-07-02", upvotes=7),
            paper("2506.00004", day="2025-06-20"),
        ]
    )
    await store.update_states({"2507.00002": {"read": True}, "2506.00004": {"dismissed": True}})
    await store.update_state("2401.00005", saved=True)  # saved from a page, never ingested
    # A paper saved but never ingested sorts by the day it was saved (today).
    ids = [v.id for v in store.query()]
    assert ids == ["2401.00005", "2507.00003", "2507.00002", "2507.00001", "2506.00004"]
    assert [v.id for v in store.query(since="2025-07-02")] == ["2401.00005", "2507.00003", "2507.00002"]
    assert [v.id for v in store.query(state=State.READ)] == ["2507.00002"]
    assert [v.id for v in store.query(state=State.SAVED)] == ["2401.00005"]
    assert "2506.00004" not in [v.id for v in store.query(include_dismissed=False)]
    assert [v.id for v in store.query(predicate=lambda v: "00003" in (v.paper.summary if v.paper else ""))] == [
        "2507.00003"
    ]
    counts = store.counts()
    # The never-ingested saved paper is listed, so it is counted in the total too (item 19).
    assert counts == {"new": 3, "seen": 0, "saved": 1, "read": 1, "total": 5}


async def test_saves_survive_reopen_through_the_journal_and_compaction(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data", journal_limit=2048)
    for i in range(60):
        await store.update_state(f"2507.{i:05d}", saved=True, note=f"note {i}")
    await store.update_state("2507.00003", saved=False)
    await store.close()
    assert (tmp_path / "data" / "user.journal").stat().st_size <= 2048
    again = Store.open(tmp_path / "data")
    assert again.problems == []
    assert all(again.get_state(f"2507.{i:05d}").note == f"note {i}" for i in range(60))
    assert [i for i in range(60) if not again.get_state(f"2507.{i:05d}").saved] == [3]
    await again.close()


async def test_concurrent_saves_are_all_kept(store: Store) -> None:
    ids = [f"2507.{i:05d}" for i in range(200)]
    await asyncio.gather(*(store.update_state(pid, seen=True, note=pid) for pid in ids))
    again = reopen(store)
    assert all(again.get_state(pid).note == pid and again.get_state(pid).seen_at for pid in ids)
    await again.close()


async def test_a_torn_journal_tail_is_dropped_silently(store: Store) -> None:
    await store.update_state("2507.00001", saved=True)
    await store.update_state("2507.00002", saved=True)
    journal = store.data_dir / "user.journal"
    with journal.open("ab") as fh:
        fh.write(b'{"states": {"2507.00003": {"id": "2507.0')  # a save killed before its fsync returned
    again = reopen(store)
    assert again.problems == []
    assert again.get_state("2507.00001").saved and again.get_state("2507.00002").saved
    assert not again.get_state("2507.00003").saved
    await again.update_state("2507.00004", saved=True)
    third = reopen(again)
    assert third.get_state("2507.00004").saved and third.problems == []
    await again.close()
    await third.close()


async def test_corrupt_user_file_is_moved_aside_and_recovered_from_backup(store: Store) -> None:
    await store.update_state("2507.00001", saved=True, note="keep me")
    await store.close()
    again = reopen(store)  # folds the journal into user.json, keeping the previous version as .bak
    await again.update_state("2507.00002", saved=True)
    await again.close()
    third = reopen(again)  # user.json now has both; .bak has the first
    await third.close()
    (store.data_dir / "user.json").write_bytes(b'{"states": {"2507.00001": {"id"')
    fourth = reopen(store)
    assert len(fourth.problems) == 1
    assert "user.json is not valid JSON" in fourth.problems[0] and one_sentence(fourth.problems[0])
    assert "recovered from user.json.bak" in fourth.problems[0]
    assert fourth.get_state("2507.00001").note == "keep me"
    aside = list(store.data_dir.glob("user.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b'{"states"')
    await fourth.close()


def tree(folder: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every entry under `folder` with its content (None for folders) and mtime: what "touch nothing" keeps."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("name", ["user.json", "user.json.bak", "user.journal", "meta.json", "feed/2507/index.bin"])
async def test_A_data_from_a_newer_papertray_is_refused_and_left_untouched(tmp_path: Path, name: str) -> None:
    first = Store.open(tmp_path / "data")
    await first.add_papers([paper("2507.00001")])
    await first.update_state("2507.00001", saved=True, note="mine")
    await first.put_meta("hf.etag", "abc")
    await first.close()
    second = Store.open(tmp_path / "data")  # folds the journal into user.json and user.json.bak
    await second.update_state("2507.00001", read=True)  # and starts a journal again
    await second.close()
    # As a newer papertray (say 0.9.0, data schema 2) leaves the file after an upgrade and a downgrade.
    path = tmp_path / "data" / name
    if name in ("user.journal", "feed/2507/index.bin"):  # a JSON header line, then the rest
        header, rest = path.read_bytes().split(b"\n", 1)
        path.write_bytes(orjson.dumps({**orjson.loads(header), "schema": 2, "papertray": "0.9.0"}) + b"\n" + rest)
    else:
        data = orjson.loads(path.read_bytes())
        data["_meta"]["1"].update(schema=2, papertray="0.9.0")
        path.write_bytes(orjson.dumps(data))
    before = tree(tmp_path / "data")

    with pytest.raises(NewerDataError) as refused:
        Store.open(tmp_path / "data")
    message = str(refused.value)
    assert message.startswith(f"{path} was written by a newer papertray (0.9.0, data schema 2;") and one_sentence(
        message
    )
    assert message.endswith("changed nothing: run papertray 0.9.0 or newer.")
    assert tree(tmp_path / "data") == before, "nothing may be moved, rewritten or created"


async def test_a_lost_month_index_is_rebuilt_from_its_records(store: Store) -> None:
    await store.add_papers([paper("2507.00001", upvotes=4), paper("2507.12345")])
    await store.close()
    index = store.feed_dir / "2507" / "index.json"
    index.write_bytes(b"\x00\x00garbage")
    again = reopen(store)
    assert len(again.problems) == 1 and "rebuilt" in again.problems[0] and one_sentence(again.problems[0])
    assert len(again) == 2 and again.view("2507.00001").to_dict(full=False)["upvotes"] == 4
    third = reopen(again)  # the rebuilt index was written back
    assert third.problems == [] and len(third) == 2
    await again.close()
    await third.close()


async def test_a_corrupt_record_shard_falls_back_to_the_index(store: Store) -> None:
    await store.add_papers([paper("2507.00001", upvotes=4)])
    await store.close()
    month, name = record_shard("2507.00001")
    (store.feed_dir / month / f"{name}.json").write_bytes(b"[1, 2")
    again = reopen(store)
    got = again.get_paper("2507.00001")
    assert got is not None and got.title == "Title of 2507.00001" and got.summary == ""
    assert len(again.problems) == 1 and "moved aside" in again.problems[0]
    result = await again.add_papers([paper("2507.00001", upvotes=4)])  # the next poll brings it back
    assert result.new == () and result.updated == 1
    assert again.get_paper("2507.00001").summary.startswith("Abstract")  # type: ignore[union-attr]
    await again.close()


async def test_the_record_cache_is_bounded_and_reads_stay_right(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data", cache_shards=2)
    ids = [f"2507.{n:05d}" for n in range(0, 30000, 997)]
    await store.add_papers([paper(pid) for pid in ids])
    again = Store.open(tmp_path / "data", cache_shards=2)
    for pid in ids + list(reversed(ids)):
        assert again.get_paper(pid).title == f"Title of {pid}"  # type: ignore[union-attr]
        assert len(again._shards) <= 2
    await store.close()
    await again.close()


async def test_files_carry_a_schema_and_private_modes(store: Store) -> None:
    await store.add_papers([paper("2507.00001")])
    await store.update_state("2507.00001", saved=True)
    await store.put_meta("k", 1)
    await store.close()
    reopen(store)
    for path in [*store.feed_dir.rglob("*.json"), store.data_dir / "user.json", store.data_dir / "meta.json"]:
        assert orjson.loads(path.read_bytes())["_meta"]["1"]["schema"] == 1, path
        assert os.stat(path).st_mode & 0o077 == 0, path
    header = (store.data_dir / "user.journal").read_bytes().split(b"\n")[0]
    assert orjson.loads(header)["schema"] == 1


async def test_query_order_follows_every_write(store: Store) -> None:
    await store.add_papers([paper("2507.00001", upvotes=5), paper("2507.00002", upvotes=1)])
    assert [v.id for v in store.query()] == ["2507.00001", "2507.00002"]
    await store.add_papers([paper("2507.00002", upvotes=50)])  # upvotes changed on a later poll
    assert [v.id for v in store.query()] == ["2507.00002", "2507.00001"]
    await store.update_state("2401.00003", saved=True)  # never ingested, saved today
    assert next(v.id for v in store.query()) == "2401.00003"
    await store.update_state("2401.00003", saved=False)
    # Still seen: listed by `all` as by `seen` (item 19), after every paper with a day.
    assert [v.id for v in store.query()][-1] == "2401.00003"
    assert [v.id for v in store.query(state=State.SEEN)] == ["2401.00003"]
    await store.add_papers([Paper(id="2507.00004", title="no daily date")])
    assert [v.id for v in store.query()][-2:] == ["2507.00004", "2401.00003"]  # no day: listed last …
    await store.update_state("2507.00004", saved=True)
    assert next(v.id for v in store.query()) == "2507.00004"  # … until saved, then by the day it was saved
    assert [v.id for v in store.query(limit=2)] == ["2507.00004", "2507.00002"]
    assert [v.id for v in store.query(state=State.NEW, limit=1)] == ["2507.00002"]


@pytest.mark.parametrize("layout", ["index.bin", "index.json"])
async def test_records_left_by_a_poll_that_crashed_before_its_index_write_are_announced(
    store: Store, layout: str
) -> None:
    await store.add_papers([paper("2507.00001"), paper("2507.00002")])
    await store.close()
    path = store.feed_dir / "2507" / "index.bin"
    summaries = MonthIndex.decode(path.read_bytes(), path).to_dict()
    del summaries["2507.00002"]  # as if the crash came between the record and the index write
    if layout == "index.bin":
        write_atomic(path, encode("2507", summaries))
    else:  # the same moment under the JSON month index of before (an older papertray, or before the upgrade)
        legacy = AtomicJSONStorage(store.feed_dir / "2507" / "index.json", kind="feed-index")
        legacy.write({"index": {pid: list(summary[:4]) for pid, summary in summaries.items()}})
    again = reopen(store)
    assert again.get_paper("2507.00002") is None and len(again) == 1
    result = await again.add_papers([paper("2507.00001"), paper("2507.00002")])
    assert [p.id for p in result.new] == ["2507.00002"] and result.unchanged == 1
    assert again.get_paper("2507.00002") is not None
    await again.close()


async def test_A_feed_files_from_a_newer_papertray_refuse_the_open_in_one_sentence(store: Store) -> None:
    await store.add_papers([paper(f"25{m:02d}.{n:05d}") for m in (1, 2, 3) for n in (1, 20000)])
    await store.update_state("2501.00001", saved=True, note="mine")
    await store.close()
    for path in store.feed_dir.rglob("*.json"):  # as a newer papertray would have left them
        data = orjson.loads(path.read_bytes())
        data["_meta"]["1"]["schema"] = 2
        del data["_meta"]["1"]["papertray"]  # (written before files named their papertray)
        path.write_bytes(orjson.dumps(data))
    for path in store.feed_dir.rglob("index.bin"):
        header, rest = path.read_bytes().split(b"\n", 1)
        fields = {k: v for k, v in orjson.loads(header).items() if k != "papertray"}
        path.write_bytes(orjson.dumps({**fields, "schema": 2}) + b"\n" + rest)
    before = tree(store.data_dir)
    with pytest.raises(NewerDataError, match=r"newer papertray \(data schema 2; .*run the newer papertray\.$"):
        reopen(store)
    assert tree(store.data_dir) == before and not list(store.data_dir.rglob("*.corrupt-*"))


async def test_pages_follow_the_query_order_with_a_total(store: Store) -> None:
    await store.add_papers([paper(f"2507.{n:05d}", day=f"2025-07-{n % 5 + 1:02d}", upvotes=n % 3) for n in range(23)])
    await store.update_states({"2507.00004": {"dismissed": True}, "2507.00007": {"saved": True, "tags": ["t"]}})
    everything = store.query()
    pages: list[str] = []
    after = None
    while True:
        views, total = store.page(after=after, limit=5)
        assert total == 23
        pages += [v.id for v in views]
        if len(views) < 5:
            break
        after = views[-1].sort_key
    assert pages == [v.id for v in everything]
    views, total = store.page(include_dismissed=False, predicate=lambda v: v.upvotes == 1, limit=2)
    expected = [v.id for v in everything if v.upvotes == 1 and v.id != "2507.00004"]
    assert [v.id for v in views] == expected[:2] and total == len(expected)
    assert store.page(state=State.SAVED) == ([store.view("2507.00007")], 1)
    view = store.view("2507.00007")
    assert (view.title, view.version, view.daily_date) == ("Title of 2507.00007", 1, "2025-07-03")
    assert view.sort_key == ("2025-07-03", 1, "2507.00007")


async def test_filtered_and_unfiltered_pages_agree_with_query(store: Store) -> None:
    await store.add_papers([paper(f"2507.{n:05d}", day=f"2025-07-{n % 9 + 1:02d}", upvotes=n % 4) for n in range(40)])
    await store.update_states({f"2507.{n:05d}": {"saved": n % 2 == 0, "seen": True} for n in range(0, 40, 3)})
    await store.update_state("2401.00001", saved=True)
    await store.update_state("2507.00006", read=True)
    for state in (None, State.NEW, State.SEEN, State.SAVED, State.READ):
        everything = [v.id for v in store.query(state=state)]
        for size in (1, 7, 100):
            pages: list[str] = []
            after = None
            while True:
                views, total = store.page(state=state, after=after, limit=size)
                assert total == len(everything)
                pages += [v.id for v in views]
                if len(views) < size:
                    break
                after = views[-1].sort_key
            assert pages == everything, (state, size)
    assert "2401.00001" in [v.id for v in store.query(state=State.SAVED)]


async def test_background_compaction_keeps_every_save(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data", journal_limit=1024)
    for i in range(300):
        await store.update_state(f"2507.{i % 120:05d}", saved=i % 2 == 0, note=f"note {i}")
    await store.close()
    data = tmp_path / "data"
    assert not (data / "user.journal.old").exists() and (data / "user.journal").stat().st_size <= 1024
    user = orjson.loads((data / "user.json").read_bytes())["states"]
    assert len(user) >= 100  # compactions ran while saves went on
    again = Store.open(data)
    for n in range(120):
        last = max(i for i in range(300) if i % 120 == n)
        assert again.get_state(f"2507.{n:05d}").note == f"note {last}"
        assert again.get_state(f"2507.{n:05d}").saved == (last % 2 == 0)
    await again.close()


async def test_a_rotated_journal_left_by_a_crash_is_replayed(store: Store) -> None:
    await store.update_state("2507.00001", saved=True, note="in the rotated journal")
    await store.close()
    journal = store.data_dir / "user.journal"
    journal.rename(store.data_dir / "user.journal.old")  # killed after the rotation, before the compactor ran
    again = reopen(store)
    assert again.problems == [] and again.get_state("2507.00001").note == "in the rotated journal"
    assert not (store.data_dir / "user.journal.old").exists()
    await again.close()


async def test_feed_files_of_the_first_layout_are_migrated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "feed").mkdir(parents=True)
    first = {p.id: p.to_dict() for p in (paper("2507.00001", upvotes=3), paper("2507.12345"))}
    AtomicJSONStorage(data / "feed" / "2507.json", kind="feed").write({"papers": first})
    store = Store.open(data)
    assert store.problems == [] and len(store) == 2
    assert store.get_paper("2507.12345") == Paper.from_dict(first["2507.12345"])
    assert store.view("2507.00001").upvotes == 3
    assert not (data / "feed" / "2507.json").exists() and len(list((data / "feed").glob("2507.json.v1-*"))) == 1
    await store.close()
    again = Store.open(data)
    assert again.problems == [] and len(again) == 2
    await again.close()


def test_the_storage_is_a_working_tinydb_storage(tmp_path: Path) -> None:
    from tinydb import Query, TinyDB

    path = tmp_path / "user.json"
    db = TinyDB(path, storage=AtomicJSONStorage, kind="user")
    db.table("states").insert({"id": "2507.00001", "saved_at": "2025-07-01T00:00:00Z"})
    assert orjson.loads(path.read_bytes())["_meta"]["1"] == {"schema": 1, "kind": "user", "papertray": __version__}
    again = TinyDB(path, storage=AtomicJSONStorage, kind="user")
    assert again.table("states").search(Query().id == "2507.00001")[0]["saved_at"].startswith("2025-07-01")
    path.write_bytes(orjson.dumps({"_meta": {"1": {"schema": 7}}}))
    with pytest.raises(UnreadableFile, match="newer papertray"):
        TinyDB(path, storage=AtomicJSONStorage).table("states").all()


async def test_ids_that_are_not_canonical_never_reach_the_file_system(store: Store) -> None:
    result = await store.add_papers([Paper(id="../../escape/0000001"), Paper(id="2507.1"), paper("2507.00001")])
    assert [p.id for p in result.new] == ["2507.00001"]
    assert sorted(str(p.relative_to(store.data_dir)) for p in store.feed_dir.rglob("*") if p.is_file()) == [
        "feed/2507/00.json",
        "feed/2507/index.bin",
    ]
    assert store.get_paper("../../escape/0000001") is None


async def test_without_a_good_backup_the_journal_still_brings_back_recent_saves(store: Store) -> None:
    await store.update_state("2507.00001", saved=True, note="old")
    await store.close()
    second = reopen(store)  # user.json now holds the first save
    await second.update_state("2507.00002", saved=True, note="recent")  # only in the journal
    await second.close()
    (store.data_dir / "user.json").write_bytes(b"")
    (store.data_dir / "user.json.bak").write_bytes(b"{")
    third = Store.open(store.data_dir)
    assert len(third.problems) == 1 and one_sentence(third.problems[0])
    assert "user.json is empty; it was moved aside" in third.problems[0] and "no good backup" in third.problems[0]
    assert third.get_state("2507.00002").note == "recent" and not third.get_state("2507.00001").saved
    await third.close()


def damage(path: Path, how: str) -> None:
    """What something outside papertray can leave in place of a file."""
    if how == "directory":
        path.unlink()
        path.mkdir()
        (path / "x").write_bytes(b"x")
    else:
        raw = path.read_bytes()
        path.write_bytes({"truncated": raw[: len(raw) // 2], "garbage": os.urandom(300), "empty": b""}[how])


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "directory"])
async def test_A_recovery_from_the_backup_keeps_every_acknowledged_save(tmp_path: Path, how: str) -> None:
    data = tmp_path / "data"
    # Five saves with notes, each folded into user.json by the next start (and a journal rotation as well).
    for n in range(1, 6):
        store = Store.open(data, journal_limit=600)
        await store.update_state(f"2507.0000{n}", saved=True, note=f"note {n}" + " x" * 200 * (n == 5))
        await store.close()
    again = Store.open(data)
    await again.close()
    damage(data / "user.json", how)

    recovered = Store.open(data)
    assert [recovered.get_state(f"2507.0000{n}").note.split(" x")[0] for n in range(1, 6)] == [
        f"note {n}" for n in range(1, 6)
    ]
    assert all(recovered.get_state(f"2507.0000{n}").saved for n in range(1, 6))
    assert len(recovered.problems) == 1 and one_sentence(recovered.problems[0])
    assert "recovered from user.json.bak and the journal, with no save lost" in recovered.problems[0]
    assert list(data.glob("user.json.corrupt-*")), "the damaged file is kept"
    await recovered.close()
    third = Store.open(data)  # the recovery was folded: the next start has everything and says nothing
    assert third.problems == [] and third.get_state("2507.00005").saved
    await third.close()


async def test_A_a_backup_that_cannot_reach_the_journal_says_what_could_not_come_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.open(data)
    await store.update_state("2507.00001", saved=True, note="early")
    await store.close()
    Store.open(data)  # fold 1
    stale = (data / "user.json.bak").read_bytes()  # a copy the user kept from this moment
    later = Store.open(data)
    await later.update_state("2507.00002", saved=True, note="folded")
    await later.close()
    Store.open(data)  # fold 2 holds "folded"; the journal now follows fold 2
    final = Store.open(data)
    await final.update_state("2507.00003", saved=True, note="journal")
    await final.close()
    (data / "user.json").write_bytes(b"{")
    (data / "user.json.bak").write_bytes(stale)

    recovered = Store.open(data)
    assert recovered.get_state("2507.00001").note == "early" and recovered.get_state("2507.00003").note == "journal"
    assert recovered.get_state("2507.00002").note == ""  # lost with user.json: the store must say so
    problem = recovered.problems[0]
    assert len(recovered.problems) == 1 and one_sentence(problem)
    assert "recovered from user.json.bak and the journal, but the changes saved between" in problem
    assert problem.endswith("could not be brought back.")
    await recovered.close()


async def test_D_a_damaged_journal_record_is_reported_and_the_damaged_journal_is_kept(store: Store) -> None:
    for n in (1, 2, 3):
        await store.update_state(f"2507.0000{n}", saved=True, note=f"note {n}")
    journal = store.data_dir / "user.journal"
    lines = journal.read_bytes().split(b"\n")
    lines[2] = b"\x00garbage{" + os.urandom(40).replace(b"\n", b"")  # the second save, damaged in place
    damaged = b"\n".join(lines)
    journal.write_bytes(damaged)

    again = reopen(store)
    assert again.get_state("2507.00001").note == "note 1" and again.get_state("2507.00003").note == "note 3"
    problem = again.problems[0]
    assert len(again.problems) == 1 and one_sentence(problem)
    assert "user.journal had 1 damaged record(s); the other 2 were applied and a copy of it was kept as" in problem
    kept = list(store.data_dir.glob("user.journal.corrupt-*"))
    assert len(kept) == 1 and kept[0].name in problem and kept[0].read_bytes() == damaged
    await again.close()
    third = reopen(store)  # the journal was folded: nothing damaged is left to report
    assert third.problems == [] and third.get_state("2507.00003").note == "note 3"
    await third.close()


async def test_F_temp_files_of_interrupted_writes_are_removed_at_open(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.open(data)
    await store.add_papers([paper("2507.00001")])
    await store.update_state("2507.00001", saved=True, note="keep")
    await store.close()
    await Store.open(data).close()  # folds the journal, so the open below has nothing of its own to rewrite
    ended = subprocess.Popen(["true"])
    ended.wait()  # its pid now names no live process: what a killed papertray leaves behind
    writing = subprocess.Popen(["sleep", "60"])  # a live process that may be mid-write
    try:
        stale = [
            data / f".user.json.{ended.pid}.tmp",
            data / "feed" / "2507" / f".12.json.{ended.pid}.tmp",
            data / "library" / "2507.00001" / f".meta.json.{ended.pid}.tmp",
        ]
        live = data / f".meta.json.{writing.pid}.tmp"
        for path in [*stale, live]:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x" * 100_000)
        others = {p: p.read_bytes() for p in data.rglob("*") if p.is_file() and p not in [*stale, live]}

        again = Store.open(data)
        assert not any(p.exists() for p in stale) and live.exists()
        assert {p: p.read_bytes() for p in others} == others and again.problems == []
        assert again.get_state("2507.00001").note == "keep"
        await again.close()
    finally:
        writing.kill()
        writing.wait()


async def test_s10_a_paper_with_a_number_past_64_bits_never_fails_the_rest_of_the_batch(store: Store) -> None:
    result = await store.add_papers([paper("2507.00001"), paper("2507.00002", upvotes=10**30), paper("2507.00003")])
    assert [p.id for p in result.new] == ["2507.00001", "2507.00003"]
    again = reopen(store)
    assert again.get_paper("2507.00003") is not None and again.get_paper("2507.00002") is None
    await again.close()


async def test_A_a_damaged_backup_is_moved_aside_and_folds_go_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.open(data)
    await store.update_state("2507.00001", saved=True, note="keep")
    await store.close()
    await Store.open(data).close()  # fold: user.json and user.json.bak
    damage(data / "user.json.bak", "directory")
    again = Store.open(data)
    assert len(again.problems) == 1 and one_sentence(again.problems[0])
    assert "user.json.bak cannot be read" in again.problems[0] and "nothing was lost" in again.problems[0]
    for n in range(30):  # enough saves to fold again
        await again.update_state(f"2507.{n:05d}", saved=True, note=f"n{n}")
    await again.close()
    third = Store.open(data)
    assert third.problems == [] and (data / "user.json.bak").is_file()
    assert third.get_state("2507.00029").note == "n29"
    await third.close()


async def test_A_a_newer_file_names_its_version_only_when_it_looks_like_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await Store.open(data).close()
    (data / "meta.json").write_bytes(
        orjson.dumps({"_meta": {"1": {"schema": 3, "papertray": "\x1b]0;pwned\x07"}}, "meta": {"1": {}}})
    )
    with pytest.raises(NewerDataError) as refused:
        Store.open(data)
    assert "\x1b" not in str(refused.value) and "(data schema 3;" in str(refused.value)


async def test_D_an_unreadable_journal_is_kept_aside_and_saves_go_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.open(data)
    await store.update_state("2507.00001", saved=True, note="folded")
    await store.close()
    await Store.open(data).close()  # fold: the note is in user.json
    damage(data / "user.journal", "directory")
    again = Store.open(data)
    assert len(again.problems) == 1 and one_sentence(again.problems[0])
    assert (
        "user.journal cannot be read (" in again.problems[0]
        and "moved aside to user.journal.corrupt-" in again.problems[0]
    )
    assert [p.is_dir() for p in data.glob("user.journal.corrupt-*")] == [True]
    await again.update_state("2507.00002", saved=True, note="after")
    await again.close()
    third = Store.open(data)
    assert third.problems == [] and third.get_state("2507.00001").note == "folded"
    assert third.get_state("2507.00002").note == "after"
    await third.close()


async def test_A_data_from_before_numbered_folds_opens_whole_and_says_what_it_cannot_promise(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    meta = {"_meta": {"1": {"schema": 1, "kind": "user"}}}  # as papertray wrote user data until now
    doc = {"id": "2507.00001", "saved_at": "2025-07-01T00:00:00.000Z", "note": "folded"}
    (data / "user.json").write_bytes(orjson.dumps({"states": {"1": doc}, **meta}))
    (data / "user.json.bak").write_bytes(orjson.dumps({"states": {}, **meta}))  # the version before
    journal = {"states": {"2507.00002": {"id": "2507.00002", "saved_at": "2025-07-02T00:00:00.000Z", "note": "j"}}}
    header = orjson.dumps({"schema": 1, "kind": "user-journal"})
    (data / "user.journal").write_bytes(header + b"\n" + orjson.dumps(journal) + b"\n")
    legacy = {name: (data / name).read_bytes() for name in ("user.json", "user.json.bak", "user.journal")}

    store = Store.open(data)
    assert store.problems == [] and store.get_state("2507.00001").note == "folded"
    assert store.get_state("2507.00002").note == "j"
    await store.close()
    assert orjson.loads((data / "user.json").read_bytes())["_meta"]["1"]["fold"] >= 1  # numbered from now on

    for name, raw in legacy.items():  # the same old files, but user.json is lost
        (data / name).write_bytes(raw)
    (data / "user.json").write_bytes(b"")
    again = Store.open(data)
    assert again.get_state("2507.00002").note == "j"
    assert "may be missing" in again.problems[0] and one_sentence(again.problems[0])
    await again.close()
