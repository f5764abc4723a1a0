"""`GET /feeds/<key>/<name>.atom`: the digests for feed readers.

The guard (api/guard.py) applies its Host check here as everywhere, then hands feed paths to `refusal()`:
no bearer token (feed readers cannot send one; the key in the path is the capability), and no web page: a
request carrying an Origin, or fetched by a page (`Sec-Fetch-Site` other than `none`), is refused. The key is a
secret in a path, so every log line that names a path uses `redact()`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import hdrs, web

from papertray.config import Config
from papertray.digest import atom
from papertray.digest.feed_key import FeedKey
from papertray.digest.selection import FEEDS, NewVersions, RankedItems, Selection, no_ranking, no_versions
from papertray.store import Store

PREFIX = "/feeds/"
_KEYED = re.compile(r"^/feeds/[^/]*")


def is_feed_path(path: str) -> bool:
    return path.startswith(PREFIX)


def redact(path: str) -> str:
    """A path fit for a log line: a feed key becomes `…`."""
    return _KEYED.sub("/feeds/…", path) if is_feed_path(path) else path


def refusal(request: web.Request) -> str | None:
    """Why a feed request is refused before its key is looked at, or None."""
    headers = request.headers
    if hdrs.ORIGIN in headers or headers.get("Sec-Fetch-Site", "none") != "none":
        return "Feeds are for feed readers; a web page cannot read them."
    if request.method not in (hdrs.METH_GET, hdrs.METH_HEAD):
        return "Feeds are read-only."
    return None


def render(
    store: Store,
    config: Config,
    name: str,
    today: datetime | None = None,
    ranked: RankedItems = no_ranking,
    versions: NewVersions = no_versions,
) -> bytes:
    day = (today or datetime.now(UTC)).date()
    return atom.build(name, FEEDS[name], Selection(store, config, day, ranked, versions).feed(name))


def add_feed_routes(
    app: web.Application,
    store: Store,
    config: Callable[[], Config],
    key: FeedKey,
    ranked: RankedItems = no_ranking,
    versions: NewVersions = no_versions,
) -> None:
    async def feed(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if not key.check(request.match_info["key"]) or name not in FEEDS:
            # one answer for both, so a wrong key tells nothing about the names
            raise web.HTTPNotFound(reason="No feed at this address (the key is wrong or was rotated)")
        body = await asyncio.to_thread(render, store, config(), name, None, ranked, versions)
        return web.Response(
            body=body,
            content_type="application/atom+xml",
            charset="utf-8",
            headers={hdrs.CACHE_CONTROL: "no-store", "Referrer-Policy": "no-referrer"},
        )

    app.router.add_get(PREFIX + "{key}/{name}.atom", feed)
