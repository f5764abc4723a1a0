"""The reading list from the terminal: `papertray export`, `papertray import` (with a progress bar and a report
of what was skipped and why) and `papertray open` (a launcher file: no secret on the browser's command line)."""

from __future__ import annotations

import asyncio
import json
import re
import stat
import subprocess
import urllib.error
import urllib.parse
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


def post_form(daemon: DaemonProcess, once: str) -> tuple[int, bytes]:
    """What the launcher file's form sends."""
    body = urllib.parse.urlencode({"once": once}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{daemon.port}/library/login", data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


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


async def test_s4_open_puts_no_secret_on_the_browsers_command_line_or_in_the_log(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    opened = tmp_path / "opened.txt"
    daemon.env["BROWSER"] = f"sh -c 'echo %s > {opened}'"  # records the browser's command line
    result = await cli(daemon, "open")
    assert result.returncode == 0, result.stderr
    argument = opened.read_text().strip()
    assert argument.startswith("file://") and "?" not in argument and "#" not in argument
    launcher = Path(urllib.parse.unquote(urllib.parse.urlsplit(argument).path))
    assert launcher.parent == daemon.home / "state" / "launch"
    assert stat.S_IMODE(launcher.stat().st_mode) == 0o600
    assert stat.S_IMODE(launcher.parent.stat().st_mode) == 0o700
    once = re.search(r'name="once" value="([^"]+)"', launcher.read_text()).group(1)  # type: ignore[union-attr]
    # Whatever a /proc/*/cmdline scanner saw opens nothing: the command line holds only the file's path.
    for guess in (argument, *re.findall(r"[A-Za-z0-9_-]{20,}", argument)):
        assert once not in guess
        status, _ = await asyncio.to_thread(post_form, daemon, guess)
        assert status == 403
    assert once not in result.stdout + result.stderr
    # The browser submits the file's form: the list opens once, and the file is gone.
    status, page = await asyncio.to_thread(post_form, daemon, once)
    assert status == 200 and b'name="papertray-session"' in page
    assert not launcher.exists()
    assert (await asyncio.to_thread(post_form, daemon, once))[0] == 403
    log_text = "".join(p.read_text() for p in (daemon.home / "logs").glob("papertray.log*"))
    assert "launcher written" in log_text and once not in log_text
