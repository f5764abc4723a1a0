"""GET /api/v1/search: full-text search over every paper (papertray.search). Parameters are checked here and
refused in one sentence; the query text itself never reaches the engine as syntax (search/query.py)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from papertray.api.context import ctx
from papertray.api.keys import SEARCH, SESSIONS
from papertray.api.library_routes import page_route
from papertray.api.responses import json_response
from papertray.errors import HttpError
from papertray.models import DATE, LISTED_STATES
from papertray.search import Filters, Page, QueryError, SearchService, SearchUnavailable
from papertray.search.snippets import HIT_END, HIT_START

PARAMS = {"q", "state", "source", "since", "until", "saved", "limit", "offset"}
STATES = set(LISTED_STATES)
SOURCE = re.compile(r"^[a-z0-9_-]{1,32}\Z")
MAX_LIMIT = 100
MAX_OFFSET = 10_000


def segments(snippet: str) -> list[dict[str, Any]]:
    """A snippet as [{"text", "hit"}] pieces, so no client ever parses markup out of paper text."""
    pieces: list[dict[str, Any]] = []
    for number, part in enumerate(re.split(f"[{HIT_START}{HIT_END}]", snippet)):
        if part:
            pieces.append({"text": part, "hit": number % 2 == 1})
    return pieces


def filters_from(query: Any) -> tuple[str, Filters, int, int]:
    unknown = sorted(set(query) - PARAMS)
    if unknown:
        raise HttpError(400, f"Unknown search parameter {unknown[0]!r}.")
    text = query.get("q", "")
    states = tuple(s for s in query.get("state", "").split(",") if s and s != "all")
    bad = [s for s in states if s not in STATES]
    if bad:
        raise HttpError(400, f"state must be one of {', '.join(sorted(STATES))} or all.")
    for name in ("since", "until"):
        if name in query and not DATE.match(query[name]):
            raise HttpError(400, f"{name} must be a date like 2026-01-31.")
    source = query.get("source") or None
    if source is not None and not SOURCE.match(source):
        raise HttpError(400, "source must be a source name such as hf.")
    saved = query.get("saved", "false")
    if saved not in ("true", "false"):
        raise HttpError(400, "saved must be true or false.")
    limit, offset = _number(query, "limit", 20, 1, MAX_LIMIT), _number(query, "offset", 0, 0, MAX_OFFSET)
    found = Filters(states, source, query.get("since"), query.get("until"), saved == "true")
    return text, found, limit, offset


def _number(query: Any, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise HttpError(400, f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


def page_json(request: web.Request, service: SearchService, text: str, page: Page) -> dict[str, Any]:
    store = ctx(request).store
    results = []
    for hit in page.hits:
        view = store.view(hit.id)
        results.append(
            {
                "id": hit.id,
                "title": view.title,
                "state": view.status.value,
                "daily_date": view.daily_date,
                "saved": view.state.saved,
                "tags": list(view.state.tags),
                "score": -hit.score,  # higher is better for readers; the seam for "why it ranks here"
                "snippet": segments(hit.snippet),
            }
        )
    return {
        "query": text,
        "results": results,
        "total": page.total,
        "more": page.more,
        "index": service.status(),
    }


async def search(request: web.Request) -> web.Response:
    service = request.app[SEARCH]
    text, found, limit, offset = filters_from(request.query)
    if service is None:
        raise HttpError(503, "Search is not running in this papertray.")
    try:
        page = await service.search(text, found, limit=limit, offset=offset)
    except QueryError as exc:
        raise HttpError(400, str(exc)) from None
    except SearchUnavailable as exc:
        raise HttpError(503, str(exc)) from None
    return json_response(page_json(request, service, text, page))


def search_status(app: web.Application) -> dict[str, Any] | None:
    """The index's state for GET /status (None when this papertray runs no search)."""
    service = app.get(SEARCH)
    return service.status() if service is not None else None


def add_search_routes(app: web.Application, service: SearchService | None) -> None:
    app[SEARCH] = service
    app.router.add_get("/api/v1/search", search)
    if SESSIONS in app:  # the reading-list page searches too, with its session (not a token)
        app.router.add_get("/library/api/search", page_route(change=False)(search))
