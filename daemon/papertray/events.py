"""The event bus: in-process fan-out of what changed (new papers, state changes, poll results, library
progress) to the API's server-sent events, notifications and the tray.

Each event gets a monotonically increasing id; a bounded ring buffer lets an SSE client that reconnects with
`Last-Event-ID` receive what it missed. Subscribers get their own bounded queue: a slow consumer loses its
oldest events (and is told so), it never blocks the publisher.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

RING_SIZE = 2048
QUEUE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str  # "paper.new", "paper.state", "poll.done", "poll.error", "library.progress", "config.error", …
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    """Publish from the event loop thread only (another thread hands work over with `call_soon_threadsafe`)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._ring: deque[Event] = deque(maxlen=RING_SIZE)
        self._subscribers: set[asyncio.Queue[Event]] = set()

    @property
    def last_id(self) -> int:
        return self._ring[-1].id if self._ring else 0

    def publish(self, type: str, data: dict[str, Any] | None = None) -> Event:
        event = Event(next(self._counter), type, data or {})
        self._ring.append(event)
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()  # drop the oldest for this slow subscriber only
            queue.put_nowait(event)
        return event

    def since(self, last_id: int) -> list[Event]:
        """Events after `last_id` still in the ring (oldest first)."""
        return [event for event in self._ring if event.id > last_id]

    async def subscribe(self, last_id: int | None = None) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._subscribers.add(queue)
        try:
            delivered = self.last_id if last_id is None else last_id
            for event in self.since(delivered):
                delivered = event.id
                yield event
            while True:
                event = await queue.get()
                if event.id > delivered:  # the replay may already have delivered it
                    delivered = event.id
                    yield event
        finally:
            self._subscribers.discard(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
