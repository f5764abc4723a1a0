"""A real Daily Papers server for tests: aiohttp on 127.0.0.1 (port 0), answering
`GET /api/daily_papers?date=YYYY-MM-DD&limit=N&p=P` like huggingface.co (JSON array, 0-based pages, limit 1-100,
400 with `{"error": …}` for a bad date or limit, `[]` for a day with no papers), the weekly, monthly and trending
lists (`week=`, `month=`, `sort=trending`, from `lists`), and `GET /api/papers/{id}` (the flat paper object) for
the papers put in `details` (`serve_details` fills it from the days' entries).

Days come from the fixtures (`load_fixture_day`) or are generated (`make_day`, `make_entry`). Faults can be
injected for the next request(s) (`fail_next`, optionally only for one day; a redirect is one too) or for
every request of a day until healed (`fail_day`): see `Fault`. Every request is recorded (`requests`) with
server-side monotonic start/end times, and `max_in_flight` says how many were ever served at once, for
politeness checks.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hf"
SYNTHETIC_DAY = "2025-07-31"


def load_fixture_day() -> list[dict[str, Any]]:
    """The 53-entry synthetic day 2025-07-31."""
    entries: list[dict[str, Any]] = json.loads(
        (FIXTURES / f"daily_papers_{SYNTHETIC_DAY}.synthetic.json").read_text(encoding="utf-8")
    )
    return entries


def load_real_day(day: str) -> list[dict[str, Any]]:
    """A real recorded Daily Papers answer (`hf_api_daily_papers_<day>.json`, see PROVENANCE.md)."""
    entries: list[dict[str, Any]] = json.loads(
        (FIXTURES / f"hf_api_daily_papers_{day}.json").read_text(encoding="utf-8")
    )
    return entries


def load_entry(name: str) -> dict[str, Any]:
    """A real recorded entry: `entry_2024-10-25_raw` or `entry_2026-03`."""
    entry: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return entry


def day_ids(day: str, count: int) -> list[str]:
    """`count` distinct, valid new-style arXiv ids belonging to `day` (unique across days)."""
    when = date.fromisoformat(day)
    yymm = when.strftime("%y%m")
    return [f"{yymm}.{when.day * 1000 + i:05d}" for i in range(1, count + 1)]


def make_entry(paper_id: str, day: str, **paper_fields: Any) -> dict[str, Any]:
    """A current-shape Daily Papers entry for `paper_id`, submitted on `day`."""
    submitted = f"{day}T09:{int(paper_id[-2:]) % 60:02d}:00.000Z"
    paper = {
        "id": paper_id,
        "authors": [{"_id": f"a{paper_id}", "name": f"Author of {paper_id}", "hidden": False}],
        "publishedAt": f"{day}T01:00:00.000Z",
        "submittedOnDailyAt": submitted,
        "title": f"Paper {paper_id}:\n  a study",
        "summary": f"Abstract of {paper_id}\nwrapped like arXiv does.",
        "upvotes": 1,
        "discussionId": f"d{paper_id}",
    }
    paper.update(paper_fields)
    return {
        "paper": paper,
        "publishedAt": submitted,
        "title": f"Paper {paper_id}: a study",
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{paper_id}.png",
        "numComments": 0,
        "submittedBy": {"_id": "u1", "name": "someone", "fullname": "Some One", "type": "user"},
        "isAuthorParticipating": False,
    }


def make_day(day: str, count: int) -> list[dict[str, Any]]:
    return [make_entry(pid, day) for pid in day_ids(day, count)]


@dataclass(frozen=True)
class Fault:
    """One way for the server to misbehave. Build with the class methods."""

    kind: str
    status: int = 500
    headers: tuple[tuple[str, str], ...] = ()
    size: int = 0
    delay: float = 0.0
    with_length: bool = False

    @classmethod
    def http(cls, status: int) -> Fault:
        """An error status with a small JSON error body (500, 502, 503, 404, …)."""
        return cls("status", status=status)

    @classmethod
    def retry_after(cls, value: float | datetime, status: int = 429) -> Fault:
        """429 (or 503) with `Retry-After` in seconds or, given a datetime, as an HTTP date."""
        header = format_datetime(value, usegmt=True) if isinstance(value, datetime) else str(int(value))
        return cls("status", status=status, headers=(("Retry-After", header),))

    @classmethod
    def rate_limit(cls, t: int) -> Fault:
        """huggingface.co's 429: `RateLimit: "api";r=0;t=N` (and its policy header), no Retry-After."""
        return cls(
            "status",
            status=429,
            headers=(("RateLimit", f'"api";r=0;t={t}'), ("RateLimit-Policy", '"fixed window";"api";q=500;w=300')),
        )

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        """A redirect to `location` (absolute, or a path on this server)."""
        return cls("redirect", status=status, headers=(("Location", location),))

    @classmethod
    def hang(cls) -> Fault:
        """Accept the request and never answer."""
        return cls("hang")

    @classmethod
    def drip(cls, delay: float) -> Fault:
        """Send the right body, a few bytes every `delay` seconds."""
        return cls("drip", delay=delay)

    @classmethod
    def truncated(cls) -> Fault:
        """A complete 200 answer whose JSON body is cut in half."""
        return cls("truncated")

    @classmethod
    def cut(cls) -> Fault:
        """Promise the full body in Content-Length, send half, close the connection."""
        return cls("cut")

    @classmethod
    def html(cls) -> Fault:
        """A 200 HTML page (a captive portal, a CDN error page) instead of JSON."""
        return cls("html")

    @classmethod
    def json_object(cls) -> Fault:
        """A 200 JSON object instead of the array."""
        return cls("object")

    @classmethod
    def oversized(cls, size: int, *, with_length: bool = False) -> Fault:
        """A 200 body of `size` bytes, streamed (or announced up front with Content-Length)."""
        return cls("oversized", size=size, with_length=with_length)


@dataclass
class Request:
    path: str
    day: str | None
    page: int | None
    limit: int | None
    headers: dict[str, str]
    started: float
    finished: float | None = None
    status: int | None = None
    fault: str | None = None


@dataclass
class _Pending:
    fault: Fault
    day: str | None
    page: int | None
    times: int


@dataclass
class FeedServer:
    days: dict[str, list[Any]] = field(default_factory=dict)
    etags: bool = False
    requests: list[Request] = field(default_factory=list)
    max_in_flight: int = 0
    port: int = 0
    details: dict[str, Any] = field(default_factory=dict)  # id -> the answer of /api/papers/{id}
    # the weekly, monthly and trending lists: "week=2026-W48", "month=2026-11", "sort=trending" -> entries
    lists: dict[str, list[Any]] = field(default_factory=dict)
    detail_requests: list[str] = field(default_factory=list)  # the ids asked for there (apart from `requests`)

    def __post_init__(self) -> None:
        self._pending: list[_Pending] = []
        self._day_faults: dict[str, Fault] = {}
        self._in_flight = 0
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()

    # ------------------------------------------------------------ control

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int | None = None) -> FeedServer:
        """Start on `port` (default: the previous port, or a free one on first start)."""
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_get("/api/daily_papers", self._daily_papers)
        app.router.add_get("/api/papers/{id:.+}", self._paper_details)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port if port is None else port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop listening (the port then refuses connections); `start()` again reuses it."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FeedServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def fail_next(self, fault: Fault, *, day: str | None = None, page: int | None = None, times: int = 1) -> None:
        """The next `times` requests (for `day` and `page` when given, else any) get `fault`."""
        self._pending.append(_Pending(fault, day, page, times))

    def fail_day(self, day: str, fault: Fault) -> None:
        """Every request for `day` gets `fault` until `heal()`."""
        self._day_faults[day] = fault

    def heal(self) -> None:
        self._pending.clear()
        self._day_faults.clear()

    def serve_details(self) -> None:
        """Answer `/api/papers/{id}` for every paper of the days, with the entry's own paper object (as
        huggingface.co does: the same fields, `"hidden"` authors included)."""
        for entries in self.days.values():
            for entry in entries:
                paper = entry.get("paper") if isinstance(entry, dict) else None
                if isinstance(paper, dict) and isinstance(paper.get("id"), str):
                    self.details[paper["id"]] = copy.deepcopy(paper)

    def days_requested(self) -> list[str]:
        return [r.day for r in self.requests if r.day is not None]

    # ------------------------------------------------------------ serving

    def _take_fault(self, day: str, page: int) -> Fault | None:
        for pending in self._pending:
            if pending.day in (None, day) and pending.page in (None, page):
                pending.times -= 1
                if pending.times <= 0:
                    self._pending.remove(pending)
                return pending.fault
        return self._day_faults.get(day)

    async def _paper_details(self, request: web.Request) -> web.StreamResponse:
        self.detail_requests.append(request.match_info["id"])
        paper = self.details.get(request.match_info["id"])
        if paper is None:
            return web.json_response({"error": "Entry not found"}, status=404)
        return web.json_response(paper)

    async def _daily_papers(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        record = Request(
            path=request.path_qs,
            day=query.get("date"),
            page=_int(query.get("p", "0")),
            limit=_int(query.get("limit", "50")),
            headers=dict(request.headers),
            started=time.monotonic(),
        )
        self.requests.append(record)
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            response = await self._answer(request, record)
            record.status = response.status
            return response
        finally:
            self._in_flight -= 1
            record.finished = time.monotonic()

    async def _answer(self, request: web.Request, record: Request) -> web.StreamResponse:
        day, page, limit = record.day, record.page, record.limit
        for key in ("week", "month", "sort"):
            if key in request.query:
                chosen = self.lists.get(f"{key}={request.query[key]}")
                if chosen is None:
                    return web.json_response({"error": f'Invalid {key} "{request.query[key]}"'}, status=400)
                return web.json_response(chosen[: limit or 50])
        if day is None or not _is_day(day):
            return web.json_response({"error": f'Invalid date "{day}"'}, status=400)
        if limit is None or not 1 <= limit <= 100:
            return web.json_response({"error": "Too big: expected number to be <=100"}, status=400)
        if page is None or page < 0:
            return web.json_response({"error": "Invalid page"}, status=400)
        entries = self.days.get(day, [])
        body = json.dumps(entries[page * limit : (page + 1) * limit]).encode()

        fault = self._take_fault(day, page)
        if fault is not None:
            record.fault = fault.kind
            return await self._misbehave(request, fault, body)

        headers: dict[str, str] = {}
        if self.etags:
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type="application/json", headers=headers)

    async def _misbehave(self, request: web.Request, fault: Fault, body: bytes) -> web.StreamResponse:
        if fault.kind in ("status", "redirect"):
            return web.json_response({"error": "injected"}, status=fault.status, headers=dict(fault.headers))
        if fault.kind == "hang":
            await self._release.wait()
            return web.Response(status=503)
        if fault.kind == "truncated":
            return web.Response(body=body[: max(1, len(body) // 2)], content_type="application/json")
        if fault.kind == "html":
            page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>Bad gateway</body></html>"
            return web.Response(body=page, content_type="text/html")
        if fault.kind == "object":
            return web.json_response({"papers": json.loads(body)})
        if fault.kind in ("drip", "cut", "oversized"):
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            if fault.kind == "cut" or (fault.kind == "oversized" and fault.with_length):
                response.content_length = len(body) if fault.kind == "cut" else fault.size
            await response.prepare(request)
            if fault.kind == "cut":
                await response.write(body[: len(body) // 2])
                assert request.transport is not None
                request.transport.close()
                return response
            if fault.kind == "drip":
                for start in range(0, len(body), 8):
                    await response.write(body[start : start + 8])
                    await asyncio.sleep(fault.delay)
            else:
                chunk = b" " * 65536
                await response.write(b"[")
                sent = 1
                while sent < fault.size:
                    piece = chunk[: fault.size - sent]
                    await response.write(piece)
                    sent += len(piece)
            await response.write_eof()
            return response
        raise ValueError(f"unknown fault {fault.kind}")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def utc(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def deep(entries: list[Any]) -> list[Any]:
    return copy.deepcopy(entries)
