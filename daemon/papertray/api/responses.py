"""The API's response shapes: JSON bodies (orjson), the one error body every failure shares, and the headers
every response carries (version identity plus the hardening set of security.md §5).

    {"ok": false, "error": "one sentence", "status": 4xx}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from papertray import API_VERSION, __version__

JSON = "application/json"

# Set by the guard on every response the application produces (errors and preflights too); the event
# stream sets them itself before it starts.
STANDARD_HEADERS: Mapping[str, str] = {
    "X-Papertray-Version": __version__,
    "X-Papertray-API-Version": API_VERSION,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def json_response(data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(data),
        status=status,
        content_type=JSON,
        headers=dict(headers) if headers else None,
    )


def error_response(status: int, message: str, *, headers: Mapping[str, str] | None = None) -> web.Response:
    """The one error body. `message` is one sentence for a person; it never echoes a secret."""
    return json_response({"ok": False, "error": message, "status": status}, status=status, headers=headers)
