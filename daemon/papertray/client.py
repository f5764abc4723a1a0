"""The CLI's client for the running daemon: finds it through `daemon.json`, authenticates with the CLI token,
and speaks the v1 JSON API over plain HTTP on loopback (stdlib only: the CLI must start fast).
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any

from papertray.config import Paths
from papertray.errors import DaemonAnswerError, DaemonNotRunning, PapertrayError
from papertray.runtime import DaemonInfo, cli_token_file, pid_alive, read_daemon_info

NOT_RUNNING = "papertray is not running (start it with `papertray run`)."


@dataclass
class DaemonClient:
    info: DaemonInfo
    token: str
    timeout: float = 30.0

    @classmethod
    def connect(cls, paths: Paths, timeout: float = 30.0) -> DaemonClient:
        info = read_daemon_info(paths)
        if info is None or not pid_alive(info.pid):
            raise DaemonNotRunning(NOT_RUNNING)
        try:
            token = cli_token_file(paths).read_text(encoding="utf-8").strip()
        except OSError:
            raise DaemonNotRunning(
                f"papertray (pid {info.pid}) is still starting or left no CLI token in {paths.state_dir}."
            ) from None
        return cls(info, token, timeout)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        status, raw = self.request_raw(method, path, body)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            raise DaemonAnswerError(f"papertray answered {status} with a body that is not JSON.", status) from None
        if status >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise DaemonAnswerError(message or f"papertray answered HTTP {status}.", status)
        return data

    def request_raw(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """The status and body bytes, for answers that are not JSON (exports)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.info.port, timeout=self.timeout)
        headers = {"Authorization": f"Bearer {self.token}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, f"/api/v1/{path.lstrip('/')}", body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except OSError as exc:
            if isinstance(exc, TimeoutError):
                raise PapertrayError(
                    f"papertray (port {self.info.port}) did not answer in {self.timeout:g} s."
                ) from None
            raise DaemonNotRunning(NOT_RUNNING) from None
        finally:
            conn.close()
        return response.status, raw

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, {} if body is None else body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)
