"""A real aiohttp server on 127.0.0.1 that plays Hugging Face (`/api/papers/{id}`) and arXiv (`/api/query`,
`/pdf/{id}`, `/abs/{id}`) for the library's tests, with PDFs generated on the spot and faults on demand.

It runs its own event loop in a thread, so sync tests, async tests and daemon subprocesses can all use it:

    server = PaperServer().start()
    server.add("2307.12345", title="…", authors=["…"], version=2)
    server.fault("/pdf/2307.12345", "500", times=1)      # the next request only
    …
    server.stop()

Faults: "404", "500", "429", "html" (an HTML page instead of a PDF), "truncated" (Content-Length promises more
than is sent, then the connection closes), "no-eof" (a complete response whose PDF lacks %%EOF), "slow" (half the
body, then nothing until the server stops), "drip" (one byte every `drip_delay` seconds, for ever: never silent
long enough for a per-read timeout), "redirect:<url>", "503" (with `Retry-After: 1`), "error-feed" (arXiv's
Atom error feed, verbatim from its manual). `FixturePaper.atom_version` overrides the version the export API
reports (upstream garbage such as a number past 2**64). The export API pages an `id_list` by `start` and
`max_results` and says `opensearch:totalResults`, as arXiv does (feeds.md §4.1).

It can also play arXiv's listing feed (`/rss/<cats>`, from `listing` on `listing_day`) and the export API's
`search_query` (a catch-up's `cat:` and `submittedDate:` pages, from `submissions`), with arxiv_server.py's
answers: then every arXiv path the daemon asks for is on one host, as `PAPERTRAY_ARXIV_URL` makes it.

`spans` holds (start, end, path) on the server's own clock for every request, from the moment it arrived to
the moment its last byte was sent: what the politeness tests measure.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from tests.support.arxiv_server import ApiPaper, Item, listing_answer, search_answer
from tests.support.loop_thread import LoopThread

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "arxiv"
ABS_PAGE = FIXTURES / "arxiv_abs_1902.02534_2026-07-23.html"  # a real abstract page (PROVENANCE.md)
ERROR_FEED = (FIXTURES / "api_error_feed.xml").read_bytes()  # verbatim from arXiv's API manual


def make_pdf(text: str, *, pad_to: int = 0) -> bytes:
    """A small valid one-page PDF that shows `text`; `pad_to` grows it (a comment) to at least that many bytes."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 40 760 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    if pad_to:
        filler = max(0, pad_to - 600)
        out += b"%" + b"x" * filler + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass
class FixturePaper:
    id: str
    title: str
    authors: list[str]
    summary: str = "An abstract."
    version: int = 1
    published: str = "2023-07-21T17:59:59Z"
    pdfs: dict[int, bytes] = field(default_factory=dict)  # version -> bytes
    on_hf: bool = True
    atom_version: str | None = None
    updated: str | None = None  # the export API's <updated>: when this version came out


@dataclass
class Fault:
    kind: str
    times: int | None  # None: every time


class PaperServer(LoopThread):
    thread_name = "paper-server"
    start_timeout = 15.0

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__()
        self.host = host
        self.port = 0
        self.papers: dict[str, FixturePaper] = {}
        self.faults: dict[str, Fault] = {}
        self.requests: list[tuple[float, str]] = []  # (monotonic time, path) of every request
        self.spans: list[tuple[float, float, str]] = []  # (start, end, path) of every request, server clock
        self.in_flight = 0
        self.raw_query: bytes | None = None  # when set, the export API answers this, whatever was asked
        self.max_in_flight = 0  # requests being answered at once, at most
        self.max_concurrent = 0
        self.drip_delay = 0.1
        self.listing_day = "2026-12-01"
        self.listing: list[Item] = []  # what /rss/<cats> lists (arxiv_server.py's feed)
        self.listing_max_age: int | None = 3600
        self.submissions: list[ApiPaper] = []  # what a catch-up's search_query pages through
        self._concurrent = 0
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ data

    def add(
        self,
        paper_id: str,
        *,
        title: str,
        authors: list[str] | None = None,
        summary: str = "An abstract.",
        version: int = 1,
        on_hf: bool = True,
        pdf_size: int = 0,
    ) -> FixturePaper:
        paper = FixturePaper(paper_id, title, authors or ["Ada Lovelace"], summary, version, on_hf=on_hf)
        paper.pdfs[version] = make_pdf(f"{paper_id}v{version} {title[:40]}", pad_to=pdf_size)
        with self._lock:
            self.papers[paper_id] = paper
        return paper

    def new_version(self, paper_id: str, *, updated: str | None = None) -> int:
        with self._lock:
            paper = self.papers[paper_id]
            paper.updated = updated
            paper.version += 1
            paper.pdfs[paper.version] = make_pdf(f"{paper_id}v{paper.version} {paper.title[:40]}")
            return paper.version

    def fault(self, path: str, kind: str, *, times: int | None = None) -> None:
        with self._lock:
            self.faults[path] = Fault(kind, times)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def hits(self, prefix: str) -> int:
        return sum(1 for _t, path in self.requests if path.startswith(prefix))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------ lifecycle

    async def _start(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._timed])
        app.router.add_get("/abs/{id:.+}", self._abs)
        app.router.add_get("/api/papers/{id:.+}", self._hf_paper)
        app.router.add_get("/api/query", self._arxiv_query)
        app.router.add_get("/rss/{query}", self._rss)
        app.router.add_get("/pdf/{id:.+}", self._pdf)
        app.router.add_get("/elsewhere/{id:.+}", self._pdf)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def _stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def _stop_requested(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    # ------------------------------------------------------------ handlers

    @web.middleware
    async def _timed(self, request: web.Request, handler: Any) -> web.StreamResponse:
        start = time.monotonic()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            response: web.StreamResponse = await handler(request)
            if not response.prepared:  # send it here, so the span ends when its last byte has gone
                await response.prepare(request)
                await response.write_eof()
            return response
        finally:
            self.in_flight -= 1
            self.spans.append((start, time.monotonic(), request.path_qs))

    async def _abs(self, request: web.Request) -> web.StreamResponse:
        await self._enter(request)
        return web.Response(body=ABS_PAGE.read_bytes(), content_type="text/html")

    def _take_fault(self, path: str) -> str | None:
        with self._lock:
            fault = self.faults.get(path)
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[path]
            return fault.kind

    async def _enter(self, request: web.Request) -> str | None:
        self.requests.append((time.monotonic(), request.path_qs))
        return self._take_fault(request.path) or self._take_fault(request.path_qs)

    async def _simple_fault(self, kind: str) -> web.StreamResponse | None:
        if kind in ("404", "500", "429"):
            return web.Response(status=int(kind), text=f"fixture fault {kind}")
        if kind == "503":
            return web.Response(status=503, text="fixture fault 503", headers={"Retry-After": "1"})
        if kind == "error-feed":
            return web.Response(body=ERROR_FEED, content_type="application/atom+xml")
        if kind.startswith("redirect:"):
            raise web.HTTPFound(kind.split(":", 1)[1])
        return None

    async def _hf_paper(self, request: web.Request) -> web.StreamResponse:
        kind = await self._enter(request)
        if kind and (response := await self._simple_fault(kind)):
            return response
        paper = self.papers.get(request.match_info["id"])
        if paper is None or not paper.on_hf:
            return web.json_response({"error": "Entry not found"}, status=404)
        return web.json_response(
            {
                "id": paper.id,
                "title": paper.title,
                "summary": paper.summary,
                "authors": [{"_id": str(i), "name": name, "hidden": False} for i, name in enumerate(paper.authors)],
                "publishedAt": paper.published,
                "upvotes": 7,
                "ai_keywords": ["fixture"],
            }
        )

    async def _arxiv_query(self, request: web.Request) -> web.StreamResponse:
        kind = await self._enter(request)
        if kind and (response := await self._simple_fault(kind)):
            return response
        if self.raw_query is not None:
            return web.Response(body=self.raw_query, content_type="application/atom+xml")
        if "search_query" in request.query:
            return search_answer(request, list(self.submissions))
        entries = []
        asked = [i for i in request.query.get("id_list", "").split(",") if i]
        known = [self.papers[i] for i in asked if i in self.papers]
        start = int(request.query.get("start", "0") or 0)
        size = int(request.query.get("max_results", "10") or 10)
        for paper in known[start : start + size]:
            authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in paper.authors)
            version = paper.atom_version or paper.version
            updated = f"<updated>{paper.updated}</updated>" if paper.updated else ""
            entries.append(
                f"<entry><id>http://arxiv.org/abs/{paper.id}v{version}</id>{updated}"
                f"<published>{paper.published}</published><title>{escape(paper.title)}</title>"
                f"<summary>{escape(paper.summary)}</summary>{authors}"
                '<arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>'
                '<category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/></entry>'
            )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">'
            f"<title>ArXiv Query</title><opensearch:totalResults>{len(known)}</opensearch:totalResults>"
            f"<opensearch:startIndex>{start}</opensearch:startIndex>"
            f"<opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>{''.join(entries)}</feed>"
        )
        return web.Response(text=body, content_type="application/atom+xml")

    async def _rss(self, request: web.Request) -> web.StreamResponse:
        kind = await self._enter(request)
        if kind and (response := await self._simple_fault(kind)):
            return response
        return listing_answer(request, self.listing_day, list(self.listing), self.listing_max_age)

    async def _pdf(self, request: web.Request) -> web.StreamResponse:
        kind = await self._enter(request)
        if kind and (response := await self._simple_fault(kind)):
            return response
        ref = request.match_info["id"]
        base, _, version = ref.partition("v") if "/" not in ref and "v" in ref else (ref, "", "")
        paper = self.papers.get(base)
        if paper is None:
            return web.Response(status=404, text="no such paper")
        body = paper.pdfs[int(version) if version else paper.version]
        if kind == "html":
            return web.Response(
                text="<html><body>Sorry, the PDF is being generated</body></html>", content_type="text/html"
            )
        if kind == "no-eof":
            body = body[: len(body) // 2]
            return web.Response(body=body, content_type="application/pdf")
        response = web.StreamResponse(headers={"Content-Type": "application/pdf"})
        response.content_length = len(body)
        self._concurrent += 1
        self.max_concurrent = max(self.max_concurrent, self._concurrent)
        try:
            await response.prepare(request)
            if kind == "truncated":
                await response.write(body[: len(body) // 2])
                assert request.transport is not None
                request.transport.close()
                return response
            if kind == "drip":
                for index in range(len(body)):
                    await response.write(body[index : index + 1])
                    await asyncio.sleep(self.drip_delay)
                return response
            if kind == "slow":
                await response.write(body[: len(body) // 2])
                assert self._stopping is not None
                await self._stopping.wait()
                return response
            for start in range(0, len(body), 16 * 1024):
                await response.write(body[start : start + 16 * 1024])
            await response.write_eof()
            return response
        finally:
            self._concurrent -= 1


def run_forever(**papers: Any) -> None:  # pragma: no cover - manual use: python -m tests.support.paper_server
    server = PaperServer().start()
    server.add("2307.12345", title="A fixture paper", authors=["Ada Lovelace"])
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    finally:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    run_forever()
