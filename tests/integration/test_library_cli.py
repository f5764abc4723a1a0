"""The reading list from the terminal: `papertray export`, `papertray import` (with a progress bar and a report
of what was skipped and why) and `papertray open` (a one-time login link into the reading-list page)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.daemon import DaemonProcess, run_cli
from tests.support.feed_server import FeedServer, load_fixture_day

NO_DOWNLOADS = {"PAPERTRAY_ARXIV_URL": "http://127.0.0.1:9"}  # metadata/PDF fetches fail fast, offline


@pytest.fixture
async def daemon(tmp_path: Path, today_feed: FeedServer) -> AsyncIterator[DaemonProcess]:
    process = DaemonProcess(tmp_path / "home", PAPERTRAY_HF_URL=today_feed.url, **NO_DOWNLOADS)
    await asyncio.to_thread(process.start)
    yield process
    await asyncio.to_thread(process.stop)


async def cli(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run_cli, daemon.home, *args, env=daemon.env)


async def saved_ids(daemon: DaemonProcess) -> list[str]:
    result = await cli(daemon, "list", "--state", "saved", "--json")
    return sorted(p["id"] for p in json.loads(result.stdout))


async def test_export_then_import_into_an_empty_home_gives_the_same_reading_list(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    await cli(daemon, "poll")
    chosen = sorted(entry["paper"]["id"] for entry in load_fixture_day()[:3])
    for paper_id in chosen:
        assert (await cli(daemon, "save", paper_id)).returncode == 0

    exported = tmp_path / "reading-list.bib"
    result = await cli(daemon, "export", "--format", "bibtex", "-o", str(exported))
    assert result.returncode == 0, result.stderr
    text = exported.read_text()
    assert text.count("@") == 3 and all(paper_id in text for paper_id in chosen)

    other = DaemonProcess(tmp_path / "empty", **NO_DOWNLOADS)
    await asyncio.to_thread(other.start)
    try:
        assert await saved_ids(other) == []
        imported = await cli(other, "import", str(exported))
        assert imported.returncode == 0, imported.stderr
        assert "Imported 3 papers" in imported.stdout
        assert "import" in imported.stderr  # the progress bar
        assert await saved_ids(other) == chosen
        titles = json.loads((await cli(other, "list", "--json")).stdout)
        by_id = {p["id"]: p["title"] for p in titles}
        first = next(e for e in load_fixture_day() if e["paper"]["id"] == chosen[0])
        assert by_id[chosen[0]] == " ".join(first["paper"]["title"].split())
    finally:
        await asyncio.to_thread(other.stop)


async def test_import_reports_each_skipped_record_and_why(daemon: DaemonProcess, tmp_path: Path) -> None:
    bib = tmp_path / "zotero.bib"
    bib.write_text(
        "@article{good, title={Attention Is All You Need}, eprint={1706.03762}, archivePrefix={arXiv}}\n"
        "@book{noid, title={A book without an arXiv id}}\n"
    )
    result = await cli(daemon, "import", str(bib))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Imported 1 papers" in out
    assert "Skipped 1 records:" in out
    assert "noid:" in out
    assert await saved_ids(daemon) == ["1706.03762"]


async def test_export_json_of_all_states(daemon: DaemonProcess) -> None:
    await cli(daemon, "poll")
    result = await cli(daemon, "export", "--format", "json", "--state", "all")
    papers = json.loads(result.stdout)
    assert len(papers) == 53


async def test_open_gives_a_login_link_that_works_once(daemon: DaemonProcess, tmp_path: Path) -> None:
    opened = tmp_path / "opened.txt"
    daemon.env["BROWSER"] = f"sh -c 'echo %s > {opened}'"
    result = await cli(daemon, "open")
    assert result.returncode == 0, result.stderr
    url = opened.read_text().strip()
    assert url.startswith(f"http://127.0.0.1:{daemon.port}/library/login?once=")
    assert url in result.stdout

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as first:
        await asyncio.to_thread(opener.open, url)
    assert first.value.code == 303
    assert "HttpOnly" in first.value.headers["Set-Cookie"]
    with pytest.raises(urllib.error.HTTPError) as second:
        await asyncio.to_thread(opener.open, url)
    assert second.value.code != 303  # the link is spent
