"""Issue 13 on the real daemon (`papertray run --no-tray` as a subprocess): every arXiv request it makes — the
daily version check, the reading list's metadata and PDFs, resumed downloads, at once — keeps arXiv's terms on
the fixture server's own clock; a saved paper's new version is found by the daily check, its PDF lands beside
the old one, `status` says so, a restart neither checks again the same day nor forgets, and opening the new PDF
from the reading list ends "new". arXiv's real spacing (3 s) is kept, so this takes a minute."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from papertray.sources.politeness import ARXIV_SPACING_SECONDS
from papertray.timestamps import iso_z, utc_now
from tests.support.arxiv_daemon import library_pdfs, start_with_arxiv
from tests.support.daemon import run_cli
from tests.support.desktop_session import wait_for
from tests.support.library_page import login, page_get
from tests.support.paper_server import PaperServer

SAVED = ("2307.12345", "2307.12346")
LATE = "2307.12347"  # saved just before the first daemon stops: its download resumes in the second


@pytest.fixture
def arxiv() -> Iterator[PaperServer]:
    with PaperServer() as server:
        server.add(SAVED[0], title="Sparse circuits in small transformers", on_hf=False)
        server.add(SAVED[1], title="Linear probes revisited", on_hf=False)
        server.add(LATE, title="A paper saved last", on_hf=False)
        yield server


@pytest.fixture
def hf() -> Iterator[PaperServer]:
    with PaperServer() as server:  # Hugging Face on its own host: its slot is not arXiv's
        yield server


def test_i13_a_real_daemon_keeps_arxivs_terms_and_a_saved_papers_new_version_lands_beside_the_old(
    tmp_path: Path, arxiv: PaperServer, hf: PaperServer
) -> None:
    home = tmp_path / "home"
    first = start_with_arxiv(home, arxiv, hf)
    try:
        for paper_id in SAVED:
            assert first.post(f"papers/{paper_id}/save")[0] == 200
        wait_for(lambda: all(library_pdfs(home, pid) == [f"{pid}v1.pdf"] for pid in SAVED), "the v1 PDFs", timeout=120)
        assert first.post(f"papers/{LATE}/save")[0] == 200
    finally:
        first.stop()  # (LATE's download may not have begun: the second daemon resumes it)

    # Overnight arXiv announces v2 of both saved papers.
    out = iso_z(utc_now() + timedelta(seconds=1))
    for paper_id in SAVED:
        arxiv.new_version(paper_id, updated=out)
    before = len(arxiv.spans)

    second = start_with_arxiv(home, arxiv, hf)
    try:
        # The daily check (due: never done with saved papers) and the resumed download ask arXiv at once.
        wait_for(
            lambda: all(library_pdfs(home, pid) == [f"{pid}v1.pdf", f"{pid}v2.pdf"] for pid in SAVED),
            "the v2 PDFs",
            timeout=120,
        )
        wait_for(lambda: library_pdfs(home, LATE) == [f"{LATE}v1.pdf"], "the resumed download", timeout=120)
        status, body = second.get("status")
        assert status == 200
        news = {item["id"]: item for item in body["versions"]["new"]}
        assert set(news) == set(SAVED)
        assert news[SAVED[0]]["version"] == 2 and news[SAVED[0]]["was"] == 1 and news[SAVED[0]]["told"] is True
        assert body["versions"]["check"]["error"] is None
        text = run_cli(home, "status", env=second.env).stdout
        assert "New      v2 of Sparse circuits in small transformers is out" in text
        _, found = second.post("lookup", {"ids": [*SAVED, LATE]})
        assert found["papers"][SAVED[0]]["new_version"] == 2 and "new_version" not in found["papers"][LATE]
        # The user opens the new PDF from the reading list: that paper is no longer new, the other still is.
        session = login(second)
        code, pdf, _ctype = page_get(second, session, f"/library/pdf/{SAVED[0]}")
        assert code == 200 and pdf.startswith(b"%PDF-") and f"{SAVED[0]}v2".encode() in pdf
        _, listed = page_get(second, session, "/library/api/papers")[:2]
        items = {item["id"]: item for item in json.loads(listed)["papers"]}
        assert items[SAVED[0]]["new_version"] is None and items[SAVED[1]]["new_version"] == 2
    finally:
        second.stop()

    # arXiv's terms, on the server's clock, over everything the second daemon asked: export API (the check's
    # id_list of both papers, the library's metadata) and PDFs, from the check and the download queue at once.
    spans = sorted(arxiv.spans[before:])
    paths = [path for _s, _e, path in spans]
    checks = [p for p in paths if p.startswith("/api/query?id_list=") and p.count(",") == len(SAVED)]
    assert len(checks) == 1 and all(pid in checks[0] for pid in (*SAVED, LATE)), paths  # one request, many ids
    assert any(p.startswith(f"/pdf/{LATE}") for p in paths) and any(p.startswith(f"/pdf/{SAVED[0]}") for p in paths)
    assert arxiv.max_in_flight == 1
    # arXiv's rule is one request every 3 s: start to start on the server's clock (papertray counts the 3 s
    # from the end of the previous answer, so a slow answer makes the gap longer, never shorter).
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(spans)]
    assert min(gaps) >= ARXIV_SPACING_SECONDS, gaps

    # A restart the same day: no second check, nothing new told, and what is still new is still shown.
    asked = len(arxiv.requests)
    third = start_with_arxiv(home, arxiv, hf)
    try:
        assert third.post("poll")[0] == 200  # a full poll cycle: the watcher has looked again
        status, body = third.get("status")
        assert [item["id"] for item in body["versions"]["new"]] == [SAVED[1]]
        assert len(arxiv.requests) == asked
    finally:
        third.stop()
