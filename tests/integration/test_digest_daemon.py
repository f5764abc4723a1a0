"""Issue 15 end to end: the real daemon, a real Daily Papers fixture server and a real SMTP server (aiosmtpd,
STARTTLS and AUTH, trusted through SSL_CERT_FILE). A digest that came due while papertray was stopped goes out
once after the first poll; a restart right after sending sends nothing; a failure shows in `status` and
`doctor` in the server's words; `digest preview`, `digest send --now` and `doctor --smtp` work from the CLI."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.conftest import TODAY
from tests.support.daemon import DaemonProcess, daemon_env, run_cli
from tests.support.digest_papers import RULES, digest_day
from tests.support.feed_server import FeedServer
from tests.support.smtp_server import PASSWORD, USER, SmtpServer, make_certificate


def wait_for_log(home: Path, text: str, count: int = 1, timeout: float = 60.0) -> None:
    path = home / "logs" / "papertray.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count(text) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the log never said {text!r} {count} times")


def start_daemon(home: Path, env: dict[str, str]) -> DaemonProcess:
    return DaemonProcess(
        home,
        PAPERTRAY_HF_URL=env["PAPERTRAY_HF_URL"],
        PAPERTRAY_SMTP_PASSWORD=env["PAPERTRAY_SMTP_PASSWORD"],
        SSL_CERT_FILE=env["SSL_CERT_FILE"],
    )


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[Path, FeedServer, SmtpServer, dict[str, str]]]:
    entries, _ = digest_day(TODAY)
    feed = FeedServer(days={TODAY: entries})
    await feed.start()
    cert, key = make_certificate(tmp_path)
    smtp = SmtpServer(cert, key)
    home = tmp_path / "home"
    (home / "state").mkdir(parents=True)
    slot = (datetime.now().astimezone() - timedelta(hours=1)).replace(second=0, microsecond=0)
    (home / "config.toml").write_text(
        RULES + f'[digest]\nschedule = "daily"\nat = "{slot:%H:%M}"\nto = "me@example.org"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_user = "{USER}"\n'
    )
    # The last digest went out three days ago: papertray was stopped since (asleep, or the laptop was shut).
    (home / "state" / "digest.json").write_text(json.dumps({"covered_until": (slot - timedelta(days=3)).isoformat()}))
    env = {"PAPERTRAY_HF_URL": feed.url, "PAPERTRAY_SMTP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(cert)}
    try:
        yield home, feed, smtp, env
    finally:
        smtp.stop()
        await feed.stop()


async def test_a_missed_digest_goes_out_once_and_a_restart_sends_nothing_again(
    setup: tuple[Path, FeedServer, SmtpServer, dict[str, str]],
) -> None:
    home, _, smtp, env = setup
    smtp.start()
    for run in (1, 2):
        daemon = start_daemon(home, env)
        await asyncio.to_thread(daemon.start)
        try:
            await asyncio.to_thread(wait_for_log, home, "digest checked status=", run)
        finally:
            await asyncio.to_thread(daemon.stop)
        assert len(smtp.box.messages) == 1, f"after start {run}"
    message = email.message_from_bytes(smtp.box.messages[0], policy=email.policy.default)
    part = message.get_body(("plain",))  # type: ignore[attr-defined]
    assert part is not None
    body = part.get_content()
    assert "Sparse autoencoder features in small models" in body and "SAE watch" in body
    log = (home / "logs" / "papertray.log").read_text()
    assert "digest checked status=sent" in log and "digest checked status=not due" in log
    assert PASSWORD not in log


async def test_a_failing_server_shows_in_status_and_doctor_then_send_now_delivers(
    setup: tuple[Path, FeedServer, SmtpServer, dict[str, str]],
) -> None:
    home, _, smtp, env = setup
    daemon = start_daemon(home, env)
    await asyncio.to_thread(daemon.start)
    try:
        await asyncio.to_thread(wait_for_log, home, "digest checked status=failed")
        status = await asyncio.to_thread(run_cli, home, "status", env=daemon_env(home, **env))
        assert "The email digest was not sent (attempt 1; next try" in status.stdout, status.stdout
        assert f"Could not connect to 127.0.0.1:{smtp.port}" in status.stdout
        doctor = await asyncio.to_thread(run_cli, home, "doctor", env=daemon_env(home, **env))
        assert f"Could not connect to 127.0.0.1:{smtp.port}" in doctor.stdout

        smtp.start()
        checked = await asyncio.to_thread(run_cli, home, "doctor", "--smtp", env=daemon_env(home, **env))
        assert "connected, TLS verified, logged in" in checked.stdout, checked.stdout
        assert smtp.box.messages == []  # a login check sends nothing

        preview = await asyncio.to_thread(run_cli, home, "digest", "preview", env=daemon_env(home, **env))
        assert preview.returncode == 0, preview.stderr
        shown = Path(preview.stdout.strip().rsplit(" ", 1)[1]).read_text()
        assert "Sparse autoencoder features in small models" in shown

        sent = await asyncio.to_thread(run_cli, home, "digest", "send", "--now", env=daemon_env(home, **env))
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.strip() == "Sent the digest with 5 papers to me@example.org."  # 2 matches, 3 trending
        assert len(smtp.box.messages) == 1
        status = await asyncio.to_thread(run_cli, home, "status", env=daemon_env(home, **env))
        assert "email digest" not in status.stdout  # the pending digest was the one just sent
    finally:
        await asyncio.to_thread(daemon.stop)
