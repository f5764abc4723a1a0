"""The local HTTP API (design.md "The contract"): `create_api(...)` builds the aiohttp application that
app.py serves on 127.0.0.1. The guard middleware (guard.py) stands in front of every route; tokens.py and
pairing.py own who may call; routes_*.py and sse.py hold the handlers; openapi.json describes all of it and a
test keeps the two in step.

On startup the API mints the CLI's token and writes it to `state/cli.token` (0600, rotated each start).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from aiohttp import web

from papertray.api import routes_papers, routes_rank, routes_system, routes_tokens, sse
from papertray.api.bodies import MAX_BODY_BYTES
from papertray.api.context import ApiContext, PollerLike
from papertray.api.guard import FailureLimiter, Guard
from papertray.api.inbox_routes import add_inbox_routes
from papertray.api.keys import CONTEXT, DIGESTS, VERSIONS
from papertray.api.library_routes import add_library_routes
from papertray.api.pairing import PairingCodes
from papertray.api.routes_digest import add_digest_routes
from papertray.api.routes_search import add_search_routes
from papertray.api.tokens import TokenStore
from papertray.config import Config, Paths
from papertray.digest.feed_key import FeedKey
from papertray.digest.ranked import ranked_items
from papertray.digest.routes import add_feed_routes
from papertray.digest.selection import no_versions
from papertray.digest.service import DigestService
from papertray.events import EventBus
from papertray.library import Library
from papertray.ranking.service import Ranker
from papertray.search import SearchService
from papertray.store import Store
from papertray.versions import VersionWatcher

__all__ = ["CONTEXT", "ApiContext", "PollerLike", "create_api"]

log = logging.getLogger(__name__)


def create_api(
    *,
    config: Callable[[], Config],
    store: Store,
    bus: EventBus,
    poller: PollerLike | None,
    paths: Paths,
    problems: Callable[[], list[str]],
    limiter: FailureLimiter | None = None,
    pairing: PairingCodes | None = None,
    library: Library | None = None,
    digests: DigestService | None = None,
    ranker: Ranker | None = None,
    search: SearchService | None = None,
    versions: VersionWatcher | None = None,
    poll_notice: Callable[[Sequence[str]], str] | None = None,
) -> web.Application:
    """The application; no I/O until it starts (then the CLI token is minted)."""
    tokens = TokenStore(paths.state_dir)
    context = ApiContext(
        config=config,
        store=store,
        bus=bus,
        poller=poller,
        paths=paths,
        problems=problems,
        tokens=tokens,
        pairing=pairing or PairingCodes(),
        limiter=limiter or FailureLimiter(),
        library=library,
        poll_notice=poll_notice,
    )
    guard = Guard(tokens, context.limiter)
    app = web.Application(middlewares=[guard.middleware], client_max_size=MAX_BODY_BYTES)
    app[CONTEXT] = context
    app[VERSIONS] = versions
    app.on_startup.append(_mint_cli_token)
    routes_system.add_routes(app)
    routes_papers.add_routes(app, ranker)
    routes_tokens.add_routes(app)
    routes_rank.add_routes(app, ranker)
    sse.add_routes(app)
    ranked = ranked_items(ranker.standings if ranker is not None else None)
    new_versions = versions.history if versions is not None else no_versions
    add_feed_routes(app, store, config, FeedKey(paths.state_dir), ranked, new_versions)
    # app.py passes the one it runs
    app[DIGESTS] = digests or DigestService(config, store, bus, ranked=ranked, versions=new_versions)
    add_digest_routes(app)
    if library is not None:
        add_library_routes(app, library, store, paths.state_dir)
        add_inbox_routes(app, store, config)
    add_search_routes(app, search)
    return app


async def _mint_cli_token(app: web.Application) -> None:
    app[CONTEXT].tokens.mint_cli_token()
    log.info("cli token written path=%s", app[CONTEXT].tokens.cli_token_path)
