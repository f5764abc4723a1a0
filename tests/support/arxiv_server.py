"""A real arXiv for tests: aiohttp on 127.0.0.1 answering `GET /rss/<cats>` (the listing feed, RSS 2.0 as
`arXiv/arxiv-feed`'s serializer writes it, reference/feeds.md §4.2: the channel header of the real captures in
shared/fixtures, one item per paper, `ETag`, `Cache-Control: max-age`, 304 for a matching `If-None-Match`, 400 for
an archive or category arXiv does not know) and `GET /api/query` (the export API, Atom as in §4.1, filtered by
`cat:` and `submittedDate:[… TO …]`, paged by `start` / `max_results`).

Every request is recorded with the server's own monotonic clock and the headers it carried; faults can be queued
for the next request of a path prefix (`fail_next`). The listing is whatever `listing` holds (set it with
`announce`); the export API answers from `papers`.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

KNOWN = {"cs", "math", "stat", "physics", "hep-th", "q-bio"}
KNOWN_CATEGORIES = {"cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "math.OC", "math.GT", "hep-th"}
ET_OFFSET = "-0400"
TYPE_END = " \n"  # the serializer's "Announce Type: new \nAbstract: …", trailing space and all
RSS_OPEN = (
    '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">'
)
PORTAL = "<!DOCTYPE html><html><body>Captive portal</body></html>"


@dataclass
class Item:
    """One listing item as the serializer writes it."""

    id: str  # bare id, old or new style
    version: int = 1
    kind: str = "new"
    categories: tuple[str, ...] = ("cs.LG",)
    title: str = ""
    authors: tuple[str, ...] = ("First Author", "Second Author")
    abstract: str = ""


@dataclass
class ApiPaper:
    """One export API entry."""

    id: str
    submitted: datetime  # v1's time (`published`); `submittedDate:` filters on it
    categories: tuple[str, ...] = ("cs.LG",)
    version: int = 1
    title: str = ""


def pub_date(day: str) -> str:
    """arXiv's midnight of `day` as the feed writes it: `Thu, 18 Sep 2025 00:00:00 -0400`."""
    when = date.fromisoformat(day)
    return when.strftime("%a, %d %b %Y 00:00:00 ") + ET_OFFSET


def rss_item(item: Item, day: str) -> str:
    title = item.title or f"Paper {item.id}: a study"
    abstract = item.abstract or f"Abstract of {item.id}."
    cats = "".join(f"\n      <category>{escape(c)}</category>" for c in item.categories)
    description = f"arXiv:{item.id}v{item.version} Announce Type: {item.kind}{TYPE_END}Abstract: {escape(abstract)}"
    return f"""
    <item>
      <title>{escape(title)}</title>
      <link>https://arxiv.org/abs/{item.id}</link>
      <description>{description}</description>
      <guid isPermaLink="false">oai:arXiv.org:{item.id}v{item.version}</guid>{cats}
      <pubDate>{pub_date(day)}</pubDate>
      <arxiv:announce_type>{item.kind}</arxiv:announce_type>
      <dc:rights>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</dc:rights>
      <dc:creator>{escape(", ".join(item.authors))}</dc:creator>
    </item>"""


def rss_feed(query: str, day: str, items: list[Item]) -> bytes:
    """The whole feed; its channel is the real capture's (real/arxiv_rss_cs.CL_2026-08-01_weekend_empty.xml)."""
    build = (date.fromisoformat(day)).strftime("%a, %d %b %Y 04:00:14 +0000")
    body = "".join(rss_item(item, day) for item in items)
    return f"""<?xml version='1.0' encoding='UTF-8'?>
{RSS_OPEN}
  <channel>
    <title>{query} updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/{query}</link>
    <description>{query} updates on the arXiv.org e-print archive.</description>
    <atom:link href="http://rss.arxiv.org/rss/{query}" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>{build}</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>{pub_date(day)}</pubDate>
    <skipDays>
      <day>Sunday</day>
      <day>Saturday</day>
    </skipDays>{body}
  </channel>
</rss>
""".encode()


def atom_page(papers: list[ApiPaper], total: int, start: int, query: str) -> bytes:
    entries = []
    for paper in papers:
        at = paper.submitted.strftime("%Y-%m-%dT%H:%M:%SZ")
        cats = "".join(f'\n    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in paper.categories)
        entries.append(f"""
  <entry>
    <id>http://arxiv.org/abs/{paper.id}v{paper.version}</id>
    <title>{escape(paper.title or f"Paper {paper.id}: caught up")}</title>
    <updated>{at}</updated>
    <link href="https://arxiv.org/abs/{paper.id}v{paper.version}" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{paper.id}v{paper.version}" rel="related" type="application/pdf" title="pdf"/>
    <summary>Abstract of {paper.id}.</summary>{cats}
    <published>{at}</published>
    <arxiv:primary_category term="{paper.categories[0]}"/>
    <author>
      <name>Some Author</name>
    </author>
  </entry>""")
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/test</id>
  <title>arXiv Query: {escape(query)}</title>
  <updated>2026-05-11T11:50:16Z</updated>
  <opensearch:itemsPerPage>{len(papers)}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>{"".join(entries)}
</feed>
""".encode()


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    started: float
    finished: float | None = None
    status: int | None = None


@dataclass
class ArxivServer:
    day: str = "2026-12-01"
    listing: list[Item] = field(default_factory=list)
    papers: list[ApiPaper] = field(default_factory=list)
    max_age: int | None = 3600
    requests: list[Seen] = field(default_factory=list)
    max_in_flight: int = 0
    port: int = 0
    observer: Callable[[Seen], None] | None = None  # called as each request arrives (what the client shows then)

    def __post_init__(self) -> None:
        self._faults: list[tuple[str, str, dict[str, str]]] = []
        self._in_flight = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def announce(self, day: str, items: list[Item]) -> None:
        self.day, self.listing = day, items

    def fail_next(self, prefix: str, kind: str, **headers: str) -> None:
        """The next request whose path starts with `prefix` gets `kind`: "503", "html", "truncated",
        "error-feed"; `headers` go with it (Retry-After)."""
        self._faults.append((prefix, kind, headers))

    def listing_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith("/rss/")]

    def api_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path == "/api/query"]

    async def start(self) -> ArxivServer:
        app = web.Application()
        app.router.add_get("/rss/{query}", self._rss)
        app.router.add_get("/api/query", self._api)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ArxivServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ serving

    def _fault(self, path: str) -> tuple[str, dict[str, str]] | None:
        for entry in self._faults:
            if path.startswith(entry[0]):
                self._faults.remove(entry)
                return entry[1], entry[2]
        return None

    async def _record(self, request: web.Request, answer: Any) -> web.StreamResponse:
        seen = Seen(request.path, dict(request.query), dict(request.headers), time.monotonic())
        self.requests.append(seen)
        if self.observer is not None:
            self.observer(seen)
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            response: web.StreamResponse = await answer(request)
            seen.status = response.status
            return response
        finally:
            self._in_flight -= 1
            seen.finished = time.monotonic()

    async def _rss(self, request: web.Request) -> web.StreamResponse:
        return await self._record(request, self._rss_answer)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        return await self._record(request, self._api_answer)

    async def _rss_answer(self, request: web.Request) -> web.StreamResponse:
        query = request.match_info["query"]
        refused = refusal(query)
        if refused is not None:
            return refused
        fault = self._fault(request.path)
        if fault is not None:
            kind, headers = fault
            body = listing_body(query, self.day, self.listing)
            if kind == "503":
                return web.Response(status=503, text="busy", headers=headers)
            if kind == "html":
                return web.Response(text=PORTAL, content_type="text/html")
            if kind == "truncated":
                cut = body.index(b"</item>", len(body) // 2) + len(b"</item>") + 40
                return web.Response(body=body[:cut], content_type="application/rss+xml")
        return listing_answer(request, self.day, self.listing, self.max_age)

    async def _api_answer(self, request: web.Request) -> web.StreamResponse:
        fault = self._fault(request.path)
        if fault is not None and fault[0] == "error-feed":
            return web.Response(body=ERROR_FEED, content_type="application/atom+xml")
        if fault is not None and fault[0] == "503":
            return web.Response(status=503, text="busy", headers=fault[1])
        return search_answer(request, self.papers)


def refusal(query: str) -> web.Response | None:
    """arxiv-feed's validate_request: an archive or category it does not know is a Flask BadRequest, an HTML page."""
    for name in query.split("+"):
        archive = name.split(".")[0]
        if archive not in KNOWN or ("." in name and name not in KNOWN_CATEGORIES):
            page = f"<!doctype html><title>400 Bad Request</title><h1>Bad Request</h1><p>Bad archive '{name}'.</p>"
            return web.Response(status=400, text=page, content_type="text/html")
    return None


def listing_body(query: str, day: str, listing: list[Item]) -> bytes:
    followed = query.split("+")
    return rss_feed(query, day, [i for i in listing if any(_belongs(c, followed) for c in i.categories)])


def listing_answer(request: web.Request, day: str, listing: list[Item], max_age: int | None) -> web.Response:
    """`GET /rss/<cats>` as arXiv answers it: the day's items of the followed lists, `ETag`, `Cache-Control:
    max-age`, 304 for a matching `If-None-Match` (PaperServer serves it too, beside PDFs and `id_list`)."""
    query = request.match_info["query"]
    refused = refusal(query)
    if refused is not None:
        return refused
    body = listing_body(query, day, listing)
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {"ETag": etag}
    if max_age is not None:
        headers["Cache-Control"] = f"max-age={max_age}"
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers={**headers, "Content-Type": "application/rss+xml"})


def search_answer(request: web.Request, papers: list[ApiPaper]) -> web.Response:
    """The export API's `search_query=cat:X AND submittedDate:[… TO …]`, paged by `start` / `max_results`."""
    search = request.query.get("search_query", "")
    cat = re.search(r"cat:([\w.-]+)", search)
    window = re.search(r"submittedDate:\[(\d{12}) TO (\d{12})\]", search)
    chosen = [p for p in papers if cat is None or any(_belongs(c, [cat.group(1)]) for c in p.categories)]
    if window is not None:
        low, high = (datetime.strptime(w, "%Y%m%d%H%M") for w in window.groups())
        chosen = [p for p in chosen if low <= p.submitted.replace(tzinfo=None) <= high + timedelta(seconds=59)]
    start = int(request.query.get("start", "0"))
    size = int(request.query.get("max_results", "10"))
    page = chosen[start : start + size]
    return web.Response(body=atom_page(page, len(chosen), start, search), content_type="application/atom+xml")


def _belongs(category: str, followed: list[str]) -> bool:
    return any(category == f or ("." not in f and category.startswith(f + ".")) for f in followed)


# The export API's error feed, verbatim from arXiv's API manual (tests/fixtures/arxiv, shared/fixtures PROVENANCE).
ERROR_FEED = (Path(__file__).resolve().parent.parent / "fixtures" / "arxiv" / "api_error_feed.xml").read_bytes()


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)
