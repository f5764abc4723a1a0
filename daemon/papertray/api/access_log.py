"""An access log that cannot leak a secret: method, path without its query string, status, size and time.
No headers (Authorization, Cookie), no query (a token pasted as `?token=` by mistake), no Referer.

aiohttp's default format logs the request line (`%r`), query string included. app.py runs with
`access_log=None`; if an access log is wanted, pass `access_log_class=SafeAccessLogger` to the AppRunner.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from papertray.digest.routes import redact


class SafeAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        # The path is capped and stripped of control characters so a crafted URL cannot forge log lines.
        path = "".join(ch if ch.isprintable() else "?" for ch in redact(request.path)[:200])  # no feed key
        self.logger.info(
            "%s %s status=%s bytes=%s ms=%.1f",
            request.method,
            path,
            response.status,
            response.body_length,
            time * 1000,
        )
