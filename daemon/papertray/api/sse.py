"""`GET /api/v1/events`: server-sent events from the EventBus (new papers, state changes, polls, library
progress, config reloads).

Each event is written as `id:` / `event:` / `data:` (one JSON line). A comment line (`: ping`) goes out every
`heartbeat_seconds` so proxies, the browser and the client notice a dead connection. A client that reconnects
with `Last-Event-ID` gets what it missed while the bus still holds it; when the gap is older than the bus's
memory it first gets an `event: resync` telling it to re-read state.

A stream belongs to the token that opened it: when that token is revoked or replaced (re-pairing), the stream
ends at once, and a reconnect gets 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from papertray.api.context import ctx
from papertray.api.guard import require_token
from papertray.api.keys import CONTEXT, STREAMS
from papertray.api.responses import STANDARD_HEADERS
from papertray.api.tokens import TokenRecord
from papertray.errors import HttpError
from papertray.events import Event

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Stream:
    token: TokenRecord
    ended: asyncio.Event = field(default_factory=asyncio.Event)


def _last_event_id(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID")
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise HttpError(400, "Last-Event-ID must be the id of an event this stream sent.")
    return int(raw)


def frame(event: Event) -> bytes:
    data = orjson.dumps(event.data)
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event.id, event.type.encode(), data)


async def events(request: web.Request) -> web.StreamResponse:
    if request.query:
        raise HttpError(400, "The event stream takes no query parameters (resume with Last-Event-ID).")
    context = ctx(request)
    record = require_token(request)
    last_id = _last_event_id(request)
    bus = context.bus
    response = web.StreamResponse(
        headers={**STANDARD_HEADERS, "Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
    )
    origin = request.headers.get("Origin")
    if origin is not None:  # the guard let it through, so it is the paired extension's
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    response.enable_chunked_encoding()
    await response.prepare(request)
    task = asyncio.current_task()
    own = Stream(record)
    if task is not None:
        request.app[STREAMS][task] = own
    ended = asyncio.ensure_future(own.ended.wait())
    if last_id is not None:
        missed = bus.since(last_id)
        oldest = missed[0].id if missed else bus.last_id + 1
        if last_id > bus.last_id or oldest > last_id + 1:
            await response.write(b"event: resync\ndata: {}\n\n")
    else:
        await response.write(b": papertray events\n\n")
    stream = bus.subscribe(last_id).__aiter__()
    pending: asyncio.Task[Event] | None = None
    try:
        while context.tokens.is_valid(record):
            if pending is None:
                pending = asyncio.ensure_future(stream.__anext__())
            done, _ = await asyncio.wait(
                {pending, ended}, timeout=context.heartbeat_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            if ended in done:
                log.info("event stream closed: its token was revoked name=%s", record.name)
                break
            if not done:
                await response.write(b": ping\n\n")
                continue
            event = pending.result()
            pending = None
            await response.write(frame(event))
    except (ConnectionResetError, StopAsyncIteration):
        pass
    finally:
        if task is not None:
            request.app[STREAMS].pop(task, None)
        ended.cancel()
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        await stream.aclose()  # type: ignore[attr-defined]
    return response


async def _close_streams(app: web.Application) -> None:
    """on_shutdown: end open streams now rather than after the runner's shutdown timeout."""
    streams: dict[asyncio.Task[Any], Stream] = app[STREAMS]
    for task in list(streams):
        task.cancel()


def add_routes(app: web.Application) -> None:
    streams: dict[asyncio.Task[Any], Stream] = {}
    app[STREAMS] = streams

    def end_streams_of(records: list[TokenRecord]) -> None:
        gone = set(map(id, records))
        for stream in streams.values():
            if id(stream.token) in gone:
                stream.ended.set()

    app[CONTEXT].tokens.on_removed(end_streams_of)
    app.on_shutdown.append(_close_streams)
    app.router.add_get("/api/v1/events", events)
