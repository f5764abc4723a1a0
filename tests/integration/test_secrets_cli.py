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


def no_keyring_env(home: Path) -> dict[str, str]:
    return daemon_env(home, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")


def test_u25_status_without_a_keyring_reports_where_things_stand(tmp_path: Path) -> None:
    env = no_keyring_env(tmp_path / "home")
    status = secrets_cli(env, "status")
    assert status.returncode == 0, status.stderr
    assert status.stderr == ""
    lines = status.stdout.splitlines()
    assert lines[0].startswith("keyring    none usable")
    assert "hf_token   not set" in lines
    assert "HF_TOKEN" in status.stdout and "--insecure-storage" in status.stdout

    secrets_cli(env, "set", "hf_token", "--insecure-storage", stdin=TOKEN)
    status = secrets_cli(env, "status")
    assert status.returncode == 0
    assert "hf_token   set, in the plain file" in status.stdout


def test_u25_only_a_set_that_asks_for_it_writes_the_plain_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = no_keyring_env(home)
    assert secrets_cli(env, "set", "hf_token", "--insecure-storage", stdin=TOKEN).returncode == 0
    plain = secrets_cli(env, "set", "hf_token", stdin="hf_second-token\n")
    assert plain.returncode == 1
    assert plain.stderr.startswith("Error: No usable keyring") and "--insecure-storage" in plain.stderr
    (file,) = (home / "state").glob("secrets*")
    assert TOKEN in file.read_text() and "hf_second-token" not in file.read_text()


def test_u25_messages_name_only_what_exists_and_no_raw_log_line(tmp_path: Path) -> None:
    env = no_keyring_env(tmp_path / "home")
    refused = secrets_cli(env, "set", "hf_token", stdin=TOKEN)
    opted = secrets_cli(env, "set", "hf_token", "--insecure-storage", stdin=TOKEN)
    removed = secrets_cli(env, "delete", "hf_token")
    for result in (refused, opted, removed, secrets_cli(env, "status")):
        assert "PAPERTRAY_SMTP_PASSWORD" not in result.stdout + result.stderr
        # stderr holds papertray's own sentences, never a log record ("secrets are kept in a plain file … path=").
        assert all(line.startswith(("Error: ", "Warning: ")) for line in result.stderr.splitlines()), result.stderr
    assert opted.stderr.splitlines() == ["Warning: this secret is kept unencrypted because no keyring is usable."]
    assert removed.stdout.strip() == "Removed hf_token."


def test_u25_a_keyring_that_appears_later_takes_the_secret_and_the_plain_copy_goes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert secrets_cli(no_keyring_env(home), "set", "hf_token", "--insecure-storage", stdin=TOKEN).returncode == 0
    with secret_service(tmp_path / "desktop") as keyring_env:
        env = {**daemon_env(home), **keyring_env}
        stored = secrets_cli(env, "set", "hf_token", stdin="hf_in-the-keyring\n")
        assert stored.returncode == 0, stored.stderr
        assert "SecretService" in stored.stdout and stored.stderr == ""
        assert not list((home / "state").glob("secrets*"))  # no unencrypted copy left behind
        status = secrets_cli(env, "status")
        assert status.returncode == 0 and "hf_token   set, in keyring.backends.SecretService" in status.stdout
