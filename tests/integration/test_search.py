"""Issue 16: full-text search over a fixture corpus with the real Store, EventBus and index (tantivy and SQLite)."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from papertray.events import EventBus
from papertray.models import Paper
from papertray.search import Filters, QueryError, SearchService, SearchUnavailable
from papertray.search.index import SCHEMA_VERSION
from papertray.search.query import MAX_QUERY_CHARS
from papertray.store import Store
from tests.support.mounts import remount, try_mount, umount
from tests.support.paper_server import make_pdf

CORPUS = [
    Paper(
        id="2310.01234",
        title="Sparse Autoencoders Find Features in Vision Transformers",
        summary="We train sparse autoencoders on the residual stream of a ViT.",
        authors=("Ada Lovelace", "Bernhard Schölkopf"),
        daily_date="2023-10-03",
        ai_keywords=("mechanistic interpretability",),
    ),
    Paper(
        id="2311.04567",
        title="Transformers for Protein Folding",
        summary="Vision is not involved; proteins are.",
        authors=("Grace Hopper",),
        daily_date="2023-11-09",
    ),
    Paper(
        id="hep-th/9901001",
        title="Branes at Conical Singularities",
        summary="An old-style paper on string compactification.",
        authors=("Juan Maldacena",),
        daily_date="1999-01-04",
        sources=("arxiv",),
    ),
    Paper(
        id="2401.00001",
        title="Café au lait: naïve résumé of Zürich transport",
        summary="Diacritics everywhere.",
        authors=("José Núñez",),
        daily_date="2024-01-02",
    ),
]


async def _wait(service: SearchService, check: str, expected: str | None, timeout: float = 30.0) -> list[str]:
    """Ids found for `check` once `expected` is among them (the index follows the bus asynchronously)."""
    ids: list[str] = []
    for _ in range(int(timeout / 0.05)):
        ids = [hit.id for hit in (await service.search(check, Filters(), limit=20)).hits]
        if expected is None or expected in ids:
            return ids
        await asyncio.sleep(0.05)
    return ids


class Harness:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.bus = EventBus()
        self.pdfs: dict[str, Path] = {}
        self.store: Store
        self.service: SearchService
        self.task: asyncio.Task[None]

    async def start(self) -> Harness:
        self.store = Store.open(self.root / "data", self.bus)
        self.service = SearchService(self.root / "cache" / "search", self.store, self.bus, pdf_path=self.pdfs.get)
        self.task = asyncio.create_task(self.service.run())
        await asyncio.wait_for(self.service.ready.wait(), 30)
        return self

    async def stop(self) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task
        await self.service.close()
        await self.store.close()

    async def ids(self, query: str, filters: Filters | None = None) -> list[str]:
        return [hit.id for hit in (await self.service.search(query, filters or Filters(), limit=20)).hits]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    first = Harness(tmp_path)
    await first.start()
    await first.store.add_papers(CORPUS)
    await _wait(first.service, "cafe", "2401.00001")
    yield first
    await first.stop()


async def test_16_words_rank_title_matches_first(harness: Harness) -> None:
    # "vision" is in the first paper's title and in the second's abstract: the title match ranks first.
    assert await harness.ids("vision") == ["2310.01234", "2311.04567"]
    assert await harness.ids("sparse vision autoencoders") == ["2310.01234"]


async def test_16_phrase_and_prefix_queries(harness: Harness) -> None:
    assert await harness.ids('"vision transformers"') == ["2310.01234"]
    assert await harness.ids('"transformers vision"') == []  # a phrase keeps its order
    assert await harness.ids("autoenc*") == ["2310.01234"]
    assert await harness.ids("compactif*") == ["hep-th/9901001"]
    assert await harness.ids("interpretab*") == ["2310.01234"]  # HF keywords are searched too


async def test_16_diacritics_fold_both_ways(harness: Harness) -> None:
    assert await harness.ids("Scholkopf") == ["2310.01234"]
    assert await harness.ids("Schölkopf") == ["2310.01234"]
    assert await harness.ids("zurich resume") == ["2401.00001"]
    assert await harness.ids("núnez") == ["2401.00001"]


async def test_16_ids_old_style_and_new_are_findable(harness: Harness) -> None:
    assert await harness.ids("hep-th/9901001") == ["hep-th/9901001"]
    assert await harness.ids("2311.04567") == ["2311.04567"]


async def test_16_tags_and_notes_are_searched_and_follow_changes(harness: Harness) -> None:
    await harness.store.update_state("2311.04567", saved=True, tags=["biology"], note="Ask Mara about AlphaFold")
    assert await _wait(harness.service, "alphafold", "2311.04567") == ["2311.04567"]
    assert await harness.ids("biology") == ["2311.04567"]
    assert await harness.ids("transformers", Filters(saved_only=True)) == ["2311.04567"]
    assert await harness.ids("transformers", Filters(states=("new",))) == ["2310.01234"]
    await harness.store.update_state("2311.04567", note="nothing here")
    await _wait(harness.service, "nothing", "2311.04567")
    for _ in range(200):
        if await harness.ids("alphafold") == []:
            break
        await asyncio.sleep(0.05)
    assert await harness.ids("alphafold") == []


async def test_16_filters_by_date_and_source(harness: Harness) -> None:
    assert await harness.ids("paper OR branes OR vision", Filters(source="arxiv")) == []  # OR is a literal word
    assert await harness.ids("branes", Filters(source="arxiv")) == ["hep-th/9901001"]
    assert await harness.ids("branes", Filters(source="hf")) == []
    assert await harness.ids("transformers", Filters(since="2023-11-01")) == ["2311.04567"]
    assert await harness.ids("transformers", Filters(until="2023-10-31")) == ["2310.01234"]


async def test_16_saved_pdf_text_is_searched(harness: Harness, tmp_path: Path) -> None:
    pdf = tmp_path / "2310.01234v1.pdf"
    pdf.write_bytes(make_pdf("Dictionary learning reveals monosemantic neurons"))
    harness.pdfs["2310.01234"] = pdf
    await harness.store.update_state("2310.01234", saved=True)
    harness.bus.publish("library.progress", {"id": "2310.01234", "state": "done"})
    assert await _wait(harness.service, "monosemantic", "2310.01234") == ["2310.01234"]
    # A later change of tags keeps the PDF text in the index.
    await harness.store.update_state("2310.01234", tags=["sae"])
    await _wait(harness.service, "sae", "2310.01234")
    assert await harness.ids("monosemantic") == ["2310.01234"]


@pytest.mark.parametrize(
    "query",
    [
        'a"b OR (c',
        '"unbalanced',
        "NEAR(vision transformers, 2)",
        "title:vision",
        "'; DROP TABLE docs; --",
        "vision\x00\x1b[31m transformers",
        "* ^ - + : ( ) AND NOT",
        "\u202evision",
    ],
)
async def test_16_hostile_queries_are_literal_searches_or_one_sentence(harness: Harness, query: str) -> None:
    try:
        await harness.ids(query)
    except QueryError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)


async def test_16_long_and_empty_queries_get_one_sentence(harness: Harness) -> None:
    with pytest.raises(QueryError, match="at most 500 characters"):
        await harness.ids("a" * 10_240)
    with pytest.raises(QueryError, match="Type a word"):
        await harness.ids("  ;;; ** ")
    assert await harness.ids("vision" + " " * (MAX_QUERY_CHARS - 6)) == ["2310.01234", "2311.04567"]


async def test_16_a_restart_catches_up_and_a_corrupt_index_is_moved_aside(tmp_path: Path) -> None:
    first = await Harness(tmp_path).start()
    await first.store.add_papers(CORPUS)
    await _wait(first.service, "branes", "hep-th/9901001")
    await first.stop()
    # Papers ingested while the index was not following (as after a kill -9 mid-update) are caught up at start.
    store = Store.open(tmp_path / "data")
    await store.add_papers([Paper(id="2402.09999", title="Quokka dynamics", daily_date="2024-02-02")])
    await store.close()
    second = await Harness(tmp_path).start()
    try:
        assert await second.ids("quokka") == ["2402.09999"]
        assert second.service.problems == []
    finally:
        await second.stop()
    index = tmp_path / "cache" / "search" / "index.sqlite3"
    index.write_bytes(b"this is not a database" * 100)
    third = await Harness(tmp_path).start()
    try:
        assert await third.ids("quokka") == ["2402.09999"]
        assert await third.ids("branes") == ["hep-th/9901001"]
        assert len(third.service.problems) == 1 and "moved aside" in third.service.problems[0]
        assert list(index.parent.glob("index.sqlite3.corrupt-*"))
    finally:
        await third.stop()


def test_16_a_very_common_word_is_ranked_over_all_its_matches_not_only_the_newest(tmp_path: Path) -> None:
    """FTS5 ranked a word matching more than 4,000 papers among its newest 4,000 only, so the best old paper for a
    common word never came first; the index now ranks every match."""
    from papertray.search.index import Doc, IndexFile
    from papertray.search.query import parse

    index = IndexFile.open(tmp_path / "index.sqlite3")
    try:
        newer = [Doc(f"2501.{n:05d}", title="A common word", abstract="filler text") for n in range(4500)]
        best_old = Doc("2001.00001", title="common common common", abstract="common")
        index.upsert(newer[:2000])
        index.upsert([best_old])
        index.upsert(newer[2000:])
        page = index.search(parse("common"), Filters(), limit=5)
        assert page.total == 4501 and not page.more
        assert page.hits[0].id == "2001.00001"
        assert page.hits[1].id == "2501.04499"  # then equal scores, newest first
    finally:
        index.close()


async def test_16_an_index_from_another_version_is_rebuilt_quietly(tmp_path: Path) -> None:
    first = await Harness(tmp_path).start()
    await first.store.add_papers(CORPUS)
    await _wait(first.service, "branes", "hep-th/9901001")
    await first.stop()
    index = tmp_path / "cache" / "search" / "index.sqlite3"
    with sqlite3.connect(index) as conn:
        conn.execute("UPDATE meta SET value='1' WHERE key='schema'")
    second = await Harness(tmp_path).start()
    try:
        assert await second.ids("branes") == ["hep-th/9901001"]
        assert second.service.problems == []  # nothing the user must know: a derived file was rebuilt
        assert not list(index.parent.glob("*.corrupt-*"))
        with sqlite3.connect(index) as conn:
            assert conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == str(SCHEMA_VERSION)
    finally:
        await second.stop()


async def test_16_the_reading_list_is_searched_on_its_own_and_follows_saves(harness: Harness) -> None:
    await harness.store.update_state("2311.04567", saved=True)
    await _wait(harness.service, "transformers", "2311.04567")
    for _ in range(200):
        if await harness.ids("transformers", Filters(saved_only=True)) == ["2311.04567"]:
            break
        await asyncio.sleep(0.05)
    assert await harness.ids("transformers", Filters(saved_only=True)) == ["2311.04567"]
    assert await harness.ids("transformers", Filters(states=("saved",), since="2023-01-01")) == ["2311.04567"]
    assert await harness.ids("transformers", Filters(states=("new",), until="2023-10-31")) == ["2310.01234"]
    assert await harness.ids("branes", Filters(source="arxiv", since="1990-01-01")) == ["hep-th/9901001"]
    await harness.store.update_state("2311.04567", saved=False)
    for _ in range(200):
        if await harness.ids("transformers", Filters(saved_only=True)) == []:
            break
        await asyncio.sleep(0.05)
    assert await harness.ids("transformers", Filters(saved_only=True)) == []
    assert sorted(await harness.ids("transformers")) == ["2310.01234", "2311.04567"]
    with pytest.raises(QueryError, match="at least 3 letters"):
        await harness.ids("tr*")


async def test_16_an_index_that_cannot_be_written_yet_is_kept_and_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not damage (here the cache folder cannot be made, as on a full or read-only disk): nothing is moved aside,
    `problems` stays quiet while it is short, search says it is unavailable, and the next try opens the index."""
    from papertray.search import service as search_service

    monkeypatch.setattr(search_service, "WRITE_RETRY_SECONDS", 0.2)
    monkeypatch.setattr(search_service, "OPEN_WAIT_SECONDS", 0.1)
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    blocked = Harness(tmp_path)
    blocked.store = Store.open(tmp_path / "data", blocked.bus)
    await blocked.store.add_papers(CORPUS)
    blocked.service = SearchService(tmp_path / "cache" / "search", blocked.store, blocked.bus, pdf_path=dict().get)
    blocked.task = asyncio.create_task(blocked.service.run())
    try:
        await asyncio.sleep(0.5)  # a few tries have failed
        assert blocked.service.problems == []
        with pytest.raises(SearchUnavailable):
            await blocked.service.search("cafe", Filters())
        monkeypatch.setattr(search_service, "FAILURE_GRACE_SECONDS", 0.0)  # as if it had lasted: now it is said
        assert ["could not be written" in p for p in blocked.service.problems] == [True]
        (tmp_path / "cache").unlink()  # space again
        await asyncio.wait_for(blocked.service.ready.wait(), 30)
        assert await _wait(blocked.service, "cafe", "2401.00001")
        assert blocked.service.problems == []
        assert not list(tmp_path.glob("cache/search/*.corrupt-*"))
    finally:
        await blocked.stop()


def _tantivy_threads() -> list[str]:
    names = [(task / "comm").read_text().strip() for task in Path("/proc/self/task").iterdir()]
    return [name for name in names if "tantivy" in name or name.startswith(("merge_thread", "segment_updater"))]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
async def test_16_a_quiet_index_lets_go_of_its_threads_and_answers_the_next_search(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tantivy keeps a thread that looks at its meta.json twice a second while the index is open: an idle daemon
    must have none of it once writes are done and searches have been quiet for REST_SECONDS."""
    from papertray.search import service as search_service

    monkeypatch.setattr(search_service, "REST_SECONDS", 0.3)
    assert await harness.ids("branes") == ["hep-th/9901001"]
    assert _tantivy_threads(), "the index is open right after a search"
    for _ in range(100):
        if not _tantivy_threads():
            break
        await asyncio.sleep(0.05)
    assert _tantivy_threads() == []
    assert await harness.ids("branes") == ["hep-th/9901001"]
    await harness.store.add_papers([Paper(id="2402.07777", title="Wombat burrows", daily_date="2024-02-03")])
    assert await _wait(harness.service, "wombat", "2402.07777") == ["2402.07777"]


@pytest.mark.parametrize("damage", ["meta", "segment", "stored"])
async def test_16_a_damaged_text_index_is_moved_aside_rebuilt_and_reported(tmp_path: Path, damage: str) -> None:
    """Damage found at start (meta.json, the term dictionaries) or only by a search that reads the stored text:
    either way the search says so in one sentence, the files are moved aside, and search answers again."""
    first = await Harness(tmp_path).start()
    await first.store.add_papers(CORPUS)
    await _wait(first.service, "branes", "hep-th/9901001")
    await first.stop()
    text = tmp_path / "cache" / "search" / "text"
    if damage == "meta":
        (text / "meta.json").write_text('{"segments": [truncated', encoding="utf-8")
    else:  # a segment's files cut short, as a disk fault or a half-restored backup leaves them
        for part in text.iterdir():
            if damage == "stored" and part.suffix == ".store":  # its blocks scrambled, its footer whole
                data = bytearray(part.read_bytes())
                data[: len(data) // 2] = bytes(range(256)) * (len(data) // 512) + bytes(len(data) // 2 % 256)
                part.write_bytes(bytes(data))
            elif damage == "segment" and part.suffix in (".idx", ".term", ".store"):
                part.write_bytes(part.read_bytes()[:7])
    second = await Harness(tmp_path).start()
    try:
        said: list[str] = []
        for _ in range(600):
            try:
                found = await second.ids("branes")
            except SearchUnavailable as exc:
                said.append(str(exc))
                await asyncio.sleep(0.05)
                continue
            if found:
                break
            await asyncio.sleep(0.05)
        assert found == ["hep-th/9901001"]
        assert all(s.startswith("The search index was damaged; it is being rebuilt") for s in said), said
        assert await second.ids("cafe") == ["2401.00001"]
        assert len(second.service.problems) == 1 and "moved aside" in second.service.problems[0]
        assert list(text.parent.glob("text.corrupt-*"))
    finally:
        await second.stop()


async def test_16_a_full_disk_under_the_index_keeps_it_and_catches_up_when_space_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real 1 MB filesystem under the cache folder fills while 2,000 papers are indexed: nothing is moved aside
    (a full disk is not damage), search keeps answering from what was committed, the failure is said once it
    lasts, and once there is room again every paper is found."""
    from papertray.search import service as search_service

    cache = tmp_path / "cache"
    if not try_mount(cache, "size=1m,mode=0700"):
        pytest.skip("needs root with mount rights: tantivy writes from Rust, below any Python hook to fake ENOSPC")
    monkeypatch.setattr(search_service, "WRITE_RETRY_SECONDS", 0.2)
    monkeypatch.setattr(search_service, "FAILURE_GRACE_SECONDS", 0.0)
    harness = await Harness(tmp_path).start()
    try:
        many = [
            Paper(
                id=f"2403.{n:05d}",
                title=f"Wallaby study {n}",
                summary=" ".join(hashlib.sha256(f"{n}.{k}".encode()).hexdigest()[:12] for k in range(100)),
                daily_date="2024-03-01",
            )
            for n in range(2000)  # 2.6 MB of words that do not compress
        ]
        await harness.store.add_papers(many)
        for _ in range(600):
            if any("could not be written" in p for p in harness.service.problems):
                break
            await asyncio.sleep(0.05)
        assert [p for p in harness.service.problems if "could not be written" in p], "the disk never filled"
        assert not list(cache.glob("search/*.corrupt-*"))
        partial = await harness.service.search("wallaby", Filters(), limit=1)
        assert partial.total < 2000
        remount(cache, "size=256m")
        for _ in range(600):
            if (await harness.service.search("wallaby", Filters(), limit=1)).total == 2000:
                break
            await asyncio.sleep(0.1)
        assert (await harness.service.search("wallaby", Filters(), limit=1)).total == 2000
        assert harness.service.problems == []
        assert not list(cache.glob("search/*.corrupt-*"))
    finally:
        await harness.stop()
        umount(cache)
