"""`POST /api/v1/import`: BibTeX or CSL-JSON into the reading list, with a report of what was skipped, what was
changed to fit the rules every way in follows (`user_fields`), and why.

Parsing is CPU work that grows with the body (up to 256 KiB): it runs in a worker thread, one import at a time,
so `/health`, the extension's lookups and the reading-list page are answered while an import is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from papertray import citations, user_fields
from papertray.api import bodies
from papertray.api.bodies import Field
from papertray.api.responses import json_response
from papertray.errors import HttpError
from papertray.library import Library
from papertray.store import Store

IMPORT = {
    "format": Field("str", required=True, max_length=16),
    "content": Field("str", required=True, max_length=bodies.MAX_BODY_BYTES),
}


def import_handler(library: Library, store: Store) -> Callable[[web.Request], Awaitable[web.Response]]:
    # One parse at a time: parallel imports would only share the CPU (and the GIL) with the event loop.
    one_at_a_time = asyncio.Semaphore(1)

    async def import_(request: web.Request) -> web.Response:
        body = await bodies.read_json(request, IMPORT)
        fmt = body["format"]
        if fmt not in citations.IMPORT_FORMATS:
            raise HttpError(400, f"format must be {' or '.join(citations.IMPORT_FORMATS)}.")
        async with one_at_a_time:
            parsed = await asyncio.to_thread(citations.parse, body["content"], fmt)
        if parsed.problem is not None:
            raise HttpError(400, f"The content cannot be read as {citations.NAMES[fmt]}: {parsed.problem}")
        checked = user_fields.check_import(parsed.entries, lambda paper_id: store.get_state(paper_id).tags)
        report = await library.import_entries(checked.entries)
        skipped = [*parsed.skipped, *checked.skipped]
        return json_response(
            {
                **report,
                "total": len(parsed.entries) + len(parsed.skipped),
                "skipped": [{"label": s.label, "reason": s.reason} for s in skipped],
                "adjusted": [{"label": s.label, "change": s.reason} for s in checked.adjusted],
            }
        )

    return import_
