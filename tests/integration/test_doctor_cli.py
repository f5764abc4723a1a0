"""`papertray doctor`: a line per check, a fix for each failure, exit 1 when any check fails."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from tests.support.daemon import REPO, daemon_env, run_cli


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
    # No keyring is only a note while nothing but optional features (the HF token, the feeds' key) needs one.
    assert any(line.startswith("note") and " keyring " in line for line in lines)
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


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def doctor_on_a_terminal(home: Path, columns: int, **env: str) -> str:
    """`papertray doctor` on a pseudo-terminal `columns` wide, as a user's shell runs it: what it printed."""
    environment = daemon_env(
        home,
        PAPERTRAY_HF_URL="http://127.0.0.1:9",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        COLUMNS=str(columns),
        TERM="xterm-256color",
        **env,
    )
    if "NO_COLOR" not in env:
        environment.pop("NO_COLOR", None)
    parent, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "papertray", "doctor"],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        cwd=REPO,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(parent)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_i17_10_doctor_fits_80_columns_colours_and_says_an_optional_keyring_is_a_note(tmp_path: Path) -> None:
    shown = doctor_on_a_terminal(tmp_path, 80)
    assert ANSI.search(shown)  # a terminal that shows colour gets it
    plain = ANSI.sub("", shown)
    lines = plain.rstrip("\n").split("\n")
    # Within 80 columns, but for a word longer than a whole line (this test's long temporary paths): it stays
    # whole on a line of its own.
    too_long = [line for line in lines if len(line) > 80 and len(line.split()) > 1]
    assert too_long == []
    # No word is cut: every word of every detail and fix arrives whole.
    details = json.loads(
        run_cli(
            tmp_path,
            "doctor",
            "--json",
            env=daemon_env(
                tmp_path, PAPERTRAY_HF_URL="http://127.0.0.1:9", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
            ),
        ).stdout
    )
    words = set(plain.split())
    for check in details:
        for word in f"{check['detail']} {check['fix']}".split():
            assert word in words, word
    # Without a keyring only the optional HF token and feeds' key miss out: a note, not a failure.
    keyring = next(line for line in lines if line.split()[1:2] == ["keyring"])
    assert keyring.startswith("note")
    assert next(c for c in details if c["name"] == "keyring")["optional"] is True


def test_i17_10_doctor_respects_no_color(tmp_path: Path) -> None:
    shown = doctor_on_a_terminal(tmp_path, 80, NO_COLOR="1")
    assert "\x1b[" not in shown
    assert "FAIL  feed" in shown


def test_i17_10_keyring_is_a_failure_when_the_email_digest_needs_it(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "config.toml").write_text(
        '[digest]\nschedule = "daily"\nto = "me@example.org"\nsmtp_host = "smtp.example.org"\nsmtp_user = "me"\n',
        encoding="utf-8",
    )
    env = daemon_env(
        tmp_path, PAPERTRAY_HF_URL="http://127.0.0.1:9", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
    )
    result = run_cli(tmp_path, "doctor", env=env)
    keyring = next(line for line in result.stdout.splitlines() if line.split()[1:2] == ["keyring"])
    assert keyring.startswith("FAIL") and "SMTP password" in keyring
    assert result.returncode == 1
