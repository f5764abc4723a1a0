"""Whether the store can write now: the guard that says this process still holds its data folder
(store/lock.py), and the problems of writes that keep failing, for status, the tray and `run`.

A failure is listed per kind of write (user data, feed cache, meta) until that kind succeeds again; any write
that goes through also clears a full disk (there is room again). A write that failed because the data
folder went away between the guard's check and the write reports the lost folder, the real cause.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from papertray.errors import StoreError, StoreFullError

T = TypeVar("T")


class WriteHealth:
    def __init__(self, guard: Callable[[], None] | None = None) -> None:
        self.check = guard or (lambda: None)  # runs on writer threads before every commit
        self._failing: dict[str, StoreError] = {}

    def problems(self) -> list[str]:
        return list(dict.fromkeys(str(exc) for exc in self._failing.values()))

    async def watch(self, kind: str, done: Awaitable[T]) -> T:
        try:
            result = await done
        except StoreError as exc:
            try:
                self.check()
            except StoreError as lost:
                self._failing[kind] = lost
                raise lost from exc
            self._failing[kind] = exc
            raise
        self._failing.pop(kind, None)
        for other in [k for k, e in self._failing.items() if isinstance(e, StoreFullError)]:
            del self._failing[other]
        return result
