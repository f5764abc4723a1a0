"""The feeds' capability key: read-only, for feeds alone (never an API token), 256 random bits.

The daemon keeps only the key's SHA-256 (`state/feeds-key.json`) and compares in constant time; the key itself
is kept in the OS keyring through credentials.py so that `papertray feeds url` can show it again.
`papertray feeds rotate` makes a new key: the old URL stops working at the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

import orjson

from papertray.atomic import write_atomic
from papertray.credentials import Credentials

KEY_FILE = "feeds-key.json"
SECRET_NAME = "feeds_key"  # noqa: S105 (the keyring entry's name, not a secret)
KEY_BYTES = 32


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def feed_url(port: int, key: str, name: str = "matches") -> str:
    return f"http://127.0.0.1:{port}/feeds/{key}/{name}.atom"


class FeedKey:
    """What the daemon checks a request's key against; re-read when the file changes (a rotate by the CLI)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / KEY_FILE
        self._seen: tuple[int, int] | None = None
        self._hash: str | None = None

    def _current(self) -> str | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._hash = None, None
            return None
        mark = (stat.st_mtime_ns, stat.st_size)
        if mark != self._seen:
            try:
                value = orjson.loads(self.path.read_bytes()).get("sha256")
            except (OSError, orjson.JSONDecodeError, AttributeError):
                value = None
            self._seen, self._hash = mark, value if isinstance(value, str) else None
        return self._hash

    def check(self, candidate: str) -> bool:
        current = self._current()
        return current is not None and hmac.compare_digest(current, _digest(candidate))


def rotate(state_dir: Path, credentials: Credentials) -> str:
    """A new key: kept in the keyring first, then its hash published to the daemon."""
    key = secrets.token_urlsafe(KEY_BYTES)
    credentials.set(SECRET_NAME, key)
    write_atomic(state_dir / KEY_FILE, orjson.dumps({"sha256": _digest(key)}))
    return key


def current_key(state_dir: Path, credentials: Credentials) -> str:
    """The key the daemon accepts now, made on first use; a key in the keyring that no longer matches the
    daemon's hash (a keyring reset, a copied state folder) is replaced."""
    key = credentials.get(SECRET_NAME)
    if key is not None and FeedKey(state_dir).check(key):
        return key
    return rotate(state_dir, credentials)
