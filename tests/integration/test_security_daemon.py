"""security.md §6.1.1 and §6.4.21 on the real daemon (`papertray run --no-tray` as a subprocess, with `-v`
logging): it listens on 127.0.0.1 only, and no token, pairing code or hash reaches its output or log files
after pairing, script tokens, wrong tokens and tokens pasted into query strings."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("papertray.app", reason="the daemon's composition root (app.py) is not merged yet")

from papertray.api.tokens import hash_token
from tests.support.api_server import EXT
from tests.support.daemon import DaemonProcess, run_cli


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    # A feed URL nobody answers: polls fail quickly and are logged, which is fine here.
    process = DaemonProcess(tmp_path / "home", PAPERTRAY_HF_URL="http://127.0.0.1:9")
    process.start()
    yield process
    process.stop()


def _listening(pid: int) -> set[str]:
    """Local addresses of the process's listening TCP sockets, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        match = re.fullmatch(r"socket:\[(\d+)\]", target)
        if match:
            inodes.add(match.group(1))
    found = set()
    for table, family in (("tcp", 4), ("tcp6", 6)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A = LISTEN
                continue
            address, port = fields[1].split(":")
            ip = ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)) if family == 4 else address
            found.add(f"{ip}:{int(port, 16)}")
    return found


def _send(daemon: DaemonProcess, path: str, headers: dict[str, str], body: bytes | None = None) -> int:
    request = urllib.request.Request(
        daemon.base_url + path, data=body, headers=headers, method="POST" if body else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def test_6_1_1_the_daemon_listens_on_loopback_only(daemon: DaemonProcess) -> None:
    assert daemon.proc is not None
    assert _listening(daemon.proc.pid) == {f"127.0.0.1:{daemon.port}"}


def test_6_4_21_no_secret_in_the_daemon_output_or_logs(daemon: DaemonProcess) -> None:
    secrets = [daemon.token]
    paired = run_cli(daemon.home, "pair")
    assert paired.returncode == 0, paired.stderr
    code = re.search(r"Pairing code: (\S+)", paired.stdout).group(1)  # type: ignore[union-attr]
    secrets.append(code)
    status = _send(
        daemon, "pair", {"Origin": EXT, "Content-Type": "application/json"}, f'{{"code": "{code}"}}'.encode()
    )
    assert status == 201
    created = run_cli(daemon.home, "token", "create", "--name", "nightly")
    assert created.returncode == 0, created.stderr
    secrets.append(created.stdout.strip())
    for token in secrets:
        assert _send(daemon, f"status?token={token}", {}) == 401
        assert _send(daemon, "status", {"Authorization": f"Bearer {token}x"}) == 401
        assert _send(daemon, "status", {"Cookie": f"token={token}"}) == 401
    assert _send(daemon, "status", {"Authorization": f"Bearer {secrets[2]}"}) == 200
    daemon.stop()
    texts = [daemon.output()]
    texts += [p.read_text(errors="replace") for p in (daemon.home / "logs").rglob("*") if p.is_file()]
    assert any("pairing code issued" in text for text in texts), "the daemon logged the pairing"
    for text in texts:
        for secret in secrets:
            assert secret not in text
            assert hash_token(secret) not in text
