"""How `papertray mcp` reaches the daemon and what it leaves behind: its own named token and the audit log.

The token: a script token named "mcp" (`papertray token list` shows it, `papertray token revoke mcp` cuts the
assistant off), stored as `state/mcp.token` (0600). The CLI's token rotates at every daemon start and a
long-lived MCP server must outlive restarts, so at its first call (no token file yet) it creates the named token
with the CLI's token and from then on uses only its own. A revoked token is never replaced behind the user's back:
calls fail, saying so, until the user deletes the token file.

The audit log: `<logs>/mcp-audit.jsonl`, one JSON line per tool call (time, tool, arguments, outcome, result
count, milliseconds). Arguments are queries, ids, tags and notes the assistant sent; no token ever appears.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from papertray.atomic import append_durable, write_atomic
from papertray.client import NOT_RUNNING, DaemonClient
from papertray.config import Paths
from papertray.errors import DaemonAnswerError, DaemonNotRunning, PapertrayError
from papertray.runtime import pid_alive, read_daemon_info

TOKEN_NAME = "mcp"  # noqa: S105 (a name, not a secret)
AUDIT_NAME = "mcp-audit.jsonl"
MAX_LOGGED_CHARS = 500  # a pasted page as a query is logged as its start


def token_file(paths: Paths) -> Path:
    return paths.state_dir / "mcp.token"


def audit_file(paths: Paths) -> Path:
    return paths.log_dir / AUDIT_NAME


@dataclass
class McpAccess:
    paths: Paths
    _token: str | None = field(default=None, repr=False)

    def client(self) -> DaemonClient:
        """A client with the MCP token (created on first use), for the daemon running now."""
        info = read_daemon_info(self.paths)
        if info is None or not pid_alive(info.pid):
            raise DaemonNotRunning(NOT_RUNNING)
        path = token_file(self.paths)
        if self._token is None and path.exists():
            self._token = path.read_text(encoding="utf-8").strip() or None
        if self._token is None:
            self._token = self._new_token()
            return DaemonClient(info, self._token)
        mine = DaemonClient(info, self._token)
        if mine.request_raw("GET", "status")[0] == 401:
            # Revoked on purpose (`papertray token revoke mcp`): never quietly minted again.
            raise PapertrayError(
                f"papertray's MCP token was revoked; delete {path} to let `papertray mcp` create a new one."
            )
        return mine

    def _new_token(self) -> str:
        cli = DaemonClient.connect(self.paths)
        try:
            cli.delete(f"tokens/{TOKEN_NAME}")  # a revoked-and-recreated or stale record of ours
        except DaemonAnswerError as exc:
            if exc.status != 404:
                raise
        token = str(cli.post("tokens", {"name": TOKEN_NAME})["token"])
        self.paths.state_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(token_file(self.paths), token.encode(), mode=0o600)
        return token

    def audit(self, tool: str, arguments: dict[str, Any], started: float, outcome: str, results: int | None) -> None:
        record = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "tool": tool,
            "arguments": {k: _short(v) for k, v in arguments.items()},
            "outcome": outcome,
            "results": results,
            "ms": round((time.monotonic() - started) * 1000, 1),
            "pid": os.getpid(),
        }
        self.paths.log_dir.mkdir(parents=True, exist_ok=True)
        append_durable(audit_file(self.paths), json.dumps(record, ensure_ascii=False).encode() + b"\n")


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_LOGGED_CHARS:
        return value[:MAX_LOGGED_CHARS] + "…"
    if isinstance(value, list):
        return [_short(v) for v in value[:50]]
    return value
