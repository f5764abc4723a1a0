"""Every typed key of the papertray application (`web.AppKey`), in one place: what lives on the app, and who
reads it. The types are imported for the type checker only, so every module may import its keys from here.

    CONTEXT      ApiContext: config, store, bus, poller, library, paths, tokens, pairing, limiter (every handler)
    CONNECTIONS  the connection cap and which connections are busy (serving.py, the guard)
    STREAMS      the open event streams, ended at shutdown or when their token is revoked (sse.py)
    BADGES       the lookup answer cache (routes_papers.py)
    SPEC         the OpenAPI document served at /api/v1/openapi.json (routes_system.py)
    SESSIONS     the reading list's cookie sessions (library_routes.py)
    LAUNCH       the reading list's launcher files (library_routes.py)
    LOOPS        the long-running tasks `app.start_loops` began, cancelled at cleanup
    DIGESTS      the email digest service: preview and send now (routes_digest.py)
    RANKER       the For-you ranker, None when the app runs without one (routes_rank.py, routes_papers.py)
    SEARCH       the search index service, None when the app runs without one (routes_search.py, status)
    VERSIONS     saved papers' new versions, None when the app runs without (badges.py, status, library_routes.py)
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from papertray.api.badges import Badges
    from papertray.api.context import ApiContext
    from papertray.api.library_launch import LaunchFiles
    from papertray.api.library_sessions import Sessions
    from papertray.api.serving import Connections
    from papertray.api.sse import Stream
    from papertray.digest.service import DigestService
    from papertray.ranking.service import Ranker
    from papertray.search import SearchService
    from papertray.versions import VersionWatcher

CONTEXT: web.AppKey[ApiContext] = web.AppKey("papertray.api.context")
CONNECTIONS: web.AppKey[Connections] = web.AppKey("papertray.api.connections")
STREAMS: web.AppKey[dict[asyncio.Task[Any], Stream]] = web.AppKey("papertray.api.streams")
BADGES: web.AppKey[Badges] = web.AppKey("papertray.api.badges")
SPEC: web.AppKey[dict[str, Any]] = web.AppKey("papertray.api.spec")
SESSIONS: web.AppKey[Sessions] = web.AppKey("papertray.library.sessions")
LAUNCH: web.AppKey[LaunchFiles] = web.AppKey("papertray.library.launch")
LOOPS: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("papertray.app.loops")
DIGESTS: web.AppKey[DigestService] = web.AppKey("papertray.digests")
RANKER: web.AppKey[Ranker | None] = web.AppKey("papertray.api.ranker")
SEARCH: web.AppKey[SearchService | None] = web.AppKey("papertray.api.search")
VERSIONS: web.AppKey[VersionWatcher | None] = web.AppKey("papertray.api.versions")
