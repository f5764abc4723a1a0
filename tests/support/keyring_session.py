"""A real Secret Service for tests: a private D-Bus session bus plus gnome-keyring-daemon in a temp HOME
(testing.md). Every process is started here and stopped by its pid at teardown.

Also a keyring backend *named* PlaintextKeyring, for the one check that needs a backend we must refuse by name
(keyrings.alt is not installed here; this stands in for its PlaintextKeyring, which only base64-encodes)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from keyring.backend import KeyringBackend


class PlaintextKeyring(KeyringBackend):
    """Keeps secrets in a dict in memory: exactly the kind of backend credentials.py must not trust."""

    priority = 1  # type: ignore[assignment]
    _store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._store.pop((service, username), None)


def _stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):  # our ends of its pipes (the bus's address pipe)
        if pipe is not None:
            pipe.close()


@contextlib.contextmanager
def session_bus(home: Path) -> Iterator[dict[str, str]]:
    """A private D-Bus session bus; yields the environment that points at it."""
    run_dir = home / "run"
    run_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_RUNTIME_DIR=str(run_dir))
    env.pop("PYTHON_KEYRING_BACKEND", None)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", "--nopidfile"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        yield env
    finally:
        _stop(bus)


def _wait_for_name(env: dict[str, str], name: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if "boolean true" in out.stdout:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{name} did not appear on the test bus")


@contextlib.contextmanager
def secret_service(home: Path, *, unlocked: bool = True) -> Iterator[dict[str, str]]:
    """gnome-keyring-daemon (secrets component) on a private bus. `unlocked=False` starts it with no unlocked
    login collection, so a write needs a prompt nobody can answer: a real locked keyring."""
    with session_bus(home) as env:
        args = ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
        if unlocked:
            args.insert(2, "--unlock")
        daemon = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        try:
            assert daemon.stdin is not None
            if unlocked:
                daemon.stdin.write("test-password")
            daemon.stdin.close()
            _wait_for_name(env, "org.freedesktop.secrets")
            yield env
        finally:
            _stop(daemon)


@contextlib.contextmanager
def silent_bus(home: Path) -> Iterator[dict[str, str]]:
    """A 'session bus' that accepts connections and never answers: a hung desktop service."""
    path = home / "silent-bus"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    env = dict(os.environ, HOME=str(home), DBUS_SESSION_BUS_ADDRESS=f"unix:path={path}")
    env.pop("PYTHON_KEYRING_BACKEND", None)
    try:
        yield env
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()
