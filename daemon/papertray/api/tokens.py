"""Bearer tokens: minting, checking and revoking. Owns `state/tokens.json` and `state/cli.token`.

A token is 256 random bits (`secrets.token_urlsafe(32)`) behind a `pt_` prefix. Only its sha256 hash is ever
stored, so a stolen state file opens nothing and no keyring is needed. Checks compare hashes with
`hmac.compare_digest` against every stored hash (no early exit that would time which one matched).

Kinds:
    cli        the command line's own token, minted at every start, kept in memory as a hash and written to
               `state/cli.token` (0600) for the CLI; it may manage pairing and other tokens
    extension  minted by pairing, pinned to the extension origin that paired; re-pairing an origin revokes
               the origin's older token
    script     `papertray token create --name N`, for scripts; no origin
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from papertray.atomic import write_atomic
from papertray.errors import StoreError, TokenError, UnreadableFile
from papertray.state_file import StateFile
from papertray.timestamps import now_iso

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
TOKEN_PREFIX = "pt_"  # noqa: S105 - marks a papertray token in a leaked paste
TOKEN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
# Upper bound on what we even hash: a real token is 46 characters.
MAX_TOKEN_LENGTH = 256

Kind = Literal["cli", "extension", "script"]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class TokenRecord:
    name: str
    kind: Kind
    hash: str
    created_at: str
    origin: str | None = None

    def public(self) -> dict[str, Any]:
        """What the API may show about a token: never the hash, never the token."""
        return {"name": self.name, "kind": self.kind, "origin": self.origin, "created_at": self.created_at}

    def to_dict(self) -> dict[str, Any]:
        return {**self.public(), "hash": self.hash}


def _parse_tokens(data: Any) -> dict[str, TokenRecord]:
    """tokens.json's records by name; ValueError (or KeyError, TypeError) when it is not one papertray wrote."""
    if not isinstance(data, dict) or data.get("schema", 0) > SCHEMA_VERSION:
        raise ValueError("unexpected shape or newer schema")
    records: dict[str, TokenRecord] = {}
    for item in data.get("tokens", []):
        record = TokenRecord(
            name=str(item["name"]),
            kind=item["kind"],
            hash=str(item["hash"]),
            created_at=str(item.get("created_at") or ""),
            origin=item.get("origin"),
        )
        if record.kind not in ("extension", "script") or len(record.hash) != 64:
            raise ValueError(f"bad record {record.name!r}")
        records[record.name] = record
    return records


class TokenStore:
    """The set of valid tokens. Persistent kinds live in `tokens.json`; the CLI token only in memory."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / "tokens.json"
        self._file = StateFile(self.path, _parse_tokens, indent=True)
        self.cli_token_path = state_dir / "cli.token"
        self._records: dict[str, TokenRecord] = {}
        self._cli: TokenRecord | None = None
        self._hashes: tuple[tuple[bytes, TokenRecord], ...] = ()
        self._origins: frozenset[str] = frozenset()
        self.problems: list[str] = []
        # Told of every token that stops being valid, so holders of open connections (the event stream)
        # can be cut off at once rather than at their next request.
        self._on_removed: list[Callable[[list[TokenRecord]], None]] = []
        self._load()
        self._index()

    def _index(self) -> None:
        """Recompute what every request consults, after any change."""
        records = [*self._records.values(), *([self._cli] if self._cli else [])]
        self._hashes = tuple((r.hash.encode("ascii"), r) for r in records)
        self._origins = frozenset(r.origin for r in records if r.kind == "extension" and r.origin)

    # ------------------------------------------------------------------ persistence

    def _load(self) -> None:
        try:
            records = self._file.read()
        except UnreadableFile as exc:
            target = self._file.set_aside()
            where = f"it was moved aside to {target.name}" if target else "it could not be moved aside"
            moved = target.name if target else None
            log.warning("token file unreadable path=%s moved_to=%s reason=%s", self.path, moved, exc.reason)
            self.problems.append(
                f"{self.path} could not be read ({exc.reason}); {where}: "
                "pair the extension again and recreate script tokens."
            )
            return
        self._records.update(records or {})

    def _save(self) -> None:
        self._file.write({"schema": SCHEMA_VERSION, "tokens": [r.to_dict() for r in self._records.values()]})

    # ------------------------------------------------------------------ minting

    def mint_cli_token(self) -> str:
        """A fresh CLI token, written to `cli.token` (0600, atomic); the previous one stops working."""
        token = new_token()
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.cli_token_path, token.encode("ascii"), mode=0o600)
        self._cli = TokenRecord(name="cli", kind="cli", hash=hash_token(token), created_at=now_iso("seconds"))
        self._index()
        return token

    def create(self, name: str, *, kind: Kind = "script", origin: str | None = None) -> str:
        if kind == "cli":
            raise TokenError("The command line's token is minted at start-up, not created.")
        if not TOKEN_NAME.match(name) or name == "cli":
            raise TokenError(
                "A token name is 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit "
                "(and not 'cli')."
            )
        if name in self._records:
            raise TokenError(f"A token named {name!r} exists already; revoke it first or pick another name.")
        return self._add(name, kind, origin)

    def pair(self, origin: str) -> str:
        """A token for a freshly paired extension origin; the origin's previous token is revoked."""
        replaced = [r for r in self._records.values() if r.kind == "extension" and r.origin == origin]
        for record in replaced:
            del self._records[record.name]
        self._index()
        name = "extension-" + hashlib.sha256(origin.encode()).hexdigest()[:8]
        gone = self._records.pop(name, None)
        token = self._add(name, "extension", origin)
        self._removed([*replaced, *([gone] if gone else [])])
        return token

    def on_removed(self, listener: Callable[[list[TokenRecord]], None]) -> None:
        self._on_removed.append(listener)

    def _removed(self, records: list[TokenRecord]) -> None:
        if records:
            for listener in self._on_removed:
                listener(records)

    def _add(self, name: str, kind: Kind, origin: str | None) -> str:
        token = new_token()
        record = TokenRecord(name=name, kind=kind, hash=hash_token(token), created_at=now_iso("seconds"), origin=origin)
        before = dict(self._records)
        self._records[name] = record
        self._commit(before)
        log.info("token created name=%s kind=%s", name, kind)
        return token

    def _commit(self, before: dict[str, TokenRecord]) -> None:
        """Write the records as they now are; if that fails, they are back as `before` (nothing half-done)."""
        try:
            self._save()
        except StoreError:
            self._records = before
            raise
        finally:
            self._index()

    def revoke(self, name: str) -> bool:
        before = dict(self._records)
        record = self._records.pop(name, None)
        if record is None:
            return False
        self._commit(before)
        log.info("token revoked name=%s kind=%s", name, record.kind)
        self._removed([record])
        return True

    def revoke_all(self) -> int:
        """Revoke every extension and script token (the CLI's own stays); how many were revoked."""
        before = dict(self._records)
        self._records.clear()
        self._commit(before)
        log.info("all tokens revoked count=%d", len(before))
        self._removed(list(before.values()))
        return len(before)

    # ------------------------------------------------------------------ checking

    def check(self, token: str) -> TokenRecord | None:
        """The record a presented token belongs to, or None. Constant time over the stored hashes."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        presented = hash_token(token).encode("ascii")
        found: TokenRecord | None = None
        for digest, record in self._hashes:
            if hmac.compare_digest(presented, digest):
                found = record
        return found

    def is_valid(self, record: TokenRecord) -> bool:
        """Whether `record` (found by `check` earlier) still stands."""
        return any(r is record for _digest, r in self._hashes)

    def records(self) -> list[TokenRecord]:
        return sorted(self._records.values(), key=lambda r: (r.kind, r.name))

    def get(self, name: str) -> TokenRecord | None:
        return self._records.get(name)

    def paired_origins(self) -> frozenset[str]:
        return self._origins
