"""The digests' long-lived part in the daemon: rewrites `<data>/feeds/*.atom` at start and after every poll."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from papertray.config import Config
from papertray.digest.files import write_feed_files
from papertray.errors import StoreError
from papertray.events import EventBus
from papertray.store import Store

log = logging.getLogger(__name__)


class DigestService:
    def __init__(self, config: Callable[[], Config], store: Store, bus: EventBus) -> None:
        self.config = config
        self.store = store
        self.bus = bus

    async def write_feeds(self) -> None:
        config = self.config()
        try:
            await asyncio.to_thread(write_feed_files, config.paths.data_dir / "feeds", self.store, config)
        except (OSError, StoreError) as exc:  # a full disk must not stop the daemon; the next poll tries again
            log.error("feeds not written reason=%s", exc)

    async def run(self) -> None:
        events = self.bus.subscribe()
        try:
            await self.write_feeds()
            async for event in events:
                if event.type == "poll.done":
                    await self.write_feeds()
        finally:
            await events.aclose()  # type: ignore[attr-defined]
