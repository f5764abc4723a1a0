"""How the API is served: time limits and a connection cap, so that idle or slow connections cannot make the
daemon unreachable (security item 14: about 1,050 idle sockets used up the file descriptors).

- A request's head must arrive within `HEAD_TIMEOUT` of the connection opening or of the previous response, and
  an idle keep-alive connection closes after the same time (aiohttp's keep-alive timer starts when the
  connection opens and closes it while no complete request has arrived, so a slowloris head is cut off too).
- A request's body must arrive within `BODY_TIMEOUT` of its head (`body_deadline`, set by the guard): a
  handler still reading it then fails with BodyTooSlow, answered 408, and the connection closes.
- At most `MAX_CONNECTIONS` connections are open. One more evicts the oldest idle connection; failing that the
  oldest one busy with a request that carries no valid token or session; failing that the newcomer is closed.
  A request the guard authenticated (the extension's event stream, the CLI, the reading-list page) is never
  evicted, so a flood from a program without a token cannot keep the extension out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web

from papertray.api.keys import CONNECTIONS
from papertray.errors import BodyTooSlow

log = logging.getLogger(__name__)

HEAD_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
MAX_CONNECTIONS = 256
EVICTION_LOG_EVERY = 60.0  # seconds: a flood is reported once a minute, not once a connection


class Connections:
    """The cap and the record of which connections are busy with a request, and whether it was authenticated."""

    def __init__(self, cap: int = MAX_CONNECTIONS) -> None:
        self.cap = cap
        # handler -> trusted, for connections busy with a request; the guard removes each entry when the
        # request ends (aiohttp's handlers take no weak references).
        self._busy: dict[Any, bool] = {}
        self._evicted = 0
        self._last_report = 0.0

    def install(self, server: web.Server) -> None:
        original = server.connection_made

        def connection_made(handler: Any, transport: asyncio.Transport) -> None:
            original(handler, transport)
            self._admit(server, handler)

        server.connection_made = connection_made  # type: ignore[method-assign]

    def _admit(self, server: web.Server, newcomer: Any) -> None:
        open_now = server.connections
        if len(open_now) <= self.cap:
            return
        others = [h for h in open_now if h is not newcomer]  # oldest first: the server keeps them in order
        idle = [h for h in others if h not in self._busy]
        untrusted = [h for h in others if self._busy.get(h) is False]
        victim = (idle or untrusted or [newcomer])[0]
        victim.force_close()
        if victim.transport is not None:
            victim.transport.close()
        self._evicted += 1
        now = time.monotonic()
        if now - self._last_report >= EVICTION_LOG_EVERY:
            log.warning("connection cap reached cap=%d closed_since_last_report=%d", self.cap, self._evicted)
            self._last_report, self._evicted = now, 0

    def busy(self, request: web.Request) -> None:
        self._busy[request.protocol] = False

    def trusted(self, request: web.Request) -> None:
        """The request carries a valid token or session: its connection is not evicted while it runs."""
        self._busy[request.protocol] = True

    def done(self, request: web.Request) -> None:
        self._busy.pop(request.protocol, None)


def trust(request: web.Request) -> None:
    connections = request.app.get(CONNECTIONS)
    if connections is not None:
        connections.trusted(request)


def body_deadline(request: web.Request) -> asyncio.TimerHandle | None:
    """Fail the body's reader with BodyTooSlow if the body is still incomplete after BODY_TIMEOUT; cancel the
    handle when the request ends. Nothing is read here: handlers read the body as they always do."""
    content = request.content
    if not request.body_exists or content.is_eof():
        return None

    def cut_off() -> None:
        if not content.is_eof():
            content.set_exception(BodyTooSlow())

    return asyncio.get_running_loop().call_later(BODY_TIMEOUT, cut_off)


async def start_runner(app: web.Application, *, shutdown_timeout: float = 2.0) -> web.AppRunner:
    """An AppRunner with the limits above, set up (the app's startup has run); add a TCPSite to serve."""
    connections = app[CONNECTIONS] = Connections()
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=shutdown_timeout, keepalive_timeout=HEAD_TIMEOUT
    )
    try:
        await runner.setup()
    except BaseException:  # a startup step failed: what the app's cleanup contexts opened is closed again
        await runner.cleanup()
        raise
    assert runner.server is not None
    connections.install(runner.server)
    return runner
