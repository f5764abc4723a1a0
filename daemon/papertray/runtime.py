"""The running daemon's files in the state folder: the single-instance lock, `daemon.json` (pid, port,
version) through which the CLI finds the daemon, and where the CLI's token lives.

One daemon per home: the lock is an OS file lock (released by the kernel when the process dies, even by
SIGKILL), so a stale daemon.json never blocks a new start. The data folder is locked too (store/lock.py): that
lock cannot be deleted from under the daemon, so a deleted `daemon.lock` never lets a second daemon in.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from papertray import API_VERSION, __version__
from papertray.atomic import write_atomic
from papertray.config import Paths
from papertray.errors import DaemonAlreadyRunning, DataLockBusy, StoreError
from papertray.store.lock import DataLock

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl


@dataclass(frozen=True, slots=True)
class DaemonInfo:
    pid: int
    port: int
    version: str
    api_version: str
    started_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "port": self.port,
            "version": self.version,
            "api_version": self.api_version,
            "started_at": self.started_at,
        }


def read_daemon_info(paths: Paths) -> DaemonInfo | None:
    """The daemon.json of this home, or None when there is none or it cannot be read."""
    try:
        data = json.loads(paths.daemon_file.read_text(encoding="utf-8"))
        return DaemonInfo(
            pid=int(data["pid"]),
            port=int(data["port"]),
            version=str(data.get("version", "?")),
            api_version=str(data.get("api_version", "?")),
            started_at=str(data.get("started_at", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cli_token_file(paths: Paths) -> Path:
    return paths.state_dir / "cli.token"


class InstanceLock:
    """Held for the daemon's lifetime; `acquire()` raises DaemonAlreadyRunning naming the holder."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.lock_file = paths.state_dir / "daemon.lock"
        self._handle: IO[str] | None = None
        self.data_lock = DataLock(paths.data_dir)

    def acquire(self) -> None:
        self.paths.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = open(self.lock_file, "a+", encoding="utf-8")  # noqa: SIM115 - held open on purpose
        try:
            if sys.platform == "win32":  # pragma: no cover
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise self._already_running() from None
        try:
            self.data_lock.acquire()
        except DataLockBusy:
            handle.close()
            raise self._already_running() from None
        except OSError as exc:
            handle.close()
            raise StoreError(
                f"The data folder {self.paths.data_dir} cannot be opened ({exc.strerror or exc})."
            ) from None
        self._handle = handle

    def _already_running(self) -> DaemonAlreadyRunning:
        info = read_daemon_info(self.paths)
        if info is not None and pid_alive(info.pid):
            return DaemonAlreadyRunning(
                f"papertray is already running for this home (pid {info.pid}, port {info.port}).",
                pid=info.pid,
                port=info.port,
            )
        return DaemonAlreadyRunning("papertray is already starting or running for this home.", pid=0, port=0)

    def publish(self, port: int, started_at: str) -> DaemonInfo:
        info = DaemonInfo(os.getpid(), port, __version__, API_VERSION, started_at)
        write_atomic(self.paths.daemon_file, json.dumps(info.to_dict(), indent=2).encode() + b"\n")
        return info

    def release(self) -> None:
        info = read_daemon_info(self.paths)
        if info is not None and info.pid == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                self.paths.daemon_file.unlink()
        with contextlib.suppress(FileNotFoundError):
            cli_token_file(self.paths).unlink()
        self.data_lock.release()
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def papertray_version_on(port: int) -> str | None:
    """The version of the papertray answering on 127.0.0.1:`port`, or None (nothing there, or not papertray)."""
    url = f"http://127.0.0.1:{port}/api/v1/health"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # a fixed http://127.0.0.1 URL
            body = json.loads(response.read(4096))
            header = response.headers.get("X-Papertray-Version")
    except (OSError, ValueError):
        return None
    if isinstance(body, dict) and body.get("status") == "ok" and header:
        return str(header)
    return None
