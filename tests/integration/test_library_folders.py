"""The reading list's folders on disk: a removed folder is kept a week from its removal and an undo that cannot
bring its files back says so (11.C); a damaged meta.json is kept aside and its PDF records rebuilt from the
files (11.E); a save made offline of a paper the store knows gets its folder at once (11.20)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from papertray.errors import RestoreFailed
from papertray.models import Paper
from tests.integration import test_library
from tests.integration.test_library import Harness
from tests.integration.test_library_routes import Page
from tests.support.library_site import LibrarySite
from tests.support.paper_server import PaperServer

MONTH_AGO = time.time() - 30 * 86400


@pytest.fixture
def server() -> Iterator[PaperServer]:
    with PaperServer() as srv:
        srv.add("2307.12345", title="Sparse Autoencoders Find Features", version=2)
        yield srv


harness = test_library.harness  # with this module's `server`


def age(folder: Path, when: float) -> None:
    """Make a folder look as if nothing in it changed since `when` (a paper saved and read long ago)."""
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (when, when))


async def test_C_a_removed_folder_is_kept_a_week_from_its_removal_across_a_restart(
    tmp_path: Path, server: PaperServer
) -> None:
    home = tmp_path / "home"
    first = Harness(home, server)
    try:
        library = await first.start()
        await first.store.update_state("2307.12345", saved=True, note="My notes.")
        await first.wait_for("2307.12345", "done")
        folder = first.folder("2307.12345")
        age(folder, MONTH_AGO)
        await library.remove("2307.12345")
    finally:
        await first.stop()

    again = Harness(home, server)
    try:
        library = await again.start()
        await library.restore("2307.12345")  # the page's Undo, after the restart
        folder = again.folder("2307.12345")
        assert sorted(p.name for p in folder.iterdir()) == ["2307.12345v2.pdf", "meta.json", "notes.md", "paper.bib"]
        assert (folder / "notes.md").read_text() == "My notes."
        assert again.store.get_state("2307.12345").saved
    finally:
        await again.stop()


async def test_C_a_folder_removed_more_than_a_week_ago_goes_and_a_late_undo_says_so(harness: Harness) -> None:
    library = await harness.start()
    await harness.store.update_state("2307.12345", saved=True)
    await harness.wait_for("2307.12345", "done")
    await library.remove("2307.12345")
    trash = harness.config.paths.library_dir / ".trash"
    assert (trash / "2307.12345").is_dir()
    library.trash.purge(now=time.time() + 6 * 86400)
    assert (trash / "2307.12345").is_dir()  # six days: still kept
    library.trash.purge(now=time.time() + 8 * 86400)
    assert not (trash / "2307.12345").exists()
    with pytest.raises(RestoreFailed, match="no longer in the trash"):
        await library.restore("2307.12345")
    assert not harness.store.get_state("2307.12345").saved  # nothing was changed


async def test_C_a_folder_trashed_by_an_older_papertray_gets_its_week_from_now(harness: Harness) -> None:
    # A trashed folder with no removal record (trashed before the record existed) and an old mtime.
    trashed = harness.config.paths.library_dir / ".trash" / "2401.00001"
    trashed.mkdir(parents=True)
    (trashed / "2401.00001v1.pdf").write_bytes(b"%PDF-1.4 old\n%%EOF\n")
    age(trashed, MONTH_AGO)
    await harness.start()
    assert (trashed / "2401.00001v1.pdf").exists()


@pytest.fixture
def site(tmp_path: Path, server: PaperServer) -> Iterator[LibrarySite]:
    with LibrarySite(tmp_path / "site", server) as s:
        yield s


async def test_C_the_page_undo_of_files_no_longer_in_the_trash_is_not_a_200(site: LibrarySite) -> None:
    site.call(site.store.update_state("2307.12345", saved=True))
    site.wait_downloaded("2307.12345")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        page = Page(site, http)
        await page.login()
        assert (await page.send("DELETE", "/library/api/papers/2307.12345"))[0] == 200
        site.library.trash.purge(now=time.time() + 8 * 86400)
        status, body = await page.send("POST", "/library/api/papers/2307.12345/restore", {"read": False})
        assert status != 200 and body["ok"] is False
        assert "no longer in the trash" in body["error"]
        assert (await page.get("/library/api/papers"))[1]["papers"] == []


async def test_E_a_damaged_meta_json_is_kept_aside_reported_and_rebuilt_from_the_pdfs(
    tmp_path: Path, server: PaperServer
) -> None:
    home = tmp_path / "home"
    first = Harness(home, server)
    try:
        await first.start()
        await first.store.update_state("2307.12345", saved=True, tags=["interp"])
        await first.wait_for("2307.12345", "done")
    finally:
        await first.stop()
    folder = first.folder("2307.12345")
    pdf = folder / "2307.12345v2.pdf"
    (folder / "meta.json").write_bytes(b'{"schema": 1, "pdfs": [{"file": "2307.1')  # torn by a crash or an editor

    again = Harness(home, server)
    try:
        library = await again.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(folder.glob("meta.json.corrupt-*")):
            await asyncio.sleep(0.02)
        [kept] = list(folder.glob("meta.json.corrupt-*"))
        assert kept.read_bytes() == b'{"schema": 1, "pdfs": [{"file": "2307.1'
        meta = json.loads((folder / "meta.json").read_text())
        [record] = meta["pdfs"]
        assert record["file"] == "2307.12345v2.pdf" and record["version"] == 2
        assert record["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
        assert record["bytes"] == pdf.stat().st_size
        assert meta["tags"] == ["interp"]
        [problem] = library.problems
        assert "meta.json" in problem and kept.name in problem and "2307.12345" in problem
    finally:
        await again.stop()


async def test_u20_an_offline_save_of_a_known_paper_writes_its_folder_at_once(tmp_path: Path) -> None:
    # Nothing answers on port 9: offline. The feed told the store about the paper earlier.
    offline = PaperServer()
    offline.port = 9
    h = Harness(tmp_path / "home", offline)
    try:
        await h.store.add_papers(
            [Paper(id="2307.12345", title="Known from the feed", authors=("Ada Lovelace",), published_at="2023-07-21")]
        )
        await h.start()
        await h.store.update_state("2307.12345", saved=True, note="Read on the plane.")
        await h.wait_for("2307.12345", "retrying")
        folder = h.folder("2307.12345")
        assert sorted(p.name for p in folder.iterdir()) == ["meta.json", "notes.md", "paper.bib"]
        assert json.loads((folder / "meta.json").read_text())["paper"]["title"] == "Known from the feed"
        assert (folder / "notes.md").read_text() == "Read on the plane."
        assert "year = {2023}" in (folder / "paper.bib").read_text()
        assert h.library.paper_status("2307.12345")["state"] == "retrying"  # type: ignore[union-attr]
    finally:
        await h.stop()
