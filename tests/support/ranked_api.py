"""A real aiohttp server that speaks the daemon's extension API (health, status, lookup, seen, papers, save) and
answers look-ups with issue 14's ranking fields, `rank` (0..1 within the day, or null), `why` (short text) and
`for_you` (in the day's top), for the page side of the ranking while the daemon of this branch does not send them.

It checks what the daemon checks that matters to the extension (the identity headers it sends, a bearer token)
and nothing else; ranks come from the test (`ranks`: id -> (rank, why, for_you)).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.support.loop_thread import LoopThread

IDENTITY = {"X-Papertray-Version": "0.9.0-ranked-fixture", "X-Papertray-API-Version": "1"}


class RankedApi(LoopThread):
    thread_name = "ranked-api"

    def __init__(self, token: str, ranks: dict[str, tuple[float | None, str, bool]]) -> None:
        super().__init__()
        self.token = token
        self.ranks = ranks
        self.saved: set[str] = set()
        self.seen: set[str] = set()
        self.port = 0
        self._runner: web.AppRunner | None = None

    def _answer(self, body: Any, status: int = 200) -> web.Response:
        return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=IDENTITY)

    def _paper(self, pid: str) -> dict[str, Any]:
        rank, why, for_you = self.ranks.get(pid, (None, "", False))
        state = "saved" if pid in self.saved else "seen" if pid in self.seen else "new"
        return {"state": state, "saved": pid in self.saved, "read": False, "dismissed": False, "title": None,
                "rank": rank, "why": why, "for_you": for_you}  # fmt: skip

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path != "/api/v1/health" and request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._answer({"error": "Not paired."}, 401)
        response: web.StreamResponse = await handler(request)
        return response

    async def _health(self, _request: web.Request) -> web.Response:
        return self._answer({"status": "ok", "version": IDENTITY["X-Papertray-Version"], "api_version": "1"})

    async def _status(self, _request: web.Request) -> web.Response:
        return self._answer({"papers": len(self.ranks), "paired_extensions": 1})

    async def _lookup(self, request: web.Request) -> web.Response:
        ids = (await request.json())["ids"]
        return self._answer({"papers": {pid: self._paper(pid) for pid in ids}, "refs": {}, "invalid": []})

    async def _seen(self, request: web.Request) -> web.Response:
        ids = (await request.json())["ids"]
        self.seen.update(ids)
        return self._answer({"papers": {pid: self._paper(pid) for pid in ids}, "invalid": []})

    async def _papers(self, _request: web.Request) -> web.Response:
        return self._answer({"papers": [], "next_cursor": None, "total": 0})

    async def _save(self, request: web.Request) -> web.Response:
        pid = request.match_info["id"]
        if request.method == "POST":
            self.saved.add(pid)
        else:
            self.saved.discard(pid)
        return self._answer({"id": pid, **self._paper(pid)})

    async def _start(self) -> None:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/api/v1/health", self._health)
        app.router.add_get("/api/v1/status", self._status)
        app.router.add_post("/api/v1/lookup", self._lookup)
        app.router.add_post("/api/v1/seen", self._seen)
        app.router.add_get("/api/v1/papers", self._papers)
        app.router.add_route("*", "/api/v1/papers/{id}/save", self._save)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
