"""security.md §6.1.1 and §6.4.21 on the real daemon (`papertray run --no-tray` as a subprocess, with `-v`
logging): it listens on 127.0.0.1 only, and no token, pairing code or hash reaches its output or log files
after pairing, script tokens, wrong tokens and tokens pasted into query strings."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import select
import socket
import time
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


# ------------------------------------------------------------------------------- item 14: connections and time


def _open_many(port: int, count: int, first_bytes: bytes = b"") -> list[socket.socket]:
    """`count` connections, each sending `first_bytes`, opened in batches of 50 (non-blocking, as a flood would)
    with a breath between batches so the daemon accepts them (opened all at once, the kernel's accept queue
    overflows and drops most of them before the daemon ever sees them)."""
    opened = []
    for start in range(0, count, 50):
        batch = []
        for _ in range(min(50, count - start)):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            batch.append(sock)
        _settle(batch)
        for sock in batch if first_bytes else ():
            sock.settimeout(5)
            with contextlib.suppress(OSError):
                sock.sendall(first_bytes)
        opened += batch
        time.sleep(0.1)
    return opened


def _settle(sockets: list[socket.socket]) -> None:
    """Give the flood the time to connect (the kernel retries a refused handshake after 1 and 3 s), so that the
    daemon faces all of it at once; those still unconnected after 20 s are left as they are."""
    poller = select.poll()
    waiting = {sock.fileno() for sock in sockets}
    for fd in waiting:
        poller.register(fd, select.POLLOUT)
    for _ in range(40):
        for fd, _event in poller.poll(500):
            poller.unregister(fd)
            waiting.discard(fd)
        if not waiting:
            return


def _closed_by_papertray(sock: socket.socket) -> bool:
    """True once the daemon has closed the connection (the 60 s only guard against a hang)."""
    sock.settimeout(60)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def test_s14_idle_slowloris_and_slow_body_floods_never_lock_out_the_extension(daemon: DaemonProcess) -> None:
    # As on a desktop with the usual limit of 1,024 open files (the daemon's own limit here may be higher).
    assert daemon.proc is not None
    _soft, hard = resource.prlimit(daemon.proc.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(daemon.proc.pid, resource.RLIMIT_NOFILE, (1024, hard))
    port = daemon.port
    head = f"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode()
    body_head = (
        f"POST /api/v1/pair HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {EXT}\r\n"
        "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"
    ).encode()
    flood: list[socket.socket] = []
    try:
        flood += _open_many(port, 1100)  # idle: connect and say nothing
        flood += _open_many(port, 50, head)  # slowloris: a request head that never ends
        flood += _open_many(port, 100, body_head)  # a body that never comes
        # The extension (or the CLI) still gets its answer.
        request = urllib.request.Request(
            daemon.base_url + "status", headers={"Authorization": f"Bearer {daemon.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        # None of the flood is kept for ever: papertray closes idle, slowloris and slow-body connections.
        for sock in flood[1050:]:
            assert _closed_by_papertray(sock)
    finally:
        for sock in flood:
            sock.close()
    assert daemon.get("health")[0] == 200


def test_s14_a_body_that_trickles_in_is_cut_off(daemon: DaemonProcess) -> None:
    sock = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
    with sock:
        sock.sendall(
            (
                f"POST /api/v1/pair HTTP/1.1\r\nHost: 127.0.0.1:{daemon.port}\r\nOrigin: {EXT}\r\n"
                'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"code": "'
            ).encode()
        )
        sock.settimeout(0.5)
        received = b""
        for _ in range(240):  # one byte every half second: the whole body would take 95 s
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                with contextlib.suppress(OSError):
                    sock.sendall(b"A")
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert b"too slowly" in received
