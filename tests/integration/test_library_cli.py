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
    assert "Imported 1 paper into the reading list; 0 were already there." in out
    assert "Skipped 1 record:" in out
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


async def test_u27_import_counts_in_the_singular_and_plural(daemon: DaemonProcess, tmp_path: Path) -> None:
    bib = tmp_path / "two.bib"
    bib.write_text(
        "@misc{a, title={A}, eprint={1706.03762}}\n@misc{b, title={B}, eprint={1810.04805}}\n"
        "@book{c, title={C}}\n@book{d, title={D}}\n"
    )
    assert (await cli(daemon, "save", "1706.03762")).returncode == 0
    result = await cli(daemon, "import", str(bib))
    assert result.returncode == 0, result.stderr
    assert "Imported 1 paper into the reading list; 1 was already there." in result.stdout
    assert "Skipped 2 records:" in result.stdout


async def test_u23_import_reads_the_format_from_the_content_or_says_what_it_expected(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    await cli(daemon, "poll")
    chosen = sorted(entry["paper"]["id"] for entry in load_fixture_day()[:2])
    for paper_id in chosen:
        assert (await cli(daemon, "save", paper_id)).returncode == 0
    own = tmp_path / "list.csljson"  # papertray's own CSL-JSON export, under a name that is not .json
    assert (await cli(daemon, "export", "--format", "csljson", "-o", str(own))).returncode == 0
    markdown = tmp_path / "list.md"
    assert (await cli(daemon, "export", "--format", "markdown", "-o", str(markdown))).returncode == 0
    for paper_id in chosen:
        assert (await cli(daemon, "unsave", paper_id)).returncode == 0
    assert await saved_ids(daemon) == []

    result = await cli(daemon, "import", str(own))
    assert result.returncode == 0, result.stderr
    assert "Imported 2 papers" in result.stdout
    assert await saved_ids(daemon) == chosen

    garbage = tmp_path / "garbage.bib"
    garbage.write_text("This is not a bibliography.\nJust words, and an e-mail: someone@example.org\n")
    wrong_flag = tmp_path / "zotero.json"
    wrong_flag.write_text('[{"id": "x", "number": "arXiv:1706.03762"}]')
    empty = tmp_path / "empty.bib"
    empty.write_text("")
    expected = {
        (str(garbage),): "garbage.bib cannot be imported as BibTeX: it holds no BibTeX record",
        (str(markdown),): "list.md holds Markdown, which papertray cannot import; papertray imports BibTeX (.bib) "
        "and CSL-JSON (.json) files",
        (str(wrong_flag), "--format", "bibtex"): "zotero.json holds CSL-JSON, not BibTeX (import it without --format)",
        (str(empty),): "empty.bib is empty; papertray imports BibTeX (.bib) and CSL-JSON (.json) files",
    }
    for args, sentence in expected.items():
        result = await cli(daemon, "import", *args)
        assert result.returncode == 1, (args, result.stdout)
        assert result.stderr.startswith(f"Error: {sentence}"), result.stderr
        assert result.stderr.count("\n") == 1 and "Imported" not in result.stdout
    assert await saved_ids(daemon) == chosen


async def test_u23_export_takes_its_format_from_the_output_file_name(daemon: DaemonProcess, tmp_path: Path) -> None:
    await cli(daemon, "poll")
    paper_id = load_fixture_day()[0]["paper"]["id"]
    assert (await cli(daemon, "save", paper_id)).returncode == 0
    for name, looks_right in [
        ("y.json", lambda text: json.loads(text)[0]["id"] == paper_id and "saved_at" in json.loads(text)[0]),
        ("y.csljson", lambda text: json.loads(text)[0]["id"] == f"arXiv:{paper_id}"),
        # BibTeX, keyed by its readable key (17.7), not `arXiv:<id>` any more.
        ("y.bib", lambda text: text.startswith("@misc{") and f"eprint = {{{paper_id}}}" in text),
        ("y.ris", lambda text: text.startswith("TY  - GEN")),
        ("y.md", lambda text: text.startswith("# Reading list")),
        ("y.txt", lambda text: text.startswith("@misc{")),  # an ending that names no format: BibTeX, as before
    ]:
        target = tmp_path / name
        result = await cli(daemon, "export", "-o", str(target))
        assert result.returncode == 0, result.stderr
        assert looks_right(target.read_text()), name
    # A --format that the file name contradicts is refused, and nothing is written.
    result = await cli(daemon, "export", "--format", "bibtex", "-o", str(tmp_path / "z.json"))
    assert result.returncode == 1
    assert result.stderr == (
        "Error: z.json names a JSON file but --format is bibtex; use --format json or --format csljson, "
        "or a file name ending in .bib.\n"
    )
    assert not (tmp_path / "z.json").exists()
    result = await cli(daemon, "export", "--format", "csljson", "-o", str(tmp_path / "z.json"))
    assert result.returncode == 0 and json.loads((tmp_path / "z.json").read_text())[0]["type"] == "article"


async def test_s16_cli_import_says_which_records_it_changed_or_skipped_for_the_tag_and_note_rules(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    bib = tmp_path / "big.bib"
    many = ", ".join(f"t{n}" for n in range(124))
    bib.write_text(
        "@misc{many, title={Many Tags}, eprint={1706.03762}, keywords={" + many + "}}\n"
        "@misc{note, title={Long Note}, eprint={1810.04805}, annote={" + "n" * 200_000 + "}}\n"
    )
    result = await cli(daemon, "import", str(bib))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Imported 1 paper into the reading list; 0 were already there.",
        "Changed 1 record to fit papertray's rules for tags:",
        "  Many Tags: Dropped 74 tags beyond the 50 a paper can have.",
        "Skipped 1 record:",
        "  Long Note: Its note is 200,000 characters long and papertray keeps notes of up to 10,000; "
        "shorten it and import again.",
    ]
    assert await saved_ids(daemon) == ["1706.03762"]
    listed = json.loads((await cli(daemon, "list", "--state", "saved", "--json")).stdout)
    assert listed[0]["tags"] == [f"t{n}" for n in range(50)]
