"""The real daemon as a subprocess: `python -m papertray run --no-tray` with its own PAPERTRAY_HOME.

Tests talk to it over real HTTP on loopback with the CLI's token, exactly as the CLI does.
"""

from __future__ import annotations

import json
import os
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
    """Start with `.start()`; always `.stop()` (or `.kill()`) at teardown."""

    def __init__(self, home: Path, *, port: int = 0, **env_overrides: str) -> None:
        self.home = home
        self.env = daemon_env(home, PAPERTRAY_PORT=str(port), **env_overrides)
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.token = ""
        self.log_path = home / "daemon-stdout.log"

    def start(self, timeout: float = 30.0) -> DaemonProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - the child keeps writing to it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "papertray", "run", "--no-tray", "-v"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
        )
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

    def output(self) -> str:
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
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> DaemonProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
