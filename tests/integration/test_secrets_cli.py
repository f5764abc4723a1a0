"""`papertray secrets`: a Hugging Face token kept in the real OS keyring (gnome-keyring on a private D-Bus) is
sent to Hugging Face on every poll; without a keyring papertray refuses to store it unless the user opts in to
a plain 0600 file, and then says so."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
from pathlib import Path

from tests.support.daemon import REPO, DaemonProcess, daemon_env
from tests.support.feed_server import FeedServer
from tests.support.keyring_session import secret_service

TOKEN = "hf_papertray-test-token-8c1f"


def secrets_cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "papertray", "secrets", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


async def poll_and_headers(home: Path, today_feed: FeedServer, **env: str) -> list[str | None]:
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url, **env)
    await asyncio.to_thread(daemon.start)
    try:
        status, report = await asyncio.to_thread(daemon.post, "poll")
        assert status == 200, report
        log = (home / "logs" / "papertray.log").read_text()
        assert TOKEN not in log and TOKEN not in daemon.output()  # never in a log line
    finally:
        await asyncio.to_thread(daemon.stop)
    return [request.headers.get("Authorization") for request in today_feed.requests]


async def test_token_in_the_real_keyring_is_sent_to_hugging_face(tmp_path: Path, today_feed: FeedServer) -> None:
    home = tmp_path / "home"
    with secret_service(tmp_path / "desktop") as keyring_env:
        env = {**daemon_env(home), **keyring_env}
        stored = await asyncio.to_thread(secrets_cli, env, "set", "hf_token", stdin=TOKEN + "\n")
        assert stored.returncode == 0, stored.stderr
        assert "SecretService" in stored.stdout
        assert "set" in (await asyncio.to_thread(secrets_cli, env, "status")).stdout
        assert not list((home / "state").glob("secrets*"))  # nothing in a plain file

        bus = {"DBUS_SESSION_BUS_ADDRESS": keyring_env["DBUS_SESSION_BUS_ADDRESS"]}
        headers = await poll_and_headers(home, today_feed, **bus)
        assert headers and all(h == f"Bearer {TOKEN}" for h in headers)

        removed = await asyncio.to_thread(secrets_cli, env, "delete", "hf_token")
        assert removed.stdout.strip() == "Removed hf_token."
        today_feed.requests.clear()
        assert set(await poll_and_headers(home, today_feed, **bus)) == {None}


async def test_without_a_keyring_nothing_is_stored_unless_the_user_opts_in(
    tmp_path: Path, today_feed: FeedServer
) -> None:
    home = tmp_path / "home"
    env = daemon_env(home, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    refused = await asyncio.to_thread(secrets_cli, env, "set", "hf_token", stdin=TOKEN)
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: No usable keyring")
    assert "--insecure-storage" in refused.stderr
    assert not (home / "state").exists() or not list((home / "state").glob("secrets*"))

    opted = await asyncio.to_thread(secrets_cli, env, "set", "hf_token", "--insecure-storage", stdin=TOKEN)
    assert opted.returncode == 0, opted.stderr
    assert "Warning: this secret is kept unencrypted" in opted.stderr
    (file,) = (home / "state").glob("secrets*")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600

    headers = await poll_and_headers(home, today_feed, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert headers and all(h == f"Bearer {TOKEN}" for h in headers)


async def test_a_daemon_without_any_token_polls_anonymously(tmp_path: Path, today_feed: FeedServer) -> None:
    headers = await poll_and_headers(
        tmp_path / "home", today_feed, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
    )
    assert headers and set(headers) == {None}
