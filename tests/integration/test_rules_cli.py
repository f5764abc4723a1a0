"""`papertray rules test` and `papertray poll` on a real store (issue 17, item 1): the real daemon, fed a real
recorded Daily Papers day, and rules whose keywords are singular where the titles are plural."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.conftest import TODAY
from tests.support.daemon import DaemonProcess, run_cli
from tests.support.feed_server import FeedServer, load_real_day

RULES = """
[notifications]
quiet_hours = ""

[[rules]]
name = "agents"
keywords = ["LLM agent"]

[[rules]]
name = "web"
keywords = ["web agent"]
"""


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[DaemonProcess]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(RULES, encoding="utf-8")
    async with FeedServer(days={TODAY: load_real_day("2026-06-12")}) as feed:
        process = DaemonProcess(home, PAPERTRAY_HF_URL=feed.url)
        await asyncio.to_thread(process.start)
        try:
            yield process
        finally:
            await asyncio.to_thread(process.stop)


async def cli(daemon: DaemonProcess, *args: str, columns: str = "100") -> str:
    env = dict(daemon.env, COLUMNS=columns)
    result = await asyncio.to_thread(run_cli, daemon.home, *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def test_i17_1_poll_says_how_many_matched_and_that_they_were_notified(daemon: DaemonProcess) -> None:
    said = await cli(daemon, "poll")
    # Four real titles say "LLM Agents", "Coding Agents", "Web Agent": all four match, none as written.
    assert "30 new" in said and "4 matched, notified." in said, said


async def test_i17_1_rules_test_shows_matches_forms_and_what_another_rule_caught(daemon: DaemonProcess) -> None:
    await cli(daemon, "poll")
    said = await cli(daemon, "rules", "test", "--days", "1")
    assert "Your 2 rules tried on 30 papers from 2026-06-12 to 2026-06-12" in said  # the papers' own day
    agents, web = said.split("\nagents: ", 1)[1].split("\nweb: ", 1)
    assert agents.startswith("4 papers (4 only through word forms such as plurals)")
    assert "~ 2606.07867" in agents and "The Cold-Start Safety Gap in LLM Agents" in agents
    assert web.startswith("1 paper\n")
    assert "WebChallenger" in web.split("missed")[0]
    missed = web.split("missed, caught by another rule: ", 1)[1]
    assert missed.startswith("3 papers")
    assert "2606.13681" in missed and "[agents]" in missed
    assert "26 papers matched no rule." in said
    # It fits the terminal: at 80 columns no line is longer, and no title word is cut.
    narrow = await cli(daemon, "rules", "test", "--days", "1", columns="80")
    assert all(len(line) <= 80 for line in narrow.splitlines())
    assert "Robust LLM Agents" in " ".join(narrow.split())
