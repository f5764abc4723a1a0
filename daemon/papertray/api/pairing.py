"""Pairing codes: the short one-time code `papertray pair` (or the tray) shows and the extension's options
page sends back. A code lives 5 minutes and pairs once.

Nobody but the holder of a code can stop it from working (security item 12): wrong tries never void a code and
no rate limit stands in front of the right one. A code is 12 characters from a 31-letter alphabet (59 bits), so
guessing needs no lock: at 10,000 tries a second for the code's 5 minutes a guesser wins with odds of about
4 in 10^12. Asking for a new code does not void the older ones (up to `MAX_LIVE` at once, so both browsers of
a user can be paired from two `papertray pair` runs).

Only the hash of a code is kept, and checks compare in constant time.
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
MAX_LIVE = 8  # codes valid at once; a ninth request drops the oldest
# No 0/O, 1/I/L: the user types this from a terminal or a tray notification.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS = 3
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


class PairingCodes:
    """`new_code()` for the CLI and tray, `redeem(code)` for `POST /api/v1/pair`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._live: list[_LiveCode] = []

    def _expire(self) -> None:
        now = self._clock()
        self._live = [live for live in self._live if now < live.expires_at]

    def new_code(self) -> tuple[str, float]:
        """A fresh code (shown grouped, e.g. `K7QM-3XPA-9HRT`) and its expiry as Unix time."""
        raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_GROUPS * GROUP_LENGTH))
        self._expire()
        self._live = [*self._live[-(MAX_LIVE - 1) :], _LiveCode(_digest(raw), self._clock() + CODE_TTL_SECONDS)]
        log.info("pairing code issued ttl_s=%d live=%d", CODE_TTL_SECONDS, len(self._live))
        shown = "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))
        return shown, time.time() + CODE_TTL_SECONDS

    @property
    def active(self) -> int:
        """How many codes are valid now."""
        self._expire()
        return len(self._live)

    def redeem(self, code: str) -> bool:
        """True once for a live code; a wrong try changes nothing."""
        self._expire()
        presented = _digest(normalise_code(code)[:64])
        match = None
        for live in self._live:  # no early exit: every live code is compared
            if hmac.compare_digest(presented, live.digest):
                match = live
        if match is None:
            return False
        self._live.remove(match)
        return True


def _digest(raw: str) -> bytes:
    return hashlib.sha256(raw.encode("utf-8", "replace")).digest()
