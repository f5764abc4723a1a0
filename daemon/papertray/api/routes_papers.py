"""Paper routes: lookup, list with cursor paging, one paper, save/unsave, seen, and PATCH of user state.

Reads use only `store.view()` / `store.query()` (answered from memory); writes go through
`store.update_states()`, which is durable before it returns and announces `paper.state` on the bus.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from papertray import user_fields
from papertray.api import bodies
from papertray.api.badges import Badges
from papertray.api.context import ctx
from papertray.api.ids import ROUTE_ID, cached_canonical_id, path_id
from papertray.api.keys import BADGES, CONTEXT, RANKER, VERSIONS
from papertray.api.responses import JSON, json_response
from papertray.api.routes_rank import why_of
from papertray.errors import HttpError
from papertray.models import DATE, LISTED_STATES, SOURCE_NAME, State
from papertray.ranking.service import Ranker
from papertray.ranking.standing import NONE
from papertray.store import PaperView

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
LIST_PARAMS = {"state", "since", "limit", "cursor", "dismissed", "tag", "source"}
STATES = {"all", *LISTED_STATES}


async def lookup(request: web.Request) -> web.Response:
    ids = bodies.lookup_ids(await bodies.read_raw(request))
    return web.Response(body=request.app[BADGES].answer(ids), content_type=JSON)


# ---------------------------------------------------------------------- listing


def encode_cursor(view: PaperView) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(view.sort_key))).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[str, int, str]:
    try:
        if len(text) > 400:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        day, upvotes, paper_id = orjson.loads(raw)
        if not (isinstance(day, str) and isinstance(upvotes, int) and isinstance(paper_id, str)):
            raise ValueError("wrong types")
        if isinstance(upvotes, bool):
            raise ValueError("wrong types")
        return day, upvotes, paper_id
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise HttpError(400, "The cursor is not one this API handed out; start again without it.") from None


def _list_params(request: web.Request) -> dict[str, Any]:
    query = request.query
    unknown = sorted(set(query) - LIST_PARAMS)
    if unknown:
        raise HttpError(
            400, f"Unknown query parameter {unknown[0][:40]!r} (allowed: {', '.join(sorted(LIST_PARAMS))})."
        )
    for name in query:
        if len(query.getall(name)) > 1:
            raise HttpError(400, f"The query parameter {name!r} is given more than once.")
    state = query.get("state", "all")
    if state not in STATES:
        raise HttpError(400, f"'state' must be one of {', '.join(sorted(STATES))}.")
    since = query.get("since")
    if since is not None and not DATE.match(since):
        raise HttpError(400, "'since' must be a date like 2026-03-01.")
    raw_limit = query.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isascii() or not raw_limit.isdigit() or not 1 <= int(raw_limit[:4]) <= MAX_LIMIT:
        raise HttpError(400, f"'limit' must be a whole number from 1 to {MAX_LIMIT}.")
    dismissed = query.get("dismissed", "include")
    if dismissed not in ("include", "exclude", "only"):
        raise HttpError(400, "'dismissed' must be include, exclude or only.")
    tag = query.get("tag")
    if tag is not None and not bodies.TAG.match(tag):
        raise HttpError(400, "'tag' must be 1 to 64 printable characters.")
    source = query.get("source")
    if source is not None and not SOURCE_NAME.match(source):
        raise HttpError(400, "'source' must be a source like hf, arxiv or arxiv:cs.LG.")
    return {
        "state": None if state == "all" else State(state),
        "since": since,
        "limit": int(raw_limit),
        "cursor": decode_cursor(query["cursor"]) if "cursor" in query else None,
        "dismissed": dismissed,
        "tag": tag,
        "source": source,
    }


async def list_papers(request: web.Request) -> web.Response:
    params = _list_params(request)
    tag, dismissed = params["tag"], params["dismissed"]

    def keep(view: PaperView) -> bool:
        if dismissed == "only" and view.state.dismissed_at is None:
            return False
        return tag is None or tag in view.state.tags

    store = ctx(request).store
    filters: dict[str, Any] = {
        "state": params["state"],
        "since": params["since"],
        "include_dismissed": dismissed != "exclude",
        "source": params["source"],
        "predicate": keep if (tag is not None or dismissed == "only") else None,
    }
    limit = params["limit"]
    # The store builds views only for the page itself (and what the predicate must see).
    page, total = store.page(**filters, after=params["cursor"], limit=limit + 1)
    more = len(page) > limit
    page = page[:limit]
    standing = _standing(request)
    return json_response(
        {
            "papers": [{**view.to_dict(), **standing(view)} for view in page],
            "next_cursor": encode_cursor(page[-1]) if page and more else None,
            "total": total,
        }
    )


def _standing(request: web.Request) -> Callable[[PaperView], dict[str, Any]]:
    """`rank`, `why` and `for_you` of a listed paper (ranking/standing.py; null and false without a ranker)."""
    ranker = request.app.get(RANKER)
    if ranker is None:
        return lambda view: NONE.to_dict()
    return lambda view: ranker.standings.of(view.id, dismissed=view.state.dismissed).to_dict()


# ---------------------------------------------------------------------- one paper


async def get_paper(request: web.Request) -> web.Response:
    paper_id = path_id(request.match_info["id"])
    view = ctx(request).store.view(paper_id)
    if view.status is State.UNKNOWN:
        raise HttpError(404, f"Paper {paper_id} is not in the library.")
    ranker = request.app.get(RANKER)
    found = why_of(ranker, paper_id) if ranker is not None else None
    standing = _standing(request)(view)
    return json_response(
        {
            **view.to_dict(),
            **standing,
            "score": None,
            **({"score": found["score"], "why": found["why"]} if found else {}),
        }
    )


async def _change(request: web.Request, fields: dict[str, Any]) -> web.Response:
    paper_id = path_id(request.match_info["id"])
    store = ctx(request).store
    await store.update_states({paper_id: fields})
    return json_response(store.view(paper_id).to_dict())


async def save(request: web.Request) -> web.Response:
    await bodies.read_json(request, bodies.EMPTY, optional=True)
    return await _change(request, {"saved": True})


async def unsave(request: web.Request) -> web.Response:
    if request.body_exists:
        await bodies.read_json(request, bodies.EMPTY, optional=True)
    return await _change(request, {"saved": False})


async def patch_paper(request: web.Request) -> web.Response:
    body = await bodies.read_json(request, bodies.PATCH_PAPER)
    if not body:
        raise HttpError(400, "Nothing to change: send read, dismissed, tags or note.")
    if "tags" in body:
        body["tags"] = user_fields.normalize_tags(body["tags"])  # as the page and import do
    return await _change(request, body)


async def seen(request: web.Request) -> web.Response:
    body = await bodies.read_json(request, bodies.IDS)
    store = ctx(request).store
    ids: dict[str, None] = {}
    invalid: list[str] = []
    for ref in body["ids"]:
        paper_id = cached_canonical_id(ref)
        if paper_id is None:
            invalid.append(ref)
        else:
            ids[paper_id] = None
    if ids:
        await store.update_states({paper_id: {"seen": True} for paper_id in ids})
    return json_response({"papers": {pid: store.view(pid).brief() for pid in ids}, "invalid": invalid})


def add_routes(app: web.Application, ranker: Ranker | None = None) -> None:
    app[BADGES] = Badges(app[CONTEXT].store, app[VERSIONS], ranker.standings if ranker is not None else None)
    app.router.add_post("/api/v1/lookup", lookup)
    app.router.add_post("/api/v1/seen", seen)
    app.router.add_get("/api/v1/papers", list_papers)
    # `…/save` first: the router takes the first resource whose pattern matches.
    app.router.add_post(f"/api/v1/papers/{ROUTE_ID}/save", save)
    app.router.add_delete(f"/api/v1/papers/{ROUTE_ID}/save", unsave)
    app.router.add_get(f"/api/v1/papers/{ROUTE_ID}", get_paper)
    app.router.add_patch(f"/api/v1/papers/{ROUTE_ID}", patch_paper)
