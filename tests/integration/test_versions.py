"""Issue 13: arXiv's terms for the whole machine (one limiter every client shares, measured on a real fixture
server's clock), and saved papers' new versions (noticed from any source or from the daily export-API check,
announced once, persisted, ended when the user looks) — a real store in a temp dir, a real event bus, the real
guarded HTTP clients against `tests/support/paper_server.py` on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.models import Paper
from papertray.sources.guard import Guard
from papertray.sources.http import Fetcher, SafeHttp
from papertray.sources.politeness import ARXIV_SPACING_SECONDS, machine_limiter
from papertray.store import Store
from papertray.timestamps import iso_z, parse_iso, utc_now
from papertray.version_check import VersionCheck
from papertray.versions import VersionWatcher
from tests.support.paper_server import PaperServer

PAPER = "2307.12345"
OTHER = "2401.00002"


@pytest.fixture
def server() -> Iterator[PaperServer]:
    s = PaperServer().start()
    s.add(PAPER, title="Sparse circuits in small transformers", version=2)
    s.add(OTHER, title="A second saved paper", version=1)
    try:
        yield s
    finally:
        s.stop()


def make_config(home: Path, server: PaperServer) -> Config:
    paths = Paths(
        config_file=home / "config.toml",
        data_dir=home / "data",
        cache_dir=home / "cache",
        state_dir=home / "state",
        log_dir=home / "logs",
    )
    return Config(paths=paths, hf_url=server.url, arxiv_url=server.url, allowed_private_hosts=(server.host,))


class World:
    """A store with two saved papers at the versions the user has, a watcher and a daily check over it."""

    def __init__(self, home: Path, server: PaperServer) -> None:
        self.config = make_config(home, server)
        self.bus = EventBus()
        self.store = Store.open(self.config.paths.data_dir, self.bus)
        self.http = SafeHttp(lambda: self.config, spacing=0.0, connect_timeout=5.0, read_timeout=5.0)
        self.queued: list[str] = []
        self.told: list[tuple[str, str]] = []
        self.outcome = "sent"
        self.watcher = self.new_watcher()
        self.check = VersionCheck(lambda: self.config, self.store, self.bus, self.http)

    def new_watcher(self) -> VersionWatcher:
        async def enqueue(ids: list[str]) -> None:
            self.queued.extend(ids)

        async def announce(title: str, body: str) -> str:
            if self.outcome == "sent":
                self.told.append((title, body))
            return self.outcome

        return VersionWatcher(self.store, self.bus, enqueue=enqueue, announce=announce)

    async def save(self, paper_id: str, title: str, version: int) -> None:
        await self.store.add_papers([Paper(id=paper_id, title=title, version=version, sources=("hf",))])
        await self.store.update_state(paper_id, saved=True)

    async def close(self) -> None:
        await self.http.close()
        await self.store.close()


@pytest.fixture
async def world(tmp_path: Path, server: PaperServer) -> AsyncIterator[World]:
    w = World(tmp_path / "home", server)
    await w.save(PAPER, "Sparse circuits in small transformers", 1)
    await w.save(OTHER, "A second saved paper", 1)
    assert await w.watcher.scan() == []  # the versions the user saved are the baseline: nothing to tell
    try:
        yield w
    finally:
        await w.close()


# ------------------------------------------------------------------------------------------- politeness


async def test_i13_1_feeds_api_abs_and_pdfs_share_one_arxiv_slot_on_the_servers_clock(
    tmp_path: Path, server: PaperServer
) -> None:
    """A listing client (the Fetcher the arXiv poller uses) and the reading list's downloads (SafeHttp) asking
    arXiv at once: on the server's own clock every request starts at least 3 s after the previous one ended,
    and never two are answered at once, whichever path (export API, abstract page, PDF) and client asked."""
    config = make_config(tmp_path, server)
    limiter = machine_limiter(lambda: config.arxiv_url)
    # The configured source is trusted as configured (a test base on 127.0.0.1), as the poller's guard does.
    feeds = Fetcher(limiter=limiter, guard=Guard(trusted_origins=lambda: (config.arxiv_url,)))
    downloads = SafeHttp(lambda: config, spacing=0.0, connect_timeout=5, read_timeout=5, limiter=limiter)
    try:
        await asyncio.gather(
            feeds.get(f"{server.url}/api/query?id_list={PAPER}", what="the export API"),
            feeds.get(f"{server.url}/abs/1902.02534", what="an abstract page"),
            downloads.get_bytes(f"{server.url}/pdf/{PAPER}", 1 << 20, what="a PDF"),
            downloads.get_bytes(f"{server.url}/api/query?id_list={OTHER}", 1 << 20, what="the export API"),
        )
    finally:
        await feeds.close()
        await downloads.close()
    for _ in range(100):  # the server notes a span once its handler has returned, a moment after the client
        if len(server.spans) == 4:
            break
        await asyncio.sleep(0.01)
    spans = sorted(server.spans)
    assert {path.split("?")[0] for _s, _e, path in spans} == {"/api/query", "/abs/1902.02534", f"/pdf/{PAPER}"}
    assert len(spans) == 4
    assert server.max_in_flight == 1
    # arXiv's rule is one request every 3 s: start to start on the server's clock (papertray counts the 3 s
    # from the end of the previous answer, so a slow answer makes the gap longer, never shorter).
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(spans)]
    assert min(gaps) >= ARXIV_SPACING_SECONDS, gaps


async def test_i13_1_every_arxiv_host_and_the_test_base_are_one_slot_and_say_how_long_n_requests_take() -> None:
    base = "http://127.0.0.1:8123"
    limiter = machine_limiter(lambda: base)
    slots = {limiter.slot_of(h) for h in ("arxiv.org", "www.arxiv.org", "export.arxiv.org", "rss.arxiv.org")}
    assert slots == {limiter.slot_of("127.0.0.1:8123")}
    assert limiter.slot_of("huggingface.co") != limiter.slot_of("arxiv.org")
    assert limiter.slot_of("127.0.0.1:9999") != limiter.slot_of("arxiv.org")  # another local server is not arXiv
    # A backfill of 40 export-API pages asks before it starts: 39 gaps of 3 s after the first request.
    assert limiter.time_for("export.arxiv.org", 40) == 39 * ARXIV_SPACING_SECONDS
    async with limiter.slot("rss.arxiv.org"):
        pass
    # Right after a request, the first of the next ones waits too; a 503's Retry-After holds every arXiv host.
    assert 39 * 3.0 < limiter.time_for("arxiv.org", 40) <= 40 * 3.0
    limiter.hold("export.arxiv.org", 600)
    assert limiter.held_for("127.0.0.1:8123") > 590
    assert limiter.time_for("arxiv.org", 1) > 590
    assert limiter.held_for("huggingface.co") == 0


# ------------------------------------------------------------------------------------------- new versions


async def test_i13_2_a_higher_version_from_any_source_is_new_once_queued_and_ends_when_looked_at(
    world: World,
) -> None:
    # An arXiv listing's `replace` item (or Hugging Face) brings v3 through the normal ingest.
    await world.store.add_papers([Paper(id=PAPER, version=3, title="Sparse circuits", sources=("arxiv:cs.LG",))])
    assert await world.watcher.scan() == [PAPER]
    assert world.queued == [PAPER]  # its PDF is fetched, beside the old one
    assert world.told == [("v3 of Sparse circuits is out", "Saved in papertray; its PDF is kept beside v1.")]
    assert world.watcher.new_version(PAPER) == 3 and world.watcher.new_version(OTHER) is None
    # Seen again, and after a restart (a new watcher on the same store): never announced twice.
    assert await world.watcher.scan() == []
    again = world.new_watcher()
    assert await again.scan() == [] and len(world.told) == 1
    assert again.new_version(PAPER) == 3  # still shown until the user looks
    # Opening v2 is not looking at v3; opening v3 is.
    await again.looked(PAPER, 2)
    assert again.new_version(PAPER) == 3
    await again.looked(PAPER, 3)
    assert again.new_version(PAPER) is None and again.status()["new"] == []


async def test_i13_2_held_by_quiet_hours_it_is_told_later_and_a_version_out_before_the_save_is_no_news(
    world: World,
) -> None:
    world.outcome = "held"
    await world.store.add_papers([Paper(id=PAPER, version=2, sources=("hf",))])
    assert await world.watcher.scan() == [PAPER]
    assert world.told == [] and world.watcher.status()["new"][0]["told"] is False
    world.outcome = "sent"
    await world.watcher.announce_pending()
    assert [title for title, _ in world.told] == ["v2 of Sparse circuits in small transformers is out"]
    # A paper saved today whose v2 arXiv dated last year: the user saved it with v2 out, nothing to tell.
    last_year = (utc_now() - timedelta(days=365)).isoformat()
    await world.store.add_papers([Paper(id=OTHER, version=2, versions=((2, last_year),), sources=("arxiv",))])
    assert await world.watcher.scan() == []


async def test_i13_2_the_daily_check_asks_for_many_ids_a_request_and_finds_the_new_version(
    world: World, server: PaperServer
) -> None:
    out = iso_z(utc_now() + timedelta(seconds=1))
    server.new_version(PAPER, updated=out)  # v3 out on the server after the user saved v1
    state = await world.check.check_now()
    asked = [path for _t, path in server.requests if path.startswith("/api/query")]
    assert len(asked) == 1 and f"{PAPER}" in asked[0] and f"{OTHER}" in asked[0]  # both ids in one request
    assert state["error"] is None and state["papers"] == 2
    assert datetime.fromisoformat(state["next_at"]) > utc_now() + timedelta(hours=23)  # once a day
    paper = world.store.get_paper(PAPER)
    assert paper is not None and paper.version == 3
    assert parse_iso(str(dict(paper.versions)[3])) == parse_iso(out)  # the time arXiv dated v3
    assert paper.sources == ("hf",)  # the check adds a version, not a source
    assert await world.watcher.scan() == [PAPER]


async def test_i13_2_many_saved_papers_are_asked_in_batches_and_pages(world: World, server: PaperServer) -> None:
    ids = [f"2402.{n:05d}" for n in range(1, 8)]
    for paper_id in ids:
        server.add(paper_id, title=f"Saved {paper_id}", version=2)
        await world.save(paper_id, f"Saved {paper_id}", 1)
    assert await world.watcher.scan() == []  # saved at v1: the baseline
    check = VersionCheck(lambda: world.config, world.store, world.bus, world.http, batch=4)
    state = await check.check_now()
    asked = [path for _t, path in server.requests if path.startswith("/api/query")]
    assert len(asked) == 3 and state["papers"] == 9  # 9 saved papers, 4 a request
    assert all(world.store.get_paper(pid).version == 2 for pid in ids)  # type: ignore[union-attr]
    assert sorted(await world.watcher.scan()) == sorted([PAPER, *ids])


async def test_i13_2_a_real_export_api_answer_gives_each_saved_papers_version_and_categories(
    world: World, server: PaperServer
) -> None:
    real = Path(__file__).resolve().parents[1] / "fixtures" / "arxiv" / "arxiv_api_query_2026-06-14.atom.xml"
    server.raw_query = real.read_bytes()  # 5 real entries, all v1, totalResults far larger than one page
    ids = ["2606.13677", "2606.13591", "2606.13568", "2606.13515", "2606.13501"]
    for paper_id in ids:
        await world.save(paper_id, "", 1)
    assert await world.watcher.scan() == []
    check = VersionCheck(lambda: world.config, world.store, world.bus, world.http, batch=10)
    state = await check.check_now()
    assert state["error"] is None and state["papers"] == 5
    # Two ids are not in the answer, so the rest is asked for once; the answer repeats and the check stops.
    assert len([p for _t, p in server.requests if p.startswith("/api/query")]) == 2
    paper = world.store.get_paper("2606.13677")
    assert paper is not None and paper.version == 1 and paper.title.startswith("Mana: Dexterous Manipulation")
    assert paper.categories == ("cs.RO", "cs.AI", "cs.CV", "cs.LG")  # the primary first, as arXiv says
    assert await world.watcher.scan() == []  # v1 is what the user has: nothing new


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("error-feed", "arXiv's export API refused the query: incorrect id format for 1234.12345."),
        ("503", "answered HTTP 503 for /api/query."),
    ],
)
async def test_i13_2_an_error_feed_or_503_is_one_sentence_in_status_loses_nothing_and_is_tried_again(
    world: World, server: PaperServer, fault: str, words: str
) -> None:
    server.new_version(PAPER)  # v3 on the server; the user has v1
    server.fault("/api/query", fault, times=1)
    state = await world.check.check_now()
    assert state["error"].startswith("The daily check of saved papers' versions failed: ")
    assert state["error"].endswith(words) and state["error"].count(". ") == 0  # one sentence
    assert world.watcher.status()["check"]["error"] == state["error"]  # what `status` shows
    assert world.store.get_paper(PAPER).version == 1  # type: ignore[union-attr]  # nothing lost, nothing made up
    assert world.store.get_state(PAPER).saved
    # Tried again well before tomorrow (a 503's Retry-After is honoured first); then the error is gone.
    assert datetime.fromisoformat(state["next_at"]) < utc_now() + timedelta(hours=6, minutes=1)
    while (held := world.http.limiter.held_for(f"127.0.0.1:{server.port}")) > 0:
        await asyncio.sleep(held)
    again = await world.check.check_now()
    assert again["error"] is None and world.store.get_paper(PAPER).version == 3  # type: ignore[union-attr]


async def test_i13_2_unsaving_forgets_and_reading_after_the_version_ends_it(world: World) -> None:
    await world.store.add_papers([Paper(id=PAPER, version=2), Paper(id=OTHER, version=2)])
    assert sorted(await world.watcher.scan()) == sorted([OTHER, PAPER])
    task = asyncio.create_task(world.watcher.run())
    try:
        await asyncio.sleep(0.05)
        await world.store.update_state(PAPER, read=True)  # read after v2 came: looked at
        await world.store.update_state(OTHER, saved=False)  # off the reading list
        for _ in range(100):
            if world.watcher.status()["new"] == []:
                break
            await asyncio.sleep(0.02)
        assert world.watcher.status()["new"] == []
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
