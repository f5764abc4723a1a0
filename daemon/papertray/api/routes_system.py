"""System routes: health (no token), status, poll, and the OpenAPI document."""

from __future__ import annotations

import os
from importlib import resources
from typing import Any

import orjson
from aiohttp import web

from papertray import API_VERSION, __version__
from papertray.api import bodies
from papertray.api.context import ctx
from papertray.api.keys import SPEC, VERSIONS
from papertray.api.responses import json_response
from papertray.api.routes_search import search_status
from papertray.errors import HttpError

SPEC_FILE = "openapi.json"


def load_spec() -> dict[str, Any]:
    """The OpenAPI document shipped beside this module, with the running version filled in."""
    spec: dict[str, Any] = orjson.loads(resources.files("papertray.api").joinpath(SPEC_FILE).read_bytes())
    spec["info"]["version"] = __version__
    return spec


async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "version": __version__, "api_version": API_VERSION})


async def status(request: web.Request) -> web.Response:
    context = ctx(request)
    sources = [s.to_dict() for s in context.poller.source_states()] if context.poller is not None else []
    errors = [
        {"source": s["name"], "error": s["last_error"], "at": s["last_error_at"], "count": s["error_count"]}
        for s in sources
        if s.get("error_count")
    ]
    problems = [*context.problems(), *context.tokens.problems]
    return json_response(
        {
            "version": __version__,
            "api_version": API_VERSION,
            "pid": os.getpid(),
            "sources": sources,
            "errors": errors,
            "counts": context.store.counts(),
            "new": context.store.new_counts().to_dict(),
            "rules": [rule.to_dict() for rule in context.config().rules],
            "problems": list(dict.fromkeys(problems)),
            "paired_extensions": len(context.tokens.paired_origins()),
            "last_event_id": context.bus.last_id,
            "mcp": {"allow_writes": context.config().mcp_allow_writes},
            "search": search_status(request.app),
            "versions": versions.status() if (versions := request.app[VERSIONS]) is not None else None,
        }
    )


async def poll(request: web.Request) -> web.Response:
    body = await bodies.read_json(request, bodies.POLL, optional=True)
    poller = ctx(request).poller
    if poller is None:
        raise HttpError(503, "Polling is not running in this papertray.")
    days = body.get("days")
    try:
        report = await poller.poll_now(list(days) if days else None)
    except ValueError as exc:  # the poller's one sentence about a malformed or future day
        raise HttpError(400, str(exc)) from None
    answer = report.to_dict()
    notice = ctx(request).poll_notice
    if notice is not None and not answer.get("error"):
        answer["notice"] = notice(answer.get("new", []))
    return json_response(answer)


async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[SPEC])


def add_routes(app: web.Application) -> None:
    app[SPEC] = load_spec()
    app.router.add_get("/api/v1/health", health)
    app.router.add_get("/api/v1/status", status)
    app.router.add_post("/api/v1/poll", poll)
    app.router.add_get("/api/v1/openapi.json", openapi)
