"""Small pieces of user-facing English, in one place so every message says them the same way."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 paper`, `3 papers`, `0 papers` (and `plural` for nouns that do not just take an s)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
