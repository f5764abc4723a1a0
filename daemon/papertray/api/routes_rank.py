"""The "for you" ranking's routes (issue 14).

GET  /api/v1/rank               the "For you" list: a day's papers (newest day, or `since`), best first, each with
                                its `rank`, `score` and `why` ("for you: sparse autoencoders, circuits")
GET  /api/v1/rank/status        learning / ready / off, how many signals, when trained, the model file
POST /api/v1/rank/reset         CLI token only: forget the model (the saves and dismissals stay) and learn anew
GET  /api/v1/rank/export        CLI token only: the model as stored (JSON: every feature's idf and weight)
GET  /api/v1/papers/{id}/why    one paper's score, its standing in its day (rank 0..1, for_you) and the features
                                that moved it most, with sign
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from papertray.api.context import ctx
from papertray.api.guard import require_token
from papertray.api.ids import ROUTE_ID, path_id
from papertray.api.keys import RANKER
from papertray.api.responses import json_response
from papertray.errors import HttpError
from papertray.models import State
from papertray.ranking.service import Ranker

DEFAULT_LIMIT, MAX_LIMIT = 20, 200


def _ranker(request: web.Request) -> Ranker:
    ranker = request.app[RANKER]
    if ranker is None:
        raise HttpError(503, "The ranking is not running in this daemon.")
    return ranker


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", str(DEFAULT_LIMIT))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise HttpError(400, f"'limit' must be a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


def _is_date(text: str) -> bool:
    try:
        return len(text) == 10 and date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def why_of(ranker: Ranker, paper_id: str) -> dict[str, Any] | None:
    """`score`, `why` (the short form) and `reasons` of one paper, or None while there is no model."""
    scored = ranker.score(paper_id)
    if scored is None:
        return None
    return {"score": round(scored.score, 4), "why": scored.short(), "reasons": [r.to_dict() for r in scored.reasons]}


async def for_you(request: web.Request) -> web.Response:
    ranker, store = _ranker(request), ctx(request).store
    limit = _limit(request)
    since = request.query.get("since")
    if since is not None and not _is_date(since):
        raise HttpError(400, "'since' must be a date, YYYY-MM-DD.")
    if since is None:
        newest = store.query(include_dismissed=False, limit=1)
        since = (newest[0].paper.daily_date if newest and newest[0].paper else None) or ""
    views = [
        v for v in store.query(since=since or None, include_dismissed=False) if v.status in (State.NEW, State.SEEN)
    ]
    status = ranker.status()
    if ranker.model is None:
        return json_response({"status": status, "since": since, "papers": []})
    ranked = ranker.rank_ids(v.id for v in views)[:limit]
    papers = []
    for place, (paper_id, _) in enumerate(ranked, 1):
        view = store.view(paper_id)
        papers.append({**view.to_dict(full=False), "rank": place, **(why_of(ranker, paper_id) or {})})
    return json_response({"status": status, "since": since, "papers": papers})


async def rank_status(request: web.Request) -> web.Response:
    return json_response(_ranker(request).status())


def _cli_only(request: web.Request) -> None:
    if require_token(request).kind != "cli":
        raise HttpError(403, "Only the papertray command line on this machine may reset or export the ranking.")


async def rank_reset(request: web.Request) -> web.Response:
    _cli_only(request)
    ranker = _ranker(request)
    ranker.reset()
    return json_response(ranker.status())


async def rank_export(request: web.Request) -> web.Response:
    _cli_only(request)
    ranker = _ranker(request)
    try:
        body = ranker.path.read_bytes()
    except FileNotFoundError:
        raise HttpError(404, "There is no ranking model yet: it is trained once you save or dismiss papers.") from None
    return web.Response(body=body, content_type="application/json")


async def paper_why(request: web.Request) -> web.Response:
    paper_id = path_id(request.match_info["id"])
    ranker, store = _ranker(request), ctx(request).store
    if store.get_paper(paper_id) is None:
        raise HttpError(404, f"Paper {paper_id} is not in the library.")
    found = why_of(ranker, paper_id)
    standing = ranker.standings.of(paper_id, dismissed=store.get_state(paper_id).dismissed)
    return json_response(
        {
            "id": paper_id,
            "status": ranker.status()["state"],
            "rank": standing.rank,
            "for_you": standing.for_you,
            **(found or {"score": None}),
        }
    )


def add_routes(app: web.Application, ranker: Ranker | None) -> None:
    app[RANKER] = ranker
    app.router.add_get("/api/v1/rank", for_you)
    app.router.add_get("/api/v1/rank/status", rank_status)
    app.router.add_post("/api/v1/rank/reset", rank_reset)
    app.router.add_get("/api/v1/rank/export", rank_export)
    app.router.add_get(f"/api/v1/papers/{ROUTE_ID}/why", paper_why)
