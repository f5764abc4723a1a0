"""The guard: one middleware in front of every route (security.md §0 and §5), in this order:

1. Host      the raw Host header must be exactly `127.0.0.1:<port>` or `localhost:<port>`, where port is the
             socket's own (DNS rebinding); missing or repeated Host → 403.
2. Origin    when present it must be a paired extension origin (`POST /pair`: any extension origin, and it
             must be present there); `Sec-Fetch-Mode: navigate` is refused (no page may navigate here).
3. OPTIONS   a preflight from an allowed origin gets that exact origin echoed; anything else 403. Never `*`,
             never Allow-Credentials, never Allow-Private-Network.
4. Auth      `Authorization: Bearer <token>` on every route but health and pair; only the header counts
             (query strings and cookies are ignored). Wrong tokens are rate-limited (429). An extension
             token is pinned to its origin.
5. Body      POST/PUT/PATCH (and a DELETE with a body) need `Content-Type: application/json` (415); a
             declared Content-Length over the limit is refused before anything is read (413); a body must
             arrive within serving.BODY_TIMEOUT of the head (408, and the connection closes).

The guard also tells serving.Connections which connections are busy with a request and which of those are
authenticated, so that a connection flood evicts the right ones.

Paths under `/library/` (the reading-list page) pass only the Host and body checks here: their handlers in
library_routes.py authenticate with the session header and the page's own Origin instead.

Every failure, aiohttp's own 404/405 included, leaves as the one error body.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from email.message import Message
from functools import lru_cache
from typing import Any

from aiohttp import hdrs, web

from papertray.api.bodies import MAX_BODY_BYTES
from papertray.api.keys import CONNECTIONS
from papertray.api.library_routes import LOGIN_PATH, is_library_path
from papertray.api.pairing import is_extension_origin
from papertray.api.responses import STANDARD_HEADERS, error_response
from papertray.api.serving import body_deadline, trust
from papertray.api.tokens import TokenRecord, TokenStore
from papertray.digest.routes import is_feed_path, redact, refusal
from papertray.errors import (
    BodyTooSlow,
    HttpError,
    InvalidPaperId,
    KeyringUnavailable,
    PaperNotFound,
    PapertrayError,
    StoreError,
    StoreFullError,
)

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_PREFIX = "/api/v1/"
PAIR_PATH = "/api/v1/pair"
HEALTH_PATH = "/api/v1/health"
PUBLIC = {("GET", HEALTH_PATH), ("HEAD", HEALTH_PATH), ("POST", PAIR_PATH)}
BODY_METHODS = {"POST", "PUT", "PATCH"}
ALLOWED_REQUEST_HEADERS = "authorization, content-type, last-event-id"
TOKEN_KEY: web.RequestKey[TokenRecord] = web.RequestKey("papertray.token")
FAILURE_LIMIT = 20
FAILURE_WINDOW_SECONDS = 60.0


class FailureLimiter:
    """Counts failed token checks in a sliding window (not pairing codes: see pairing.py). Everything
    arrives from loopback, so there is no per-client key: past the limit, every wrong attempt gets 429 until
    the window slides on. A valid token is never locked out."""

    def __init__(
        self,
        limit: int = FAILURE_LIMIT,
        window: float = FAILURE_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: deque[float] = deque()

    def _expire(self) -> float:
        now = self._clock()
        while self._failures and now - self._failures[0] >= self.window:
            self._failures.popleft()
        return now

    def blocked(self) -> float | None:
        """Seconds to wait when locked, else None."""
        now = self._expire()
        if len(self._failures) >= self.limit:
            return max(1.0, self.window - (now - self._failures[0]))
        return None

    def fail(self) -> None:
        self._expire()
        self._failures.append(self._clock())
        if len(self._failures) == self.limit:
            log.warning("authentication failures reached the limit limit=%d window_s=%d", self.limit, self.window)


def too_many(wait: float) -> HttpError:
    return HttpError(
        429,
        f"Too many failed attempts; wait {int(wait + 0.5)} seconds.",
        headers={"Retry-After": str(int(wait + 0.5))},
    )


class Guard:
    def __init__(self, tokens: TokenStore, limiter: FailureLimiter) -> None:
        self.tokens = tokens
        self.limiter = limiter
        self._hosts: dict[int, tuple[str, str]] = {}

    # ------------------------------------------------------------------ the middleware

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        origin: str | None = None
        deadline: asyncio.TimerHandle | None = None
        connections = request.app.get(CONNECTIONS)
        if connections is not None:
            connections.busy(request)
        try:
            path = request.path
            origin = self._check_host_and_origin(request, path)
            if request.method == hdrs.METH_OPTIONS:
                response: web.StreamResponse = self._preflight(request, origin)
            else:
                self._check_auth(request, path, origin)
                routing_error = request.match_info.http_exception
                if routing_error is not None:  # 404/405 before any body rule
                    raise routing_error
                self._check_body(request)
                deadline = body_deadline(request)
                response = await handler(request)
        except HttpError as exc:
            response = error_response(exc.status, exc.message, headers=exc.headers)
        except BodyTooSlow:
            response = error_response(408, "The request body arrived too slowly.")
            response.force_close()
        except web.HTTPException as exc:
            response = _from_http_exception(request, exc)
        except PapertrayError as exc:
            response = _from_papertray_error(exc)
        except Exception:
            log.exception("unhandled error method=%s path=%s", request.method, redact(request.path))
            response = error_response(500, "Something went wrong inside papertray; the log has the details.")
        finally:
            if deadline is not None:
                deadline.cancel()
            if connections is not None:
                connections.done(request)
        if not response.prepared:  # a stream (events) set its own headers before it started
            headers = response.headers
            headers.update(STANDARD_HEADERS)
            if origin is not None and self._origin_allowed(request, origin):
                headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
                headers.add(hdrs.VARY, "Origin")
        return response

    # ------------------------------------------------------------------ 1. Host, 2. Origin

    def _check_host_and_origin(self, request: web.Request, path: str) -> str | None:
        headers = request.headers
        hosts = headers.getall(hdrs.HOST, ())
        if len(hosts) != 1 or hosts[0] not in self._allowed_hosts(request):
            log.warning("refused request with an unexpected Host count=%d", len(hosts))
            raise HttpError(403, "This address is not served here (the Host header is not the local API's).")
        if is_feed_path(path):  # a feed reader: the key in the path is its capability (digest/routes.py)
            if (refused := refusal(request)) is not None:
                raise HttpError(403, refused)
            return None
        if is_library_path(path):
            return None  # the reading-list page: its handlers check the session cookie, CSRF and their Origin
        origins = headers.getall(hdrs.ORIGIN, ())
        origin = None
        if origins:
            if len(origins) > 1:
                raise HttpError(403, "Requests from this origin are not accepted.")
            origin = origins[0]
            if not self._origin_allowed(request, origin):
                log.warning("refused request from an unpaired origin path=%s", path)
                raise HttpError(403, "Requests from this origin are not accepted; pair the extension first.")
        elif path == PAIR_PATH and request.method == hdrs.METH_POST:
            raise HttpError(403, "Pairing is done from the papertray extension's options page.")
        if headers.get("Sec-Fetch-Mode") == "navigate":
            raise HttpError(403, "The papertray API is not a web page.")
        return origin

    def _allowed_hosts(self, request: web.Request) -> tuple[str, ...]:
        """`127.0.0.1:P` and `localhost:P` for the port this request's socket is bound to."""
        transport = request.transport
        sockname = transport.get_extra_info("sockname") if transport is not None else None
        if not isinstance(sockname, tuple) or len(sockname) < 2:
            return ()
        port = sockname[1]
        allowed = self._hosts.get(port)
        if allowed is None:
            allowed = self._hosts[port] = (f"127.0.0.1:{port}", f"localhost:{port}")
        return allowed

    def _origin_allowed(self, request: web.Request, origin: str) -> bool:
        if request.path == PAIR_PATH:
            return is_extension_origin(origin)
        return origin in self.tokens.paired_origins()

    # ------------------------------------------------------------------ 3. preflight

    def _preflight(self, request: web.Request, origin: str | None) -> web.Response:
        wanted = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_METHOD)
        if origin is None or wanted is None:
            raise HttpError(403, "Only a preflight from the paired extension is answered.")
        allowed = _allowed_methods(request)
        if wanted.upper() not in allowed:
            raise HttpError(403, f"This route does not accept {wanted[:16]}.")
        return web.Response(
            status=204,
            headers={
                hdrs.ACCESS_CONTROL_ALLOW_METHODS: ", ".join(sorted(allowed)),
                hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ALLOWED_REQUEST_HEADERS,
                hdrs.ACCESS_CONTROL_MAX_AGE: "600",
            },
        )

    # ------------------------------------------------------------------ 4. auth

    def _check_auth(self, request: web.Request, path: str, origin: str | None) -> None:
        if (request.method, path) in PUBLIC or is_library_path(path) or is_feed_path(path):
            return
        values = request.headers.getall(hdrs.AUTHORIZATION, [])
        if not values:
            raise HttpError(
                401,
                "This request needs a papertray token (Authorization: Bearer …).",
                headers={hdrs.WWW_AUTHENTICATE: 'Bearer realm="papertray"'},
            )
        record = self._token_record(values)
        if record is None:
            wait = self.limiter.blocked()
            if wait is not None:
                raise too_many(wait)
            self.limiter.fail()
            raise HttpError(
                401,
                "The token is not valid (revoked, mistyped or from an earlier pairing).",
                headers={hdrs.WWW_AUTHENTICATE: 'Bearer realm="papertray", error="invalid_token"'},
            )
        if record.kind == "extension" and origin is not None and origin != record.origin:
            raise HttpError(403, "This token belongs to another extension.")
        request[TOKEN_KEY] = record
        trust(request)

    def _token_record(self, values: list[str]) -> TokenRecord | None:
        if len(values) != 1:
            return None
        scheme, _, token = values[0].partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.tokens.check(token.strip())

    # ------------------------------------------------------------------ 5. body

    def _check_body(self, request: web.Request) -> None:
        method = request.method
        if request.path == LOGIN_PATH:
            pass  # the launcher file's form posts `once=…` as a form (library_routes.py); size rules still apply
        elif method in BODY_METHODS or (method == hdrs.METH_DELETE and request.body_exists):
            types = request.headers.getall(hdrs.CONTENT_TYPE, ())
            if len(types) != 1 or not is_json_content_type(types[0]):
                raise HttpError(415, "Send the body as application/json.")
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise HttpError(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")


@lru_cache(maxsize=64)
def is_json_content_type(raw: str) -> bool:
    """`application/json`, in UTF-8 if a charset is named. Parsed by the standard library's MIME parser (as
    aiohttp parses `request.content_type`); a client sends the same header every time, so the verdict is kept."""
    header = Message()
    header["Content-Type"] = raw
    return header.get_content_type() == "application/json" and header.get_content_charset() in (None, "utf-8", "utf8")


def _allowed_methods(request: web.Request) -> set[str]:
    """Methods the router holds for this path (aiohttp records them on a 405 match)."""
    match = request.match_info
    exc = match.http_exception
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return {m.upper() for m in exc.allowed_methods}
    if exc is None:
        route = match.route
        return {route.method.upper()} | _sibling_methods(request)
    return set()


def _sibling_methods(request: web.Request) -> set[str]:
    resource = request.match_info.route.resource
    if resource is None:
        return set()
    return {route.method.upper() for route in resource if route.method != "*"}


def require_token(request: web.Request) -> TokenRecord:
    return request[TOKEN_KEY]


def _from_http_exception(request: web.Request, exc: web.HTTPException) -> web.Response:
    status = exc.status
    headers: dict[str, Any] = {}
    if isinstance(exc, web.HTTPMethodNotAllowed):
        headers[hdrs.ALLOW] = ", ".join(sorted(m.upper() for m in exc.allowed_methods))
        message = f"This route does not accept {request.method[:16]}."
    elif status == 404:
        message = "No API route matches this path." if request.path.startswith(API_PREFIX) else "Not found."
    elif status == 413:
        message = f"The body is larger than {MAX_BODY_BYTES // 1024} KiB."
    elif status < 400:
        return error_response(500, "Something went wrong inside papertray; the log has the details.")
    else:
        message = exc.reason + "."
    return error_response(status, message, headers=headers)


def _from_papertray_error(exc: PapertrayError) -> web.Response:
    if isinstance(exc, InvalidPaperId):
        status = 400
    elif isinstance(exc, PaperNotFound):
        status = 404
    elif isinstance(exc, StoreFullError):
        status = 507
    elif isinstance(exc, StoreError | KeyringUnavailable):
        status = 503
    else:
        status = 400
    return error_response(status, str(exc))
