"""Routes of the reading list: the page (`/library/…`, session header) and the library's token routes
(`/api/v1/library…`, `/api/v1/export`, `/api/v1/import`, bearer token like every other API route).

The page never sees a token, and no cookie is involved: cookies are scoped by host, not port, so a cookie set
for 127.0.0.1 reaches every other server on 127.0.0.1 (security item 3). The session is a secret the page keeps
in its origin's own sessionStorage (scoped by scheme, host and port) and sends as `X-Papertray-Session` from
its JS; the browser sends nothing by itself, so another local port receives nothing to replay. PDFs are
fetched with that header and shown from a blob: URL.

A session opens from a one-time secret, either `GET /library/login?once=…` (the link the extension opens in a
tab) or `POST /library/login` with a form field `once` (the launcher file of `papertray open`, the tray and
notifications: library_launch.py). Either answers with the page, the new session's secret in a
`<meta name="papertray-session">` tag that the page's script moves into sessionStorage before it replaces the
address with `/library/`. A change also needs the page's own Origin (`http://127.0.0.1:<port>` or
`http://localhost:<port>`) and a JSON body; a cross-origin page cannot send the custom header without a
preflight, which nothing here answers. The page's HTML, CSS and JS hold no data and are served without a
session, so a session-less visit can say how to get in.

Every library route checks what it needs itself; the API guard keeps its Host and body checks for `/library/`
paths and leaves Origin and authentication to these handlers (see `is_library_path`).
"""

from __future__ import annotations

import html
import logging
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import hdrs, web

from papertray import citations, user_fields
from papertray.api import bodies
from papertray.api.bodies import Field
from papertray.api.keys import LAUNCH, SESSIONS, VERSIONS
from papertray.api.library_launch import LaunchFiles
from papertray.api.library_sessions import LOGIN_TTL, SESSION_IDLE, Session, Sessions
from papertray.api.responses import error_response, json_response
from papertray.api.routes_import import import_handler
from papertray.api.serving import trust
from papertray.citations.formats import TABLE
from papertray.library import Library, folder_key, id_from_key
from papertray.models import LISTED_STATES, State
from papertray.store import PaperView, Store
from papertray.versions import VersionWatcher

log = logging.getLogger(__name__)

SESSION_HEADER = "X-Papertray-Session"
LOGIN_PATH = "/library/login"
OLD_COOKIE = "papertray_library"  # the cookie sessions of earlier versions: deleted from the browser at login
SESSION_META = b'<meta name="papertray-session" content="%s">'
VIEWS = {"inbox"}  # pages besides the reading list that a login link may open (inbox_routes.py)
LOGIN_BODY = {"launcher": Field("bool"), "view": Field("str", pattern=re.compile(r"^inbox$"), description="inbox")}
PAGE_PATCH = {**bodies.PATCH_PAPER, "saved": Field("bool")}
PAGE_PATCH.pop("dismissed")
RESTORE = {"read": Field("bool")}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATIC = {
    "": ("index.html", "text/html"),
    **{f"{name}.js": (f"{name}.js", "text/javascript") for name in ("app", "api", "bulk", "card", "keys", "results")},
    "view.js": ("view.js", "text/javascript"),
    "app.css": ("app.css", "text/css"),
    "icon.svg": ("icon.svg", "image/svg+xml"),
    "inbox": ("inbox.html", "text/html"),
    "inbox.js": ("inbox.js", "text/javascript"),
    "inbox.css": ("inbox.css", "text/css"),
}


def is_library_path(path: str) -> bool:
    """True for the page's routes, which authenticate with the session cookie instead of a bearer token."""
    return path == "/library" or path.startswith("/library/")


def error(status: int, message: str) -> web.Response:
    """The one error body of the API."""
    return error_response(status, message)


def ok(data: Any, status: int = 200) -> web.Response:
    return json_response(data, status=status)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def login_url(app: web.Application, port: int, view: str = "") -> str:
    """A fresh one-time link into the reading list (or the matches inbox, `view="inbox"`), for the extension
    (it opens it in a tab, never on a command line)."""
    return f"http://127.0.0.1:{port}{LOGIN_PATH}?once={app[SESSIONS].mint_login()}" + (f"&view={view}" if view else "")


def launcher_file(app: web.Application, port: int, view: str = "") -> Path:
    """A fresh launcher file into the reading list (or the matches inbox, `view="inbox"`), for `papertray
    open`, the tray and notifications (any thread): the browser is started on this path, never on a secret."""
    return app[LAUNCH].write(port, app[SESSIONS].mint_login(), view)


def end_sessions(app: web.Application) -> int:
    """End every reading-list session (the CLI, the tray, `token revoke --all`); run in the event loop."""
    sessions = app.get(SESSIONS)
    return sessions.end_all() if sessions is not None else 0


def _own_origins(request: web.Request) -> set[str]:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    port = sockname[1] if isinstance(sockname, tuple) and len(sockname) >= 2 else None
    return {f"http://127.0.0.1:{port}", f"http://localhost:{port}"} if port else set()


def _page_checks(sessions: Sessions, request: web.Request, *, change: bool) -> Session | web.Response:
    """The session header for every data route; for a change also the page's own Origin and a JSON body."""
    origins = request.headers.getall(hdrs.ORIGIN, [])
    if origins and (len(origins) > 1 or origins[0] not in _own_origins(request)):
        return error(403, "Requests from this origin are not accepted.")
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return error(403, "Requests from other sites are not accepted.")
    session = sessions.get(request.headers.get(SESSION_HEADER))
    if session is None:
        return error(401, "Open the reading list from papertray (tray menu, extension or `papertray open`).")
    trust(request)
    if change:
        if not origins:
            return error(403, "A change must come from the reading-list page.")
        if request.body_exists and request.content_type != "application/json":
            return error(415, "Send the body as application/json.")
    return session


def page_route(change: bool) -> Callable[[Handler], Handler]:
    def wrap(handler: Handler) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            result = _page_checks(request.app[SESSIONS], request, change=change)
            if isinstance(result, web.Response):
                return result
            return await handler(request)

        return checked

    return wrap


def _paper_id(request: web.Request) -> str | None:
    return id_from_key(request.match_info.get("key", ""))


def _item(library: Library, view: PaperView, versions: VersionWatcher | None = None) -> dict[str, Any]:
    data = view.to_dict()
    data["key"] = folder_key(view.id)
    data["library"] = library.paper_status(view.id)
    data["new_version"] = versions.new_version(view.id) if versions is not None else None  # "v3 new"
    return data


def add_library_routes(app: web.Application, library: Library, store: Store, state_dir: Path) -> None:
    """Add the page, its data routes and the library's token routes to the API application. Sessions are kept
    in `state_dir/library-sessions.json` across restarts, launcher files in `state_dir/launch/`."""
    sessions = Sessions(state_dir / "library-sessions.json")
    versions = app[VERSIONS]
    app[SESSIONS] = sessions
    launch = LaunchFiles(state_dir)
    app[LAUNCH] = launch
    sessions.on_login_gone = launch.forget
    web_files = resources.files("papertray") / "web"
    assets = {name: (web_files.joinpath(file).read_bytes(), ctype) for name, (file, ctype) in STATIC.items()}
    charset_tag = b'<meta charset="utf-8">'
    assert charset_tag in assets[""][0] and charset_tag in assets["inbox"][0]

    # ------------------------------------------------------------ token routes (the guard checks the bearer)

    async def login_link(request: web.Request) -> web.Response:
        body = await bodies.read_json(request, LOGIN_BODY, optional=True)
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        port = sockname[1] if isinstance(sockname, tuple) else 0
        view = body.get("view", "")
        if body.get("launcher"):
            return ok({"file": str(launcher_file(request.app, port, view)), "expires_in": int(LOGIN_TTL)})
        return ok({"url": login_url(request.app, port, view), "expires_in": int(LOGIN_TTL)})

    async def library_status(request: web.Request) -> web.Response:
        return ok(library.status())

    async def export(request: web.Request) -> web.StreamResponse:
        fmt = request.query.get("format", "bibtex")
        if fmt not in citations.FORMATS:
            return error(400, f"Unknown export format {fmt[:20]!r} (choose one of {', '.join(citations.FORMATS)}).")
        state = request.query.get("state", "saved")
        if state == "saved":
            views = library.reading_list()
        elif state in LISTED_STATES:
            views = store.query(state=State(state))
        elif state == "all":
            views = store.query()
        else:
            return error(400, "state must be saved, new, seen, read or all.")
        kind = TABLE[fmt]
        text = citations.export(await library.with_keys(views), fmt)
        return web.Response(
            text=text,
            content_type=kind.media_type,
            charset="utf-8",
            headers={hdrs.CONTENT_DISPOSITION: f'attachment; filename="papertray-{state}.{kind.extension}"'},
        )

    # ------------------------------------------------------------ the page

    async def page_asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name", "")
        if name not in assets:
            return error(404, "Not found.")
        body, ctype = assets[name]
        return web.Response(body=body, content_type=ctype, headers=PAGE_HEADERS)

    async def page_root(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={hdrs.LOCATION: "/library/"})

    async def login(request: web.Request) -> web.StreamResponse:
        if request.method == hdrs.METH_POST:
            form = await request.post()
            once, view = form.get("once"), form.get("view")
        else:
            once, view = request.query.get("once"), request.query.get("view")
        opened = sessions.redeem(once if isinstance(once, str) else "")
        if opened is None:
            return web.Response(
                status=403,
                text="This link was already used or has expired. Open the reading list again from the papertray "
                "tray menu, the extension, or `papertray open`.\n",
                content_type="text/plain",
                headers=PAGE_HEADERS,
            )
        sid, _session = opened
        shown = assets["inbox" if view in VIEWS else ""][0]
        page = shown.replace(charset_tag, charset_tag + SESSION_META % html.escape(sid).encode(), 1)
        response = web.Response(body=page, content_type="text/html", headers=PAGE_HEADERS)
        response.del_cookie(OLD_COOKIE, path="/library")
        log.info("reading-list session opened")
        return response

    @page_route(change=False)
    async def session_info(request: web.Request) -> web.Response:
        return ok({"header": SESSION_HEADER, "idle_seconds": int(SESSION_IDLE)})

    @page_route(change=False)
    async def list_papers(request: web.Request) -> web.Response:
        items = [_item(library, v, versions) for v in library.reading_list()]
        tags = sorted({t for item in items for t in item["tags"]}, key=str.casefold)
        return ok({"papers": items, "tags": tags, "status": library.status()})

    @page_route(change=False)
    async def bibtex(request: web.Request) -> web.Response:
        """BibTeX of some papers of the reading list (`?id=KEY&id=KEY`): Copy BibTeX, and a selection's export."""
        ids = [id_from_key(key) for key in request.query.getall("id", [])]
        if not ids or len(ids) > 10_000 or None in ids:
            return error(400, "Name the papers as id=<folder key>, at most 10,000 of them.")
        views = [v for v in (store.view(pid) for pid in dict.fromkeys(ids) if pid) if v.state.saved or v.state.read]
        if not views:
            return error(404, "None of these papers is in the reading list.")
        text = citations.export(await library.with_keys(views), "bibtex")
        return web.Response(text=text, content_type=TABLE["bibtex"].media_type, charset="utf-8", headers=PAGE_HEADERS)

    @page_route(change=True)
    async def patch_paper(request: web.Request) -> web.Response:
        paper_id = _paper_id(request)
        if paper_id is None:
            return error(400, "The path does not hold an arXiv paper id.")
        fields = await bodies.read_json(request, PAGE_PATCH)
        if not fields:
            return error(400, "Send at least one of read, saved, tags, note.")
        if "tags" in fields:
            fields["tags"] = user_fields.normalize_tags(fields["tags"])
        await store.update_state(paper_id, **fields)
        return ok(_item(library, store.view(paper_id), versions))

    @page_route(change=True)
    async def delete_paper(request: web.Request) -> web.Response:
        paper_id = _paper_id(request)
        if paper_id is None:
            return error(400, "The path does not hold an arXiv paper id.")
        view = store.view(paper_id)
        if not (view.state.saved or view.state.read):
            return error(404, "This paper is not in the reading list.")
        undo = await library.remove(paper_id)
        return ok({"id": paper_id, "undo": undo})

    @page_route(change=True)
    async def restore_paper(request: web.Request) -> web.Response:
        paper_id = _paper_id(request)
        if paper_id is None:
            return error(400, "The path does not hold an arXiv paper id.")
        body = await bodies.read_json(request, RESTORE, optional=True)
        await library.restore(paper_id, read=body.get("read") is True)
        return ok(_item(library, store.view(paper_id), versions))

    @page_route(change=True)
    async def retry_paper(request: web.Request) -> web.Response:
        paper_id = _paper_id(request)
        if paper_id is None:
            return error(400, "The path does not hold an arXiv paper id.")
        await library.retry(paper_id)
        return ok(_item(library, store.view(paper_id), versions))

    @page_route(change=False)
    async def pdf(request: web.Request) -> web.StreamResponse:
        paper_id = _paper_id(request)
        version_text = request.query.get("v", "")
        if paper_id is None or (version_text and not re.fullmatch(r"[1-9][0-9]{0,3}", version_text)):
            return error(404, "No such PDF.")
        path = library.pdf_path(paper_id, int(version_text) if version_text else None)
        if path is None:
            return error(404, "This PDF is not in the library (yet).")
        if versions is not None:  # opening a new version's PDF is looking at it: its "new" ends
            await versions.looked(paper_id, next((v for v, name in library.pdfs(paper_id) if name == path.name), None))
        filename = path.name  # built by papertray from a validated id: [A-Za-z0-9._-] only
        ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
        return web.FileResponse(
            path,
            headers={
                hdrs.CONTENT_TYPE: "application/pdf",
                hdrs.CONTENT_DISPOSITION: (
                    f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(filename)}"
                ),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
            },
        )

    key = "{key:[A-Za-z0-9._-]{1,64}}"
    app.router.add_post("/api/v1/library/login", login_link)
    app.router.add_get("/api/v1/library", library_status)
    app.router.add_get("/api/v1/export", export)
    app.router.add_post("/api/v1/import", import_handler(library, store))
    app.router.add_get("/library", page_root)
    app.router.add_get(LOGIN_PATH, login)
    app.router.add_post(LOGIN_PATH, login)
    app.router.add_get("/library/api/session", session_info)
    app.router.add_get("/library/api/papers", list_papers)
    app.router.add_get("/library/api/bibtex", bibtex)
    app.router.add_patch(f"/library/api/papers/{key}", patch_paper)
    app.router.add_delete(f"/library/api/papers/{key}", delete_paper)
    app.router.add_post(f"/library/api/papers/{key}/restore", restore_paper)
    app.router.add_post(f"/library/api/papers/{key}/retry", retry_paper)
    app.router.add_get(f"/library/pdf/{key}", pdf)
    names = "|".join(re.escape(name) for name in STATIC)
    app.router.add_get(f"/library/{{name:({names})}}", page_asset)
