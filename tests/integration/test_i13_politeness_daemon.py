"""Issue 13, arXiv's terms for the whole machine, on the real daemon (`papertray run --no-tray`): the listing
poll, a catch-up's export-API pages, the daily version check and the reading list's PDF downloads all ask arXiv
in the same few seconds after a start, and the fixture server's own clock shows them one at a time, each at
least 3 s after the previous one began. `app.run_daemon` builds one `machine_limiter` and hands it to every
client; this guards that wiring (a client with a limiter of its own would send its requests in between).
arXiv's real spacing is kept, so this takes about a minute."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from papertray.sources.politeness import ARXIV_SPACING_SECONDS
from papertray.timestamps import iso_z, utc_now
from tests.support.arxiv_daemon import CONFIG, library_pdfs, start_with_arxiv
from tests.support.arxiv_server import ApiPaper, Item
from tests.support.daemon import DaemonProcess
from tests.support.desktop_session import wait_for
from tests.support.paper_server import PaperServer

SAVED = ("2307.12345", "2307.12346")
LATE = "2307.12347"  # saved just before the first daemon stops: its download resumes in the second
MONDAY, THURSDAY = "2026-11-23", "2026-11-26"  # the machine slept through Tuesday's and Wednesday's listings
# More than one export-API page (500 a page) for cs.LG, one for cs.CL: the catch-up asks three times.
MISSED_LG = [ApiPaper(f"2611.1{n:04d}", datetime(2026, 11, 24, 9, tzinfo=UTC), ("cs.LG",)) for n in range(520)]
MISSED_CL = [ApiPaper(f"2611.2{n:04d}", datetime(2026, 11, 25, 9, tzinfo=UTC), ("cs.CL",)) for n in range(3)]


@pytest.fixture
def arxiv() -> Iterator[PaperServer]:
    with PaperServer() as server:  # every arXiv path on one host, as PAPERTRAY_ARXIV_URL makes it
        server.add(SAVED[0], title="Sparse circuits in small transformers", on_hf=False)
        server.add(SAVED[1], title="Linear probes revisited", on_hf=False)
        server.add(LATE, title="A paper saved last", on_hf=False)
        server.listing_day, server.listing = MONDAY, [Item("2611.00001"), Item("2611.00002")]
        yield server


@pytest.fixture
def hf() -> Iterator[PaperServer]:
    with PaperServer() as server:  # Hugging Face on its own host: its slot is not arXiv's
        yield server


def arxiv_polled_since(daemon: DaemonProcess, moment: str) -> dict[str, Any] | None:
    _status, body = daemon.get("status")
    found = [s for s in body["sources"] if s["name"] == "arxiv"]
    polled = found[0]["last_poll_at"] if found else None
    if polled and polled >= moment and not found[0]["polling"]:
        return dict(found[0])
    return None


def test_i13_listing_catch_up_version_check_and_pdfs_at_once_keep_arxivs_terms_on_the_servers_clock(
    tmp_path: Path, arxiv: PaperServer, hf: PaperServer
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(CONFIG + '[arxiv]\ncategories = ["cs.LG"]\n')
    first = start_with_arxiv(home, arxiv, hf)
    try:
        wait_for(lambda: arxiv_polled_since(first, ""), "Monday's listing", timeout=60)
        for paper_id in SAVED:
            assert first.post(f"papers/{paper_id}/save")[0] == 200
        wait_for(lambda: all(library_pdfs(home, pid) == [f"{pid}v1.pdf"] for pid in SAVED), "the v1 PDFs", timeout=120)
        # Its PDF trickles in: it can not finish before the stop, however long the stop takes to come.
        for path in (f"/pdf/{LATE}", f"/pdf/{LATE}v1"):
            arxiv.fault(path, "drip")
        assert first.post(f"papers/{LATE}/save")[0] == 200
    finally:
        first.stop()
    arxiv.clear_faults()
    wait_for(lambda: arxiv.in_flight == 0, "the server to see the first daemon's download cut off", timeout=120)

    # While the machine slept: two announcements missed, v2 of both saved papers out, and the user follows cs.CL
    # too (a new list is polled at once, whatever the last listing's max-age said).
    for paper_id in SAVED:
        arxiv.new_version(paper_id, updated=iso_z(utc_now() + timedelta(seconds=1)))
    arxiv.listing_day, arxiv.listing = THURSDAY, [Item("2611.30001"), Item("2611.30002", categories=("cs.CL",))]
    arxiv.submissions = [*MISSED_LG, *MISSED_CL]
    (home / "config.toml").write_text(CONFIG + '[arxiv]\ncategories = ["cs.LG", "cs.CL"]\n')
    before = len(arxiv.spans)
    started = iso_z(utc_now())

    second = start_with_arxiv(home, arxiv, hf)
    try:
        state = wait_for(lambda: arxiv_polled_since(second, started), "the listing and its catch-up", timeout=180)
        assert state["error_count"] == 0, state
        wait_for(
            lambda: all(library_pdfs(home, pid) == [f"{pid}v1.pdf", f"{pid}v2.pdf"] for pid in SAVED),
            "the v2 PDFs",
            timeout=120,
        )
        wait_for(lambda: library_pdfs(home, LATE) == [f"{LATE}v1.pdf"], "the resumed download", timeout=120)
        # What each part asked for arrived: the missed days' papers are stored, the new versions known.
        for paper_id in (MISSED_LG[-1].id, MISSED_CL[0].id, "2611.30002"):
            assert second.get(f"papers/{paper_id}")[0] == 200, paper_id
        _status, body = second.get("status")
        assert {item["id"] for item in body["versions"]["new"]} == set(SAVED)
    finally:
        second.stop()

    spans = sorted(arxiv.spans[before:])
    paths = [path for _s, _e, path in spans]
    listing = [i for i, p in enumerate(paths) if p.startswith("/rss/")]
    pages = [i for i, p in enumerate(paths) if p.startswith("/api/query?") and "search_query=" in p]
    checks = [i for i, p in enumerate(paths) if p.startswith("/api/query?id_list=") and p.count(",") == len(SAVED)]
    pdfs = [i for i, p in enumerate(paths) if p.startswith("/pdf/")]
    assert [paths[i] for i in listing] == ["/rss/cs.LG+cs.CL"], paths
    assert len(pages) == 3 and len(checks) == 1 and len(pdfs) >= 3, paths
    # The same window: the poller's requests and the library's were waiting for the one slot together, so
    # they alternate rather than one part finishing before the other began.
    poller, library = sorted(listing + pages), sorted(checks + pdfs)
    assert poller[0] < library[-1] and library[0] < poller[-1], paths
    # Never two at once (over both daemons' lives), and start to start at least 3 s apart on the server's clock.
    assert arxiv.max_in_flight == 1
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(spans)]
    assert min(gaps) >= ARXIV_SPACING_SECONDS, list(zip(paths[1:], gaps, strict=True))
