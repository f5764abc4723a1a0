"""The library against a real fixture server on 127.0.0.1, a real store in a temp dir and a real event bus:
a save becomes a folder with the PDF, meta.json, paper.bib and notes.md; faults are retried or refused."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from papertray import citations
from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.library import Library
from papertray.store import Store
from tests.support.paper_server import PaperServer

REPO = Path(__file__).resolve().parents[2]


def make_config(home: Path, server: PaperServer, **overrides: Any) -> Config:
    paths = Paths(
        config_file=home / "config.toml",
        data_dir=home / "data",
        cache_dir=home / "cache",
        state_dir=home / "state",
        log_dir=home / "logs",
    )
    base = Config(paths=paths, hf_url=server.url, arxiv_url=server.url, allowed_private_hosts=(server.host,))
    return replace(base, **overrides)


class Harness:
    def __init__(self, home: Path, server: PaperServer, **config: Any) -> None:
        self.home = home
        self.config = make_config(home, server, **config)
        self.bus = EventBus()
        self.store = Store.open(self.config.paths.data_dir, self.bus)
        self.library: Library | None = None
        self.task: asyncio.Task[None] | None = None
        self.events: list[dict[str, Any]] = []
        self._watch: asyncio.Task[None] | None = None

    async def start(self, **kwargs: Any) -> Library:
        kwargs = {"spacing": 0.0, "retry_base": 0.05, "retry_max": 0.2, "read_timeout": 1.0, **kwargs}
        self.library = Library(lambda: self.config, self.store, self.bus, **kwargs)
        self._watch = asyncio.create_task(self._record())
        self.task = asyncio.create_task(self.library.run())
        await asyncio.sleep(0.01)
        return self.library

    async def _record(self) -> None:
        async for event in self.bus.subscribe():
            if event.type == "library.progress":
                self.events.append(event.data)

    async def wait_for(self, paper_id: str, state: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event["id"] == paper_id and event["state"] == state:
                    return event
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {state} for {paper_id}; events: {self.events}")

    async def stop(self) -> None:
        for task in (self.task, self._watch):
            if task is not None:
                task.cancel()
                with __import__("contextlib").suppress(asyncio.CancelledError):
                    await task
        if self.library is not None:
            await self.library.close()
        await self.store.close()

    def folder(self, key: str) -> Path:
        return self.config.paths.library_dir / key


@pytest.fixture
def server() -> Iterator[PaperServer]:
    with PaperServer() as srv:
        srv.add(
            "2307.12345", title="Sparse Autoencoders Find Features", authors=["Ada Lovelace", "Alan Turing"], version=2
        )
        srv.add("hep-th/9901001", title="Large N limit", authors=["Juan Maldacena"], on_hf=False)
        yield srv


@pytest.fixture
async def harness(tmp_path: Path, server: PaperServer) -> AsyncIterator[Harness]:
    h = Harness(tmp_path / "home", server)
    yield h
    await h.stop()


async def test_a_save_becomes_a_plain_folder_with_pdf_metadata_bibtex_and_notes(
    harness: Harness, server: PaperServer
) -> None:
    await harness.start()
    await harness.store.update_state("2307.12345", saved=True, tags=["interp"], note="Section 3 first.")
    await harness.wait_for("2307.12345", "done")
    folder = harness.folder("2307.12345")
    pdf = folder / "2307.12345v2.pdf"
    assert pdf.read_bytes() == server.papers["2307.12345"].pdfs[2]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["paper"]["title"] == "Sparse Autoencoders Find Features"
    assert meta["paper"]["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert meta["pdfs"][0]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert meta["tags"] == ["interp"]
    assert (folder / "notes.md").read_text() == "Section 3 first."
    bib = citations.parse_bibtex((folder / "paper.bib").read_text())
    assert bib.entries[0].id == "2307.12345" and bib.entries[0].tags == ("interp",)
    # The store learnt the title too, so the list, search and export show it.
    assert harness.store.get_paper("2307.12345").title == "Sparse Autoencoders Find Features"  # type: ignore[union-attr]
    assert [name for _v, name in harness.library.pdfs("2307.12345")] == ["2307.12345v2.pdf"]  # type: ignore[union-attr]
    assert harness.library.paper_status("2307.12345")["state"] == "ready"  # type: ignore[union-attr]

    await harness.store.update_state("2307.12345", note="Changed my mind.\n\nSection 5.")
    for _ in range(200):
        if (folder / "notes.md").read_text() == "Changed my mind.\n\nSection 5.":
            break
        await asyncio.sleep(0.02)
    assert (folder / "notes.md").read_text() == "Changed my mind.\n\nSection 5."


async def test_old_style_ids_fall_back_to_the_arxiv_export_api(harness: Harness, server: PaperServer) -> None:
    await harness.start()
    await harness.store.update_state("hep-th/9901001", saved=True)
    await harness.wait_for("hep-th/9901001", "done")
    folder = harness.folder("hep-th_9901001")
    assert (folder / "hep-th_9901001v1.pdf").read_bytes().startswith(b"%PDF-")
    assert json.loads((folder / "meta.json").read_text())["paper"]["title"] == "Large N limit"
    assert server.hits("/api/papers/") == 0  # HF has no old-style ids: not asked
    assert server.hits("/api/query") == 1


async def test_hf_failure_falls_back_to_arxiv(harness: Harness, server: PaperServer) -> None:
    server.fault("/api/papers/2307.12345", "500")
    await harness.start()
    await harness.store.update_state("2307.12345", saved=True)
    await harness.wait_for("2307.12345", "done")
    meta = json.loads((harness.folder("2307.12345") / "meta.json").read_text())
    assert meta["paper"]["title"] == "Sparse Autoencoders Find Features"
    assert meta["paper"]["version"] == 2


@pytest.mark.parametrize("fault", ["500", "html", "truncated", "no-eof", "slow", "429"])
async def test_transient_pdf_faults_are_retried_and_never_leave_a_pdf_behind(
    harness: Harness, server: PaperServer, fault: str
) -> None:
    server.fault("/pdf/2307.12345", fault, times=1)
    await harness.start()
    await harness.store.update_state("2307.12345", saved=True)
    retrying = await harness.wait_for("2307.12345", "retrying")
    assert retrying["attempts"] == 1 and retrying["error"]
    await harness.wait_for("2307.12345", "done")
    folder = harness.folder("2307.12345")
    assert sorted(p.name for p in folder.iterdir()) == ["2307.12345v2.pdf", "meta.json", "notes.md", "paper.bib"]
    assert server.hits("/pdf/2307.12345") == 2


async def test_a_pdf_that_never_comes_ends_as_failed_with_a_reason(harness: Harness, server: PaperServer) -> None:
    server.fault("/pdf/2307.12345", "html")
    await harness.start(max_attempts=3)
    await harness.store.update_state("2307.12345", saved=True)
    failed = await harness.wait_for("2307.12345", "failed")
    assert "not a PDF" in failed["error"] and failed["attempts"] == 3
    assert harness.library.pdfs("2307.12345") == []  # type: ignore[union-attr]
    status = harness.library.status()  # type: ignore[union-attr]
    assert status["failed"][0]["id"] == "2307.12345"
    # The user's retry after the cause went away works.
    server.clear_faults()
    harness.events.clear()
    await harness.library.retry("2307.12345")  # type: ignore[union-attr]
    await harness.wait_for("2307.12345", "done")


async def test_404_is_not_retried(harness: Harness, server: PaperServer) -> None:
    server.fault("/pdf/2307.12345", "404")
    await harness.start()
    await harness.store.update_state("2307.12345", saved=True)
    failed = await harness.wait_for("2307.12345", "failed")
    assert "HTTP 404" in failed["error"] and failed["attempts"] == 1


async def test_pdf_over_the_size_cap_is_refused(tmp_path: Path, server: PaperServer) -> None:
    server.add("2401.00001", title="Huge", pdf_size=1_300_000)
    h = Harness(tmp_path / "home", server, max_pdf_mb=1)
    try:
        await h.start()
        await h.store.update_state("2401.00001", saved=True)
        failed = await h.wait_for("2401.00001", "failed")
        assert "max_pdf_mb" in failed["error"]
        assert list(h.folder("2401.00001").glob("*.pdf")) == []
        assert list(h.folder("2401.00001").glob(".*")) == []
    finally:
        await h.stop()


@pytest.mark.parametrize("target", ["http://10.0.0.1/pdf/x", "http://169.254.169.254/latest", "http://[::1]:9/x"])
async def test_redirects_to_private_addresses_are_refused(harness: Harness, server: PaperServer, target: str) -> None:
    server.fault("/pdf/2307.12345", f"redirect:{target}")
    await harness.start()
    await harness.store.update_state("2307.12345", saved=True)
    failed = await harness.wait_for("2307.12345", "failed")
    assert "private or local address" in failed["error"]
    assert failed["attempts"] == 1  # refused, not retried


async def test_loopback_is_refused_unless_the_user_allowed_that_host(tmp_path: Path) -> None:
    # The server is reached as "localhost" (allowed); a redirect to 127.0.0.1 (not listed) must be refused.
    with PaperServer(host="127.0.0.1") as srv:
        srv.add("2307.12345", title="T")
        srv.host = "localhost"
        srv.fault("/pdf/2307.12345", f"redirect:http://127.0.0.1:{srv.port}/elsewhere/2307.12345")
        h = Harness(tmp_path / "home", srv)
        try:
            await h.start()
            await h.store.update_state("2307.12345", saved=True)
            failed = await h.wait_for("2307.12345", "failed")
            assert "127.0.0.1" in failed["error"] and "private or local" in failed["error"]
            assert srv.hits("/elsewhere/") == 0
        finally:
            await h.stop()
        # Nothing allowed at all: even the configured base is refused before any request is made.
        srv.requests.clear()
        h = Harness(tmp_path / "home2", srv, allowed_private_hosts=())
        try:
            await h.start()
            await h.store.update_state("2307.12345", saved=True)
            failed = await h.wait_for("2307.12345", "failed")
            assert "private or local" in failed["error"]
            assert srv.requests == []
        finally:
            await h.stop()


async def test_a_new_arxiv_version_is_kept_beside_the_old_one(harness: Harness, server: PaperServer) -> None:
    library = await harness.start()
    await harness.store.update_state("2307.12345", saved=True)
    await harness.wait_for("2307.12345", "done")
    server.new_version("2307.12345")
    harness.events.clear()
    await library.retry("2307.12345")
    await harness.wait_for("2307.12345", "done")
    names = [name for _v, name in library.pdfs("2307.12345")]
    assert names == ["2307.12345v2.pdf", "2307.12345v3.pdf"]
    meta = json.loads((harness.folder("2307.12345") / "meta.json").read_text())
    assert [f["version"] for f in meta["pdfs"]] == [2, 3]
    # Asking again without a new version adds nothing.
    harness.events.clear()
    await library.retry("2307.12345")
    await harness.wait_for("2307.12345", "done")
    assert len(library.pdfs("2307.12345")) == 2


async def test_the_queue_survives_a_restart(tmp_path: Path, server: PaperServer) -> None:
    server.fault("/pdf/2307.12345", "500")
    h = Harness(tmp_path / "home", server)
    await h.start(retry_base=3600, retry_max=3600)
    await h.store.update_state("2307.12345", saved=True)
    await h.wait_for("2307.12345", "retrying")
    await h.stop()
    server.clear_faults()
    # Next start: the item is due only in an hour, so make the restart honest by using a small retry base.
    again = Harness(tmp_path / "home", server)
    queue = again.store.get_meta("library.queue")
    assert list(queue) == ["2307.12345"] and queue["2307.12345"]["attempts"] == 1
    queue["2307.12345"]["next_at"] = 0
    await again.store.put_meta("library.queue", queue)
    try:
        await again.start()
        await again.wait_for("2307.12345", "done")
        assert again.store.get_meta("library.queue") == {}
    finally:
        await again.stop()


async def test_requests_are_spaced_and_use_one_connection(tmp_path: Path, server: PaperServer) -> None:
    for n in range(3):
        server.add(f"2402.0000{n}", title=f"P{n}")
    h = Harness(tmp_path / "home", server)
    try:
        await h.start(spacing=0.3)
        await h.store.update_states({f"2402.0000{n}": {"saved": True} for n in range(3)})
        for n in range(3):
            await h.wait_for(f"2402.0000{n}", "done")
        times = [t for t, _p in server.requests]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 0.25, gaps  # the spacing we asked for, not a speed claim
        assert server.max_concurrent == 1
    finally:
        await h.stop()


async def test_remove_and_restore_round_trip(harness: Harness) -> None:
    library = await harness.start()
    await harness.store.update_state("2307.12345", saved=True, read=True)
    await harness.wait_for("2307.12345", "done")
    undo = await library.remove("2307.12345")
    assert undo == {"saved": True, "read": True}
    assert not harness.folder("2307.12345").exists()
    assert not harness.store.get_state("2307.12345").saved
    await library.restore("2307.12345", read=True)
    assert (harness.folder("2307.12345") / "2307.12345v2.pdf").exists()
    state = harness.store.get_state("2307.12345")
    assert state.saved and state.read


async def test_export_then_import_into_an_empty_home_gives_the_same_library(
    tmp_path: Path, server: PaperServer
) -> None:
    first = Harness(tmp_path / "one", server)
    try:
        await first.start()
        await first.store.update_states(
            {
                "2307.12345": {"saved": True, "tags": ["interp", "to-cite"], "note": "Line one.\nLine two."},
                "hep-th/9901001": {"saved": True, "read": True},
            }
        )
        await first.wait_for("2307.12345", "done")
        await first.wait_for("hep-th/9901001", "done")
        saved = [v for v in first.store.query() if v.state.saved]
        exported = citations.export(saved, "csljson")
    finally:
        await first.stop()

    second = Harness(tmp_path / "two", server)
    try:
        await second.start()
        parsed = citations.parse_csljson(exported)
        report = await second.library.import_entries(parsed.entries)  # type: ignore[union-attr]
        assert report == {"imported": 2, "already_saved": 0}
        await second.wait_for("2307.12345", "done")
        await second.wait_for("hep-th/9901001", "done")

        def summary(store: Store) -> list[tuple[Any, ...]]:
            return sorted(
                (
                    v.id,
                    v.paper.title if v.paper else "",
                    v.paper.authors if v.paper else (),
                    v.state.tags,
                    v.state.note,
                    v.state.read,
                )
                for v in store.query()
                if v.state.saved
            )

        reopened = Store.open(tmp_path / "one" / "data")
        assert summary(second.store) == summary(reopened)
        await reopened.close()
        for key in ("2307.12345", "hep-th_9901001"):
            assert list(second.folder(key).glob("*.pdf"))
    finally:
        await second.stop()


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    sys.path[:0] = [sys.argv[3], sys.argv[4]]
    from papertray.events import EventBus
    from papertray.library import Library
    from papertray.store import Store
    from tests.integration.test_library import make_config
    from tests.support.paper_server import PaperServer

    async def main():
        server = PaperServer(); server.port = int(sys.argv[2])
        config = make_config(Path(sys.argv[1]), server)
        bus = EventBus()
        store = Store.open(config.paths.data_dir, bus)
        library = Library(lambda: config, store, bus, spacing=0, read_timeout=600)
        task = asyncio.create_task(library.run())
        await asyncio.sleep(0.05)
        await store.update_state("2307.12345", saved=True)
        print("saved", flush=True)
        await task

    asyncio.run(main())
    """
)


def test_sigkill_in_the_middle_of_a_download_never_leaves_a_partial_pdf(tmp_path: Path, server: PaperServer) -> None:
    home = tmp_path / "home"
    server.add("2307.12345", title="Big enough to arrive in pieces", version=2, pdf_size=400_000)
    server.fault("/pdf/2307.12345", "slow", times=1)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home), str(server.port), str(REPO / "daemon"), str(REPO)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        folder = home / "data" / "library" / "2307.12345"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list(folder.glob(".*.part")):
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            time.sleep(0.02)
        parts = list(folder.glob(".*.part"))
        assert parts, "the download never started"
        # Wait for the first half of the body to be on disk, then kill.
        while time.monotonic() < deadline and parts[0].stat().st_size == 0:
            time.sleep(0.02)
        assert parts[0].stat().st_size > 0, "killed before any byte arrived"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()
    assert list(folder.glob("*.pdf")) == []  # only the hidden .part, never "2307.12345v2.pdf"
    # The folder's own files come before the PDF (11.20); they record no PDF that is not complete.
    assert json.loads((folder / "meta.json").read_text())["pdfs"] == []

    async def resume() -> None:
        h = Harness(home, server)
        try:
            await h.start()
            await h.wait_for("2307.12345", "done")
            assert (folder / "2307.12345v2.pdf").read_bytes() == server.papers["2307.12345"].pdfs[2]
            assert list(folder.glob(".*.part")) == []
        finally:
            await h.stop()

    asyncio.run(resume())


async def test_a_new_pdf_whose_version_is_unknown_never_overwrites_the_old_one(
    harness: Harness, server: PaperServer
) -> None:
    library = await harness.start()
    await harness.store.update_state("2307.12345", saved=True)
    await harness.wait_for("2307.12345", "done")
    old = (harness.folder("2307.12345") / "2307.12345v2.pdf").read_bytes()
    server.new_version("2307.12345")
    server.fault("/api/query", "500", times=1)  # the export API cannot say the version this time
    harness.events.clear()
    await library.retry("2307.12345")
    retrying = await harness.wait_for("2307.12345", "retrying")
    assert "did not say its version" in retrying["error"]
    assert (harness.folder("2307.12345") / "2307.12345v2.pdf").read_bytes() == old
    await harness.wait_for("2307.12345", "done")
    assert [name for _v, name in library.pdfs("2307.12345")] == ["2307.12345v2.pdf", "2307.12345v3.pdf"]
