"""Pairing codes: the short one-time code `papertray pair` (or the tray) shows and the extension's options
page sends back. A code lives 5 minutes and allows 5 tries in all; the fifth wrong try voids it, and a used
code is gone. One code is live at a time: asking for a new one voids the old.

Only the hash of the code is kept, and checks compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

CODE_TTL_SECONDS = 300.0
CODE_TRIES = 5
# No 0/O, 1/I/L: the user types this from a terminal or a tray notification.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS = 2
GROUP_LENGTH = 4
# An extension origin: Chrome ids are 32 letters a-p; Firefox gives each install a random UUID.
EXTENSION_ORIGIN = re.compile(
    r"^(?:chrome-extension://[a-p]{32}|moz-extension://[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def is_extension_origin(origin: str) -> bool:
    return EXTENSION_ORIGIN.match(origin) is not None


def normalise_code(code: str) -> str:
    """What the user typed, forgiving case, spaces and dashes."""
    return re.sub(r"[\s-]", "", code).upper()


@dataclass(slots=True)
class _LiveCode:
    digest: bytes
    expires_at: float  # on the `clock` scale
    expires_at_wall: float  # Unix time, for the CLI to show
    tries_left: int


class PairingCodes:
    """`new_code()` for the CLI and tray, `redeem(code)` for `POST /api/v1/pair`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._live: _LiveCode | None = None

    def new_code(self) -> tuple[str, float]:
        """A fresh code (shown grouped, e.g. `K7QM-3XPA`) and its expiry as Unix time."""
        raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_GROUPS * GROUP_LENGTH))
        self._live = _LiveCode(
            digest=hashlib.sha256(raw.encode()).digest(),
            expires_at=self._clock() + CODE_TTL_SECONDS,
            expires_at_wall=time.time() + CODE_TTL_SECONDS,
            tries_left=CODE_TRIES,
        )
        log.info("pairing code issued ttl_s=%d tries=%d", CODE_TTL_SECONDS, CODE_TRIES)
        shown = "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))
        return shown, self._live.expires_at_wall

    @property
    def active(self) -> bool:
        return self._live is not None and self._clock() < self._live.expires_at

    def redeem(self, code: str) -> bool:
        """True once for the right code within its life; every wrong try uses one of the five."""
        live = self._live
        if live is None:
            return False
        if self._clock() >= live.expires_at:
            self._live = None
            log.info("pairing code expired")
            return False
        presented = hashlib.sha256(normalise_code(code)[:64].encode("utf-8", "replace")).digest()
        if hmac.compare_digest(presented, live.digest):
            self._live = None
            return True
        live.tries_left -= 1
        if live.tries_left <= 0:
            self._live = None
            log.warning("pairing code voided after too many wrong tries")
        return False
