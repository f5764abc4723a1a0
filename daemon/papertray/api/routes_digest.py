"""`POST /api/v1/digest/preview` and `POST /api/v1/digest/send` for `papertray digest preview | send --now`.
Behind the guard's bearer-token check like the rest of /api/v1 (the daemon owns the store, so the CLI asks it).
create_api registers them with the daemon's DigestService in `app[DIGESTS]`. A failed send is 502 (the SMTP
server's words), a digest not configured yet 409."""

from __future__ import annotations

import asyncio

from aiohttp import web

from papertray.api import bodies
from papertray.api.keys import DIGESTS
from papertray.api.responses import json_response
from papertray.errors import HttpError

SEND = {"empty": bodies.Field("bool")}


async def preview(request: web.Request) -> web.Response:
    await bodies.read_json(request, bodies.EMPTY, optional=True)
    return json_response({"file": str(await asyncio.to_thread(request.app[DIGESTS].preview))})


async def send(request: web.Request) -> web.Response:
    body = await bodies.read_json(request, SEND, optional=True)
    outcome = await request.app[DIGESTS].send_now(force_empty=bool(body.get("empty")))
    if outcome.status == "unconfigured":
        raise HttpError(409, outcome.message)
    if outcome.status == "failed":
        raise HttpError(502, outcome.message)  # the server's words, in one sentence
    return json_response({"status": outcome.status, "message": outcome.message, "papers": outcome.papers})


def add_digest_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/digest/preview", preview)
    app.router.add_post("/api/v1/digest/send", send)
