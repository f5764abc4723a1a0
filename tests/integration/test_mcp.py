"""Issue 16: `papertray mcp` driven by the official MCP SDK's own client over stdio, against a real daemon."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.support.daemon import REPO, DaemonProcess, run_cli
from tests.support.feed_server import FeedServer, load_fixture_day

FIRST = load_fixture_day()[0]["paper"]
READS = {"search_papers", "get_paper", "why_ranked", "list_papers", "list_matching_papers", "reading_list"}
WRITES = {"save_paper", "unsave_paper", "tag_paper", "note_paper", "dismiss_paper"}


@asynccontextmanager
async def mcp_session(daemon: DaemonProcess, stderr: Path) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "papertray", "mcp"], env=daemon.env, cwd=REPO)
    with stderr.open("a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session


def payload(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return dict(result.structured_content)
    return dict(json.loads(result.content[0].text))


def audit_lines(home: Path) -> list[dict[str, Any]]:
    path = home / "logs" / "mcp-audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def wait_searchable(session: ClientSession, query: str) -> dict[str, Any]:
    for _ in range(600):
        found = payload(await session.call_tool("search_papers", {"query": query}))
        if found["results"]:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{query!r} was never found")


async def test_16_mcp_server_reads_refuses_writes_while_off_and_logs_every_call(
    tmp_path: Path, today_feed: FeedServer
) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(daemon.start)
    try:
        await asyncio.to_thread(daemon.post, "poll")
        async with mcp_session(daemon, tmp_path / "mcp-stderr.log") as session:
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert names == READS, "write tools are not even listed while [mcp] allow_writes is off"
            found = await wait_searchable(session, '"brain encoders"')
            assert found["results"][0]["id"] == FIRST["id"]
            assert "«" in found["results"][0]["snippet"]
            paper = payload(await session.call_tool("get_paper", {"id": FIRST["id"]}))
            assert paper["summary"].startswith("A major goal of neuroscience")
            assert paper["pdf_path"] is None  # not saved, nothing downloaded
            new = payload(await session.call_tool("list_papers", {"state": "new", "limit": 5}))
            assert len(new["papers"]) == 5
            refused = await session.call_tool("save_paper", {"id": FIRST["id"]})
            assert refused.is_error
            bad = await session.call_tool("get_paper", {"id": "not an id"})
            assert bad.is_error and "is not an arXiv id" in bad.content[0].text
        status, body = await asyncio.to_thread(daemon.get, f"papers/{FIRST['id']}")
        assert status == 200 and not body["saved"], "nothing was written"
        tokens = await asyncio.to_thread(run_cli, home, "token", "list", env=daemon.env)
        assert "mcp" in tokens.stdout, "the MCP server uses its own named token"
        token_file = home / "state" / "mcp.token"
        assert token_file.stat().st_mode & 0o077 == 0
        lines = audit_lines(home)
        assert [line["tool"] for line in lines if line["tool"] != "search_papers"] == [
            "get_paper",
            "list_papers",
            "get_paper",
        ], "each call is logged (a tool that does not exist never runs)"
        assert lines[-1]["outcome"].startswith("error: ") and lines[0]["outcome"] == "ok"
        log_text = (home / "logs" / "mcp-audit.jsonl").read_text()
        assert token_file.read_text().strip() not in log_text and daemon.token not in log_text
        # Revoking the token cuts the assistant off; it is not quietly minted again.
        revoked = await asyncio.to_thread(run_cli, home, "token", "revoke", "mcp", env=daemon.env)
        assert revoked.returncode == 0, revoked.stderr
        async with mcp_session(daemon, tmp_path / "mcp-stderr.log") as session:
            cut = await session.call_tool("list_papers", {})
            assert cut.is_error and "MCP token was revoked" in cut.content[0].text
        tokens = await asyncio.to_thread(run_cli, home, "token", "list", env=daemon.env)
        assert "mcp" not in tokens.stdout
    finally:
        await asyncio.to_thread(daemon.stop)


async def test_16_mcp_write_tools_work_when_the_user_allows_them(tmp_path: Path, today_feed: FeedServer) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(daemon.start)
    try:
        config = home / "config.toml"
        config.write_text(config.read_text().replace("allow_writes = false", "allow_writes = true"))
        await asyncio.to_thread(daemon.post, "poll")
        async with mcp_session(daemon, tmp_path / "mcp-stderr.log") as session:
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert names == READS | WRITES
            payload(await session.call_tool("save_paper", {"id": FIRST["id"]}))
            payload(await session.call_tool("tag_paper", {"id": FIRST["id"], "tags": ["neuro"]}))
            noted = payload(await session.call_tool("note_paper", {"id": FIRST["id"], "note": "read with Ana"}))
            assert noted["tags"] == ["neuro"] and noted["note"] == "read with Ana"
            listed = payload(await session.call_tool("reading_list", {"tag": "neuro"}))
            assert [p["id"] for p in listed["papers"]] == [FIRST["id"]]
            found = await wait_searchable(session, "Ana")
            assert found["results"][0]["id"] == FIRST["id"]
            payload(await session.call_tool("unsave_paper", {"id": FIRST["id"]}))
        status, body = await asyncio.to_thread(daemon.get, f"papers/{FIRST['id']}")
        assert status == 200 and not body["saved"] and body["note"] == "read with Ana"
        tools = [line["tool"] for line in audit_lines(home)]
        assert {"save_paper", "tag_paper", "note_paper", "reading_list", "unsave_paper"} <= set(tools)
        status_body = (await asyncio.to_thread(daemon.get, "status"))[1]
        assert status_body["mcp"] == {"allow_writes": True}
    finally:
        await asyncio.to_thread(daemon.stop)


async def test_i16_2_mcp_why_ranked_explains_a_papers_place_from_what_the_daemon_learned(
    tmp_path: Path, today_feed: FeedServer
) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(daemon.start)
    try:
        await asyncio.to_thread(daemon.after_first_poll)
        ids = [entry["paper"]["id"] for entry in load_fixture_day()]
        async with mcp_session(daemon, tmp_path / "mcp-stderr.log") as session:
            before = payload(await session.call_tool("why_ranked", {"id": ids[-1]}))
            assert before["score"] is None and "Nothing is learned yet" in before["why"]
            for pid in ids[:3]:
                assert (await asyncio.to_thread(daemon.post, f"papers/{pid}/save"))[0] == 200
            for pid in ids[3:6]:
                patched = await asyncio.to_thread(daemon.request, "PATCH", f"papers/{pid}", {"dismissed": True})
                assert patched[0] == 200
            for _ in range(1200):
                if (await asyncio.to_thread(daemon.get, "rank/status"))[1]["trained_at"]:
                    break
                await asyncio.sleep(0.1)
            why = payload(await session.call_tool("why_ranked", {"id": ids[-1]}))
            assert why["id"] == ids[-1] and isinstance(why["score"], float) and why["status"] == "learning"
            assert why["rank"] is None and why["for_you"] is False  # 6 signals: still learning
            assert why["reasons"] and {"kind", "text", "weight"} <= set(why["reasons"][0])
            direct = (await asyncio.to_thread(daemon.get, f"papers/{ids[-1]}/why"))[1]
            assert why["reasons"] == direct["reasons"]  # the daemon's own explanation, not a second opinion
            bad = await session.call_tool("why_ranked", {"id": "not an id"})
            assert bad.is_error and "is not an arXiv id" in bad.content[0].text
        assert [line["tool"] for line in audit_lines(home)].count("why_ranked") == 3
    finally:
        await asyncio.to_thread(daemon.stop)


def test_16_the_mcp_sdk_is_imported_only_by_the_mcp_command() -> None:
    import subprocess

    code = "import sys, papertray.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'pydantic')))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env={"PYTHONPATH": str(REPO / "daemon"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
