"""Pairing and token routes.

POST   /api/v1/pair/code      CLI token only: a fresh one-time code for `papertray pair`
POST   /api/v1/pair           from an extension origin, no token: code → token pinned to that origin
GET    /api/v1/tokens         CLI token only: names, kinds, origins (never a token or hash)
POST   /api/v1/tokens         CLI token only: {"name": N} → a script token, shown once
DELETE /api/v1/tokens/{name}  CLI token only: revoke
DELETE /api/v1/tokens         CLI token only: revoke every extension and script token and end every
                              reading-list session (`papertray token revoke --all`)
DELETE /api/v1/library/sessions  CLI token only: end every reading-list session
"""

from __future__ import annotations

import logging

from aiohttp import hdrs, web

from papertray.api import bodies
from papertray.api.context import ctx
from papertray.api.guard import require_token
from papertray.api.library_routes import end_sessions
from papertray.api.pairing import CODE_TTL_SECONDS
from papertray.api.responses import json_response
from papertray.errors import HttpError, TokenError

log = logging.getLogger(__name__)


def _cli_only(request: web.Request) -> None:
    if require_token(request).kind != "cli":
        raise HttpError(403, "Only the papertray command line on this machine may manage pairing and tokens.")


async def pair_code(request: web.Request) -> web.Response:
    _cli_only(request)
    await bodies.read_json(request, bodies.EMPTY, optional=True)
    pairing = ctx(request).pairing
    code, expires_at = pairing.new_code()
    body = {"code": code, "expires_at": expires_at, "ttl_seconds": int(CODE_TTL_SECONDS), "live": pairing.active}
    return json_response(body, status=201)


async def pair(request: web.Request) -> web.Response:
    # No rate limit here (security item 12): a limit that refused the right code would let anyone on the
    # machine block pairing. The code's 59 bits make guessing hopeless without one (pairing.py).
    body = await bodies.read_json(request, bodies.PAIR)
    context = ctx(request)
    if not context.pairing.redeem(body["code"]):
        log.warning("pairing refused: wrong, used or expired code")
        raise HttpError(401, "That pairing code is wrong, used or expired; run `papertray pair` for a new one.")
    origin = request.headers[hdrs.ORIGIN]
    token = context.tokens.pair(origin)
    log.info("extension paired origin=%s", origin)
    return json_response({"token": token, "origin": origin}, status=201)


async def list_tokens(request: web.Request) -> web.Response:
    _cli_only(request)
    return json_response({"tokens": [record.public() for record in ctx(request).tokens.records()]})


async def create_token(request: web.Request) -> web.Response:
    _cli_only(request)
    body = await bodies.read_json(request, bodies.TOKEN_CREATE)
    try:
        token = ctx(request).tokens.create(body["name"])
    except TokenError as exc:
        raise HttpError(409 if "exists" in str(exc) else 400, str(exc)) from None
    record = ctx(request).tokens.get(body["name"])
    assert record is not None
    return json_response({**record.public(), "token": token}, status=201)


async def revoke_token(request: web.Request) -> web.Response:
    _cli_only(request)
    name = request.match_info["name"]
    if not bodies.TOKEN_NAME.match(name) or not ctx(request).tokens.revoke(name):
        raise HttpError(404, "No token has that name (see `papertray token list`).")
    return json_response({"ok": True, "revoked": name})


async def revoke_all(request: web.Request) -> web.Response:
    _cli_only(request)
    revoked = ctx(request).tokens.revoke_all()
    return json_response({"ok": True, "revoked": revoked, "sessions_ended": end_sessions(request.app)})


async def end_library_sessions(request: web.Request) -> web.Response:
    _cli_only(request)
    return json_response({"ok": True, "sessions_ended": end_sessions(request.app)})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/pair/code", pair_code)
    app.router.add_post("/api/v1/pair", pair)
    app.router.add_get("/api/v1/tokens", list_tokens)
    app.router.add_post("/api/v1/tokens", create_token)
    app.router.add_delete("/api/v1/tokens/{name}", revoke_token)
    app.router.add_delete("/api/v1/tokens", revoke_all)
    app.router.add_delete("/api/v1/library/sessions", end_library_sessions)
