"""A real API server for tests: a real Store in a temp dir, a real EventBus, the real Poller fetching from a
real Daily Papers fixture server (tests/support/feed_server.py), the daemon's application (`app.build_app`),
served exactly as the daemon serves it (`app.serve`: 127.0.0.1, port 0, no access log), plus small raw-socket
helpers for requests no HTTP client will send (no Host, two Hosts, smuggling shapes)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from aiohttp import web

from papertray import app
from papertray.api import ApiContext
from papertray.api.guard import FailureLimiter
from papertray.api.keys import CONTEXT
from papertray.api.pairing import PairingCodes
from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.library import Library
from papertray.models import Paper
from papertray.poller import Poller
from papertray.ranking.service import Ranker
from papertray.search import SearchService
from papertray.store import Store
from tests.support.feed_server import FeedServer

EXT = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
MOZ_A = "moz-extension://0b5d3c7e-3f52-4a8e-9a7b-6f0e2f1c9d11"
MOZ_B = "moz-extension://9c0ffee0-1111-4222-8333-444455556666"


def sample_papers(n: int = 5) -> list[Paper]:
    papers = [
        Paper(id=f"2503.{10000 + i}", version=1, title=f"Paper {i}", daily_date=f"2025-03-{1 + i % 28:02d}", upvotes=i)
        for i in range(n)
    ]
    papers.append(Paper(id="hep-th/9901001", title="An old-style paper", daily_date="1999-01-05"))
    return papers


class ApiServer:
    def __init__(
        self,
        home: Path,
        *,
        papers: Sequence[Paper] = (),
        limiter: FailureLimiter | None = None,
        pairing: PairingCodes | None = None,
        heartbeat: float = 15.0,
        search: bool = False,
        rank: bool = False,
    ) -> None:
        self.home = home
        self.with_search = search  # the search index follows the bus (one more subscriber) when on
        self.with_rank = rank  # the real For-you ranker (without it the rank routes answer 503)
        self.paths = Paths(
            config_file=home / "config.toml",
            data_dir=home / "data",
            cache_dir=home / "cache",
            state_dir=home / "state",
            log_dir=home / "logs",
        )
        self.initial = list(papers)
        self.limiter = limiter
        self.pairing = pairing
        self.heartbeat = heartbeat
        self.feed = FeedServer()
        self.config = Config(paths=self.paths)
        self.problems: list[str] = []
        self.port = 0
        self.runner: web.AppRunner | None = None

    async def start(self) -> ApiServer:
        self.paths.ensure()
        await self.feed.start()
        self.config = Config(paths=self.paths, hf_url=self.feed.url, rules=self.config.rules)
        self.bus = EventBus()
        self.store = Store.open(self.paths.data_dir, self.bus)
        if self.initial:
            await self.store.add_papers(self.initial)
        # The real poller, without the 1 s politeness gap between requests (the fixture server does not mind).
        self.poller = Poller(lambda: self.config, self.store, self.bus, min_spacing=0.0)
        # The library's routes are part of the API; its download loop is not started here.
        self.library = Library(lambda: self.config, self.store, self.bus)
        # The real search index, following the bus as in the daemon (without it the route answers 503); its loop
        # is one of the app's, so the app's cleanup ends it and closes the index before the store.
        self.search: SearchService | None = None
        if self.with_search:
            self.search = SearchService(self.paths.cache_dir / "search", self.store, self.bus)
        self.ranker = (
            Ranker(self.store, self.bus, lambda: self.config.rules, self.paths.data_dir, log=lambda _m: None)
            if self.with_rank
            else None
        )
        self.app = app.build_app(
            lambda: self.config,
            self.store,
            poller=self.poller,
            library=self.library,
            problems=lambda: list(self.problems),
            limiter=self.limiter,
            pairing=self.pairing,
            search=self.search,
            ranker=self.ranker,
        )
        self.app[CONTEXT].heartbeat_seconds = self.heartbeat
        self.runner, self.port = await app.serve(self.app)
        if self.ranker is not None:
            app.start_loops(self.app, {"ranker": self.ranker.run})
        if self.search is not None:
            app.start_loops(self.app, {"search": self.search.run})
            await asyncio.wait_for(self.search.ready.wait(), 30)
        self.token = (self.paths.state_dir / "cli.token").read_text().strip()
        return self

    @property
    def context(self) -> ApiContext:
        return self.app[CONTEXT]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}/api/v1/{path.lstrip('/')}"

    def auth(self, token: str | None = None, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}", **extra}

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()  # the app's cleanup closes the poller, the library and the store
        await self.feed.stop()


async def pair_extension(server: ApiServer, session: aiohttp.ClientSession, origin: str = EXT) -> str:
    """Pair `origin` the way the extension does and return its token."""
    code, _ = server.context.pairing.new_code()
    async with session.post(server.url("pair"), json={"code": code}, headers={"Origin": origin}) as resp:
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["token"])


def raw_request(port: int, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send bytes on a fresh loopback socket and return everything the server answers until it closes or
    goes quiet (a blocking helper: call it through asyncio.to_thread from async tests)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
