"""The matches inbox's data routes: the new papers your rules matched, and Save, Dismiss and "mark seen" on them.

The inbox is a page beside the reading list (`/library/inbox`, web/inbox.html) and is reached the same way: a
notification click, the tray's "New today" menu and the extension's popup open it through a one-time login
(`view=inbox`, library_routes.py); its routes take the same session header and, for a change, the page's own
Origin and a JSON body (`page_route`). It lists papers that are still new (not seen, saved or read; dismissed
ones left out) from the newest two weeks papertray holds, and that match at least one rule. With no rules yet,
the page invites the user to add interests (`POST /library/api/interests`, written by config_edit.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from papertray.api import bodies
from papertray.api.bodies import Field
from papertray.api.context import ctx
from papertray.api.library_routes import error, ok, page_route
from papertray.config import Config
from papertray.config_edit import add_interests, split_terms
from papertray.errors import ConfigError
from papertray.library import folder_key, id_from_key
from papertray.models import State, canonical_id
from papertray.rules import match
from papertray.store import PaperView, Store

DAYS = 14
MAX_LISTED = 300
CHUNK = 100  # papers read and matched between two turns of the event loop
CHANGE = {"saved": Field("bool"), "dismissed": Field("bool")}
SEEN = {"ids": Field("str_list", required=True, max_length=MAX_LISTED, item_max_length=64)}
INTERESTS = {kind: Field("str", max_length=2000) for kind in ("keywords", "authors", "orgs")}


async def matches(store: Store, config: Config) -> list[dict[str, Any]]:
    """The inbox: new papers of the newest DAYS days that match a rule, newest day first, most upvoted first.
    Two weeks of arXiv lists are thousands of papers to read and match: the loop is let go every CHUNK of them,
    so other requests are answered meanwhile."""
    rules = config.rules
    newest = store.newest_day()
    if not rules or newest is None:
        return []
    since = (date.fromisoformat(newest) - timedelta(days=DAYS - 1)).isoformat()
    items = []
    for position, view in enumerate(store.query(state=State.NEW, since=since, include_dismissed=False), 1):
        paper = view.paper
        fired = match(paper, rules) if paper is not None else []
        if fired:
            items.append(_item(view, [{"rule": m.rule, "reason": m.reason} for m in fired]))
            if len(items) >= MAX_LISTED:
                break
        if position % CHUNK == 0:
            await asyncio.sleep(0)
    return items


def _item(view: PaperView, rules: list[dict[str, str]]) -> dict[str, Any]:
    paper = view.paper
    return {
        "id": view.id,
        "key": folder_key(view.id),
        "title": view.title or view.id,
        "authors": list(paper.authors) if paper else [],
        "daily_date": view.daily_date,
        "upvotes": view.upvotes,
        "rules": rules,
        "saved": view.state.saved,
        "dismissed": view.state.dismissed,
        "seen": view.state.seen_at is not None,
    }


def add_inbox_routes(app: web.Application, store: Store, config: Callable[[], Config]) -> None:
    @page_route(change=False)
    async def inbox(request: web.Request) -> web.Response:
        items = await matches(store, config())
        return ok({"papers": items, "rules": [r.name for r in config().rules], "day": store.newest_day()})

    @page_route(change=True)
    async def change(request: web.Request) -> web.Response:
        paper_id = id_from_key(request.match_info.get("key", ""))
        if paper_id is None:
            return error(400, "The path does not hold an arXiv paper id.")
        fields = await bodies.read_json(request, CHANGE)
        if not fields:
            return error(400, "Send saved or dismissed.")
        await store.update_state(paper_id, **fields)
        view = store.view(paper_id)
        return ok(_item(view, []))

    @page_route(change=True)
    async def seen(request: web.Request) -> web.Response:
        body = await bodies.read_json(request, SEEN)
        ids = [pid for pid in (canonical_id(ref) for ref in body["ids"]) if pid]
        if len(ids) != len(body["ids"]):
            return error(400, "Every id must be an arXiv paper id.")
        if ids:
            await store.update_states({paper_id: {"seen": True} for paper_id in ids})
        return ok({"seen": len(ids)})

    @page_route(change=True)
    async def interests(request: web.Request) -> web.Response:
        # The first-run invitation: a few words, authors, organisations, each comma-separated, become a rule.
        body = await bodies.read_json(request, INTERESTS)
        terms = {kind: split_terms(body.get(kind, "")) for kind in INTERESTS}
        try:
            written = await asyncio.to_thread(add_interests, ctx(request).paths, **terms)
        except ConfigError as exc:
            return error(400, str(exc))
        return ok({"rules": [rule.to_dict() for rule in written.rules]}, status=201)

    key = "{key:[A-Za-z0-9._-]{1,64}}"
    app.router.add_post("/library/api/interests", interests)
    app.router.add_get("/library/api/inbox", inbox)
    app.router.add_post("/library/api/inbox/seen", seen)
    app.router.add_patch(f"/library/api/inbox/{key}", change)
