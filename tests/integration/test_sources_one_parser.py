"""Every source is parsed once, the same way (issue 12): what the feed said about a paper is what the reading
list keeps after it fetched the paper's own details. The real daemon polls a real recorded Daily Papers answer
(2026-06-12) from the fixture Hugging Face server, which also answers `/api/papers/{id}` with that paper's own
object, as huggingface.co does; arXiv's export API is busy (503), as it often is, so Hugging Face's details are
all the library gets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import TODAY
from tests.support.daemon import DaemonProcess, run_cli
from tests.support.feed_server import FeedServer, load_real_day
from tests.support.paper_server import PaperServer

PAPER = "2606.12575"


def feed_authors() -> list[str]:
    entry = next(e for e in load_real_day("2026-06-12") if e["paper"]["id"] == PAPER)
    return [a["name"] for a in entry["paper"]["authors"]]


@pytest.fixture
async def hf() -> AsyncIterator[FeedServer]:
    server = FeedServer(days={TODAY: load_real_day("2026-06-12")})
    server.serve_details()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def arxiv() -> Iterator[PaperServer]:
    with PaperServer() as server:
        server.add(PAPER, title="High-Fidelity Two-Step Image Generation", authors=feed_authors())
        server.fault("/api/query", "500")  # every time: the export API is busy
        yield server


async def test_a_hidden_author_of_the_feed_stays_in_the_store_meta_json_bibtex_and_the_api(
    tmp_path: Path, hf: FeedServer, arxiv: PaperServer
) -> None:
    authors = feed_authors()
    assert len(authors) == 10 and "Dengyang Jiang" in authors  # the author HF marks "hidden": true
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[library]\nallowed_private_hosts = ["127.0.0.1"]\n')
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=hf.url, PAPERTRAY_ARXIV_URL=arxiv.url)
    await asyncio.to_thread(daemon.start)
    try:
        await asyncio.to_thread(daemon.after_first_poll)
        status, before = daemon.get(f"papers/{PAPER}")
        assert status == 200 and before["authors"] == authors

        saved = await asyncio.to_thread(run_cli, home, "save", PAPER, env=daemon.env)
        assert saved.returncode == 0, saved.stderr
        folder = home / "data" / "library" / PAPER
        deadline = time.monotonic() + 60
        while not list(folder.glob("*.pdf")) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert list(folder.glob("*.pdf")), daemon.output()
        assert PAPER in hf.detail_requests  # the paper's own details were fetched

        meta = json.loads((folder / "meta.json").read_text())
        assert meta["paper"]["authors"] == authors
        bib = (folder / "paper.bib").read_text()
        author_line = next(line for line in bib.splitlines() if line.strip().startswith("author = "))
        assert "Jiang, Dengyang" in author_line and len(author_line.split(" and ")) == 10
        status, after = daemon.get(f"papers/{PAPER}")
        assert status == 200 and after["authors"] == authors
        listed = await asyncio.to_thread(run_cli, home, "list", "--state", "saved", "--json", env=daemon.env)
        assert [p["authors"] for p in json.loads(listed.stdout) if p["id"] == PAPER] == [authors]
        status, exported = daemon.get("export?format=csljson&state=saved")
        assert status == 200 and len(exported[0]["author"]) == 10
    finally:
        await asyncio.to_thread(daemon.stop)
