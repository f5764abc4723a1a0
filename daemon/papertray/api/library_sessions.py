"""The reading-list page's sessions: one-time login links and the sessions they open.

A session is a 256-bit secret the page keeps in its own sessionStorage and sends as a header (library_routes.py
says why not a cookie). A session outlives a daemon restart (an update, a reboot with autostart): the
reading-list tab the user left open keeps working. They are kept in `state/library-sessions.json` (0600), under
the sha256 of the secret, so the file opens nothing by itself. Login links live only in memory (two minutes).
A session ends after 12 idle hours, or at once for all of them with `end_all()` (the CLI, the tray,
`token revoke --all`); its last use is written at most every few minutes, so a page in use costs no write per
request. The file is disposable: unreadable, it is moved aside with a warning and the user opens the reading
list again.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertray.errors import StoreError, UnreadableFile
from papertray.state_file import StateFile

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 1 held cookie sessions, which another local port could have received: dropped
LOGIN_TTL = 120.0
SESSION_IDLE = 12 * 3600.0
MAX_SESSIONS = 64
LAST_USE_WRITE_EVERY = 300.0  # seconds: how stale the file's idea of a session's last use may get


@dataclass
class Session:
    last_used: float
    last_written: float = 0.0


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "surrogatepass")).hexdigest()


class Sessions:
    """Login links (memory) and sessions (memory and, when `path` is given, on disk). Times are wall-clock
    seconds, so that idle time counts across restarts."""

    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._file = StateFile(path, _parse) if path is not None else None
        self._clock = clock
        self._once: dict[str, float] = {}
        self._sessions: dict[str, Session] = {}  # by the sha256 of the cookie's value
        self._lock = threading.Lock()
        self.on_login_gone: Callable[[str], None] = lambda _once: None  # the launcher file goes with its link
        self._load()

    def mint_login(self) -> str:
        """Safe from any thread (the tray asks from its own)."""
        with self._lock:
            now = self._clock()
            for gone in [k for k, t in self._once.items() if t <= now]:
                del self._once[gone]
                self.on_login_gone(gone)
            once = secrets.token_urlsafe(32)
            self._once[once] = now + LOGIN_TTL
            return once

    def redeem(self, once: str) -> tuple[str, Session] | None:
        """The cookie value and session a valid one-time link opens, or None."""
        with self._lock:
            expiry = self._once.pop(once, None) if isinstance(once, str) and len(once) < 100 else None
        if expiry is not None:
            self.on_login_gone(once)
        now = self._clock()
        if expiry is None or expiry < now:
            return None
        self._expire(now)
        if len(self._sessions) >= MAX_SESSIONS:
            oldest = min(self._sessions, key=lambda k: self._sessions[k].last_used)
            del self._sessions[oldest]
        sid = secrets.token_urlsafe(32)
        session = Session(last_used=now, last_written=now)
        self._sessions[_key(sid)] = session
        self._save()
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 100:
            return None
        key = _key(sid)
        session = self._sessions.get(key)
        now = self._clock()
        if session is None:
            return None
        if now - session.last_used > SESSION_IDLE:
            del self._sessions[key]
            self._save()
            return None
        session.last_used = now
        if now - session.last_written > LAST_USE_WRITE_EVERY:
            self._save()
        return session

    def __len__(self) -> int:
        return len(self._sessions)

    def end_all(self) -> int:
        """End every session and every unused login link; how many sessions were open."""
        with self._lock:
            links, self._once = list(self._once), {}
        for once in links:
            self.on_login_gone(once)
        ended = len(self._sessions)
        self._sessions.clear()
        self._save()
        log.info("reading-list sessions ended count=%d", ended)
        return ended

    # ------------------------------------------------------------------ the file

    def _expire(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if now - s.last_used > SESSION_IDLE]:
            del self._sessions[key]

    def _load(self) -> None:
        if self._file is None:
            return
        try:
            sessions = self._file.read()
        except OSError as exc:
            log.warning("reading-list sessions unreadable path=%s reason=%s", self._file.path, exc)
            return
        except UnreadableFile as exc:
            target = self._file.set_aside() or self._file.path
            log.warning(
                "reading-list sessions unreadable; the page asks to be opened again path=%s moved_to=%s reason=%s",
                self._file.path,
                target.name,
                exc.reason,
            )
            return
        if sessions is OLDER_SCHEMA:
            log.info("reading-list cookie sessions from an older papertray dropped; open the list again")
            self._save()
            return
        self._sessions.update(sessions or {})
        self._expire(self._clock())

    def _save(self) -> None:
        if self._file is None:
            return
        now = self._clock()
        data = {
            "schema": SCHEMA_VERSION,
            "sessions": {k: {"last_used": s.last_used} for k, s in self._sessions.items()},
        }
        try:
            self._file.write(data)
        except (StoreError, OSError) as exc:
            # Sessions still work from memory; only a restart would forget them.
            log.warning("reading-list sessions not written path=%s reason=%s", self._file.path, exc)
            return
        for session in self._sessions.values():
            session.last_written = now


# What `_parse` answers for a file of schema 1 (cookie sessions): dropped, and the file rewritten.
OLDER_SCHEMA: dict[str, Session] = {}


def _parse(data: Any) -> dict[str, Session]:
    """The sessions of library-sessions.json by key; ValueError (or KeyError, TypeError) when it is not one
    papertray wrote."""
    if isinstance(data, dict) and data.get("schema") == 1:
        return OLDER_SCHEMA
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        raise ValueError("unexpected shape or schema")
    sessions: dict[str, Session] = {}
    for key, item in data["sessions"].items():
        if not (isinstance(key, str) and len(key) == 64):
            raise ValueError("bad session record")
        last_used = float(item["last_used"])
        sessions[key] = Session(last_used=last_used, last_written=last_used)
    return sessions
