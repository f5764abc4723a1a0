"""The reading list on the real daemon (`papertray run --no-tray` as a subprocess): saves through the API
become PDFs in the library folder; an export imported into an empty home gives the same library; with every
paper server stopped, the page's list and the PDFs are still served. Downloads keep arXiv's real spacing
(one request per 3 s), so this test takes a few tens of seconds."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papertray import citations
from tests.support.daemon import DaemonProcess
from tests.support.library_page import login, page_get
from tests.support.paper_server import PaperServer

pytest.importorskip("papertray.app", reason="the daemon's composition root (app.py) is not merged yet")

IDS = ("2307.12345", "hep-th/9901001")


@pytest.fixture
def papers() -> Iterator[PaperServer]:
    with PaperServer() as srv:
        srv.add("2307.12345", title="Sparse Autoencoders", authors=["Ada Lovelace", "Alan Turing"], version=2)
        srv.add("hep-th/9901001", title="Large N", authors=["Juan Maldacena"], on_hf=False)
        yield srv


def start_daemon(home: Path, papers: PaperServer) -> DaemonProcess:
    home.mkdir(parents=True)
    # The fixture server lives on 127.0.0.1, which downloads refuse unless the user allowed it.
    (home / "config.toml").write_text('[library]\nallowed_private_hosts = ["127.0.0.1"]\n')
    return DaemonProcess(home, PAPERTRAY_HF_URL=papers.url, PAPERTRAY_ARXIV_URL=papers.url).start()


def wait_for_pdfs(home: Path, timeout: float = 90) -> None:
    folders = [home / "data" / "library" / pid.replace("/", "_") for pid in IDS]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all((f / "meta.json").exists() and list(f.glob("*.pdf")) for f in folders):
            return
        time.sleep(0.2)
    raise AssertionError(f"PDFs did not arrive: {[sorted(p.name for p in f.glob('*')) for f in folders]}")


def library_of(daemon: DaemonProcess) -> list[tuple[Any, ...]]:
    status, exported = daemon.get("export?format=csljson&state=saved")
    assert status == 200
    entries = citations.parse_csljson(json.dumps(exported)).entries
    return sorted((e.id, e.title, e.authors, e.tags, e.note, e.read) for e in entries)


def test_save_export_import_into_an_empty_home_and_read_offline(tmp_path: Path, papers: PaperServer) -> None:
    first = start_daemon(tmp_path / "one", papers)
    try:
        for pid in IDS:
            assert first.post(f"papers/{pid}/save")[0] == 200
        assert first.request("PATCH", "papers/2307.12345", {"tags": ["interp"], "note": "On the plane."})[0] == 200
        wait_for_pdfs(first.home)
        notes = first.home / "data" / "library" / "2307.12345" / "notes.md"
        deadline = time.monotonic() + 30
        while notes.read_text() != "On the plane." and time.monotonic() < deadline:
            time.sleep(0.1)
        assert notes.read_text() == "On the plane."
        original = library_of(first)
        status, exported = first.get("export?format=csljson&state=saved")
    finally:
        first.stop()
    assert [entry[0] for entry in original] == sorted(IDS)
    assert (
        "2307.12345",
        "Sparse Autoencoders",
        ("Ada Lovelace", "Alan Turing"),
        ("interp",),
        "On the plane.",
        False,
    ) in original

    second = start_daemon(tmp_path / "two", papers)
    try:
        status, report = second.post("import", {"format": "csljson", "content": json.dumps(exported)})
        assert status == 200 and report["imported"] == 2 and report["skipped"] == []
        wait_for_pdfs(second.home)
        assert library_of(second) == original

        papers.stop()  # offline from here on
        cookie = login(second)
        status, body, _ctype = page_get(second, cookie, "/library/api/papers")
        assert status == 200
        listed = {p["id"]: p for p in json.loads(body)["papers"]}
        assert set(listed) == set(IDS) and listed["2307.12345"]["note"] == "On the plane."
        for key in ("2307.12345", "hep-th_9901001"):
            status, pdf, ctype = page_get(second, cookie, f"/library/pdf/{key}")
            assert status == 200 and ctype == "application/pdf" and pdf.startswith(b"%PDF-")
    finally:
        second.stop()
