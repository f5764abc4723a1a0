"""The reading list served for real on 127.0.0.1: a store in a temp home, the Library downloading from a
`PaperServer`, and the daemon's application (`app.build_app`, guard included), all on one event loop in a thread,
so that sync tests, async tests and Playwright can all talk to it over HTTP.

    with LibrarySite(home, paper_server) as site:
        site.call(site.store.update_state("2307.12345", saved=True))
        url = site.login_url()          # the one-time link the extension opens
        path = site.launcher_file()     # what the tray / notifications / `papertray open` open
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from papertray import app
from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.library import Library
from papertray.search import SearchService
from papertray.store import Store
from tests.support.loop_thread import LoopThread
from tests.support.paper_server import PaperServer

T = TypeVar("T")


def home_config(home: Path, server: PaperServer | None, **overrides: Any) -> Config:
    paths = Paths(
        config_file=home / "config.toml",
        data_dir=home / "data",
        cache_dir=home / "cache",
        state_dir=home / "state",
        log_dir=home / "logs",
    )
    url = server.url if server else "http://127.0.0.1:9"
    base = Config(paths=paths, hf_url=url, arxiv_url=url, allowed_private_hosts=("127.0.0.1",))
    return replace(base, **overrides)


class LibrarySite(LoopThread):
    thread_name = "library-site"

    def __init__(self, home: Path, server: PaperServer | None, **config: Any) -> None:
        super().__init__()
        self.config = home_config(home, server, **config)
        self.port = 0
        self._runner: web.AppRunner | None = None
        self.store: Store
        self.library: Library
        self.bus = EventBus()
        self.token = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _start(self) -> None:
        self.store = Store.open(self.config.paths.data_dir, self.bus)
        self.library = Library(
            lambda: self.config, self.store, self.bus, spacing=0.0, retry_base=0.05, retry_max=0.2, read_timeout=2.0
        )
        self.config.paths.ensure()
        self.search = SearchService(
            self.config.paths.cache_dir / "search", self.store, self.bus, pdf_path=self.library.pdf_path
        )
        application = app.build_app(lambda: self.config, self.store, library=self.library, search=self.search)
        app.start_loops(application, {"library": self.library.run, "search": self.search.run})
        self._runner, self.port = await app.serve(application, shutdown_timeout=0.5)
        self.token = (self.config.paths.state_dir / "cli.token").read_text().strip()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()  # the app's cleanup: the library's loop cancelled, library and store closed

    def _login(self, body: bytes) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/api/v1/library/login", data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))

    def login_url(self) -> str:
        """The one-time link the extension opens in a tab."""
        return str(self._login(b"{}")["url"])

    def end_sessions(self) -> int:
        """What `papertray open --end-sessions` asks."""
        request = urllib.request.Request(f"{self.url}/api/v1/library/sessions", method="DELETE")
        request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(json.loads(response.read())["sessions_ended"])

    def launcher_file(self) -> Path:
        """The launcher file `papertray open`, the tray and notifications start the browser on."""
        return Path(self._login(b'{"launcher": true}')["file"])

    def wait_downloaded(self, paper_id: str, timeout: float = 30) -> None:
        async def wait() -> None:
            for _ in range(int(timeout / 0.02)):
                status = self.library.paper_status(paper_id)
                if status["state"] == "ready" and status["pdfs"]:
                    return
                if status["state"] == "failed":
                    raise AssertionError(f"{paper_id} failed: {status}")
                await asyncio.sleep(0.02)
            raise AssertionError(f"{paper_id} not downloaded: {self.library.paper_status(paper_id)}")

        self.call(wait(), timeout + 5)
