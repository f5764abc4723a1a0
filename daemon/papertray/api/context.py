"""What the route handlers share: the context every handler reads (its key, `CONTEXT`, is in keys.py with the
others) and the thin protocol the API needs from the poller (kept here so the API depends on a shape, not on the
poller's module)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from papertray.api.guard import FailureLimiter
from papertray.api.keys import CONTEXT
from papertray.api.pairing import PairingCodes
from papertray.api.tokens import TokenStore
from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.library import Library
from papertray.models import SourceState
from papertray.store import Store


class Report(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class PollerLike(Protocol):
    """What the API uses of the pollers (`papertray.pollers.Pollers`: every source behind one shape)."""

    def source_states(self) -> Sequence[SourceState]: ...

    async def poll_now(self, days: Sequence[str] | None = None) -> Report: ...

    async def close(self) -> None: ...


@dataclass
class ApiContext:
    config: Callable[[], Config]
    store: Store
    bus: EventBus
    poller: PollerLike | None
    paths: Paths
    problems: Callable[[], list[str]]
    tokens: TokenStore
    pairing: PairingCodes
    limiter: FailureLimiter
    library: Library | None = None
    heartbeat_seconds: float = 15.0
    # What became of a poll's new papers ("2 matched, notified"): the notifier's, when one runs.
    poll_notice: Callable[[Sequence[str]], str] | None = None


def ctx(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]
