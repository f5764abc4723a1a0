"""`papertray doctor`: a line per check, a fix for each failure, exit 1 when any check fails."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from tests.support.daemon import daemon_env, run_cli


def test_doctor_names_each_failure_and_how_to_fix_it(tmp_path: Path) -> None:
    env = daemon_env(
        tmp_path, PAPERTRAY_HF_URL="http://127.0.0.1:9", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
    )
    result = run_cli(tmp_path, "doctor", env=env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    feed = next(i for i, line in enumerate(lines) if line.split()[1:2] == ["feed"])
    assert lines[feed].startswith("FAIL")
    assert "unreachable" in lines[feed]
    assert "fix:" in lines[feed + 1]
    assert any(line.startswith("FAIL") and " keyring " in line for line in lines)
    assert result.stdout.rstrip().endswith("checks failed.")


async def test_doctor_json_reports_a_reachable_feed_as_ok(tmp_path: Path) -> None:
    import asyncio

    async def daily_papers(_request: web.Request) -> web.Response:
        return web.json_response([])

    app = web.Application()
    app.router.add_get("/api/daily_papers", daily_papers)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        env = daemon_env(tmp_path, PAPERTRAY_HF_URL=f"http://127.0.0.1:{port}")
        result = await asyncio.to_thread(run_cli, tmp_path, "doctor", "--json", env=env)
    finally:
        await runner.cleanup()
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["feed"]["ok"] is True
    assert checks["extension"]["ok"] is False
    assert checks["extension"]["fix"]
