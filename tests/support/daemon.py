"""The real daemon as a subprocess: `python -m papertray run --no-tray` with its own PAPERTRAY_HOME.

Tests talk to it over real HTTP on loopback with the CLI's token, exactly as the CLI does.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def daemon_env(home: Path, **overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PAPERTRAY_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "daemon"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("PAPERTRAY_PORT", "0")
    # No desktop session leaks into the daemon under test unless a test gives it one.
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.pop("DISPLAY", None)
    env.update(overrides)
    return env


def run_cli(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `papertray ARGS` as a subprocess against the daemon of `home`."""
    return subprocess.run(
        [sys.executable, "-m", "papertray", *args],
        env=env or daemon_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


class DaemonProcess:
    """Start with `.start()`; always `.stop()` (or `.kill()`) at teardown.

    `terminal=True` runs it with stdout and stderr on a pseudo-terminal, as in a user's shell; read what it
    printed with `read_terminal_until`. `verbose=False` leaves out `-v` (no log lines on the console)."""

    def __init__(
        self, home: Path, *, port: int = 0, terminal: bool = False, verbose: bool = True, **env_overrides: str
    ) -> None:
        self.home = home
        self.env = daemon_env(home, PAPERTRAY_PORT=str(port), **env_overrides)
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.token = ""
        self.log_path = home / "daemon-stdout.log"
        self.terminal = terminal
        self.verbose = verbose
        self._tty: int | None = None
        self._screen = ""

    def start(self, timeout: float = 30.0) -> DaemonProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "papertray", "run", "--no-tray", *(["-v"] if self.verbose else [])]
        if self.terminal:
            self._tty, child = pty.openpty()
            self.proc = subprocess.Popen(
                argv, env=self.env, stdin=subprocess.DEVNULL, stdout=child, stderr=child, text=True, cwd=REPO
            )
            os.close(child)
        else:
            log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - the child keeps writing to it
            self.proc = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=REPO)
            log.close()
        deadline = time.monotonic() + timeout
        state = self.home / "state"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"papertray exited with {self.proc.returncode}:\n{self.output()}")
            try:
                info = json.loads((state / "daemon.json").read_text())
                if info.get("pid") == self.proc.pid:
                    self.port = int(info["port"])
                    self.token = (state / "cli.token").read_text().strip()
                    if self.get("health", auth=False)[0] == 200:
                        return self
            except (OSError, ValueError, KeyError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"papertray did not become ready in {timeout} s:\n{self.output()}")

    def after_first_poll(self, timeout: float = 60.0) -> dict[str, Any]:
        """The source's state once the poll the daemon starts with has ended (start-up work, not idle time)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.get("status")
            assert status == 200, body
            source = dict(body["sources"][0])
            if source["last_poll_at"] and not source["polling"]:
                return source
            time.sleep(0.1)
        raise AssertionError("the first poll did not end")

    def read_terminal_until(self, text: str, timeout: float = 60.0) -> str:
        """All the terminal has shown so far, once it shows `text` (AssertionError if it never does)."""
        assert self._tty is not None, "started without terminal=True"
        deadline = time.monotonic() + timeout
        while text not in self._screen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the terminal never showed {text!r}:\n{self._screen}")
            ready, _, _ = select.select([self._tty], [], [], left)
            if ready:
                try:
                    chunk = os.read(self._tty, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the terminal closed before showing {text!r}:\n{self._screen}")
                self._screen += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return self._screen

    def output(self) -> str:
        if self.terminal:
            return self._screen
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/"

    def request(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        data = None
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            return err.code, json.loads(raw) if raw else None

    def get(self, path: str, *, auth: bool = True) -> tuple[int, Any]:
        return self.request("GET", path, auth=auth)

    def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        return self.request("POST", path, {} if body is None else body)

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            self._close_terminal()
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)
        finally:
            self._close_terminal()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._close_terminal()

    def _close_terminal(self) -> None:
        if self._tty is not None:
            os.close(self._tty)
            self._tty = None

    def __enter__(self) -> DaemonProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
