"""The small JSON files papertray keeps its state in (the tokens, the reading-list sessions, the opt-in plain
secrets file, every store file): read whole and checked by their owner, written atomically and privately
(0600, in a 0700 folder), and, when one cannot be used, moved aside as `<name>.corrupt-<UTC stamp>`, never
deleted.

Each owner keeps its own format and says what a bad file means for it: `check` turns the decoded JSON into the
owner's value and raises ValueError, KeyError, TypeError or AttributeError when the shape is wrong (or
`UnreadableFile` with its own sentence); the owner decides whether to move the file aside and what to tell the
user. An OSError other than a missing file is the owner's too (a file that exists but cannot be read now).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

from papertray.atomic import move_aside, write_atomic
from papertray.errors import UnreadableFile

log = logging.getLogger(__name__)

T = TypeVar("T")
# What a `check` raises when the decoded JSON is not the owner's shape.
SHAPE_ERRORS = (ValueError, KeyError, TypeError, AttributeError)


def decode(raw: bytes, path: Path, check: Callable[[Any], T]) -> T:
    """The owner's value from a file's bytes, or UnreadableFile (one reason: empty, not JSON, wrong shape)."""
    if not raw.strip():
        raise UnreadableFile(path, "is empty")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UnreadableFile(path, f"is not valid JSON ({exc})") from None
    try:
        return check(data)
    except SHAPE_ERRORS as exc:
        raise UnreadableFile(path, f"does not have the expected shape ({exc})") from None


def set_aside(path: Path) -> Path | None:
    """Move an unreadable file aside (never overwriting an earlier one); None when it could not be moved."""
    try:
        return move_aside(path)
    except OSError as exc:
        log.warning("could not move an unreadable file aside path=%s error=%s", path, exc)
        return None


class StateFile(Generic[T]):
    def __init__(self, path: Path, check: Callable[[Any], T], *, indent: bool = False) -> None:
        self.path = path
        self.check = check
        self.indent = indent  # for files a person may read (tokens.json)

    def read(self) -> T | None:
        """The checked content; None when there is no file. UnreadableFile when it cannot be used."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return decode(raw, self.path, self.check)

    def set_aside(self) -> Path | None:
        return set_aside(self.path)

    def write(self, data: Any) -> None:
        """Replace the file atomically and durably (0600), creating its folder (0700) when needed."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.path, orjson.dumps(data, option=orjson.OPT_INDENT_2 if self.indent else 0), mode=0o600)
