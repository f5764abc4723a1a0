"""openapi.json and the router agree: every route has a spec entry, every spec entry a route."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp import web

from papertray.api.routes_system import load_spec
from tests.support.api_server import ApiServer


def _routes(app: web.Application) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes():
        if route.method in ("HEAD", "*"):
            continue
        if route.resource is not None and not route.resource.canonical.startswith("/api/"):
            continue  # the reading-list page (/library/...) is a web page, not part of the API spec
        found.add((route.method.lower(), route.resource.canonical if route.resource else ""))
    return found


def _spec_operations(spec: dict[str, object]) -> set[tuple[str, str]]:
    paths = spec["paths"]
    assert isinstance(paths, dict)
    return {(method, path) for path, item in paths.items() for method in item}


async def test_every_route_has_a_spec_entry_and_every_entry_a_route(tmp_path: Path) -> None:
    server = await ApiServer(tmp_path / "home").start()
    try:
        routes = _routes(server.app)
        async with (
            aiohttp.ClientSession() as session,
            session.get(server.url("openapi.json"), headers=server.auth()) as resp,
        ):
            assert resp.status == 200
            served = await resp.json()
    finally:
        await server.stop()
    assert len(routes) >= 17
    assert routes == _spec_operations(served)
    assert served == {**load_spec(), "info": served["info"]}
    from papertray import __version__

    assert served["info"]["version"] == __version__


def test_every_operation_documents_errors_and_security() -> None:
    spec = load_spec()
    public = {("get", "/api/v1/health"), ("post", "/api/v1/pair")}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert op["operationId"] and op["summary"], (method, path)
            codes = set(op["responses"])
            assert "403" in codes, (method, path)
            if (method, path) in public:
                assert op["security"] == []
            else:
                assert "security" not in op  # inherits the global bearer requirement
                assert "401" in codes, (method, path)
            if method in ("post", "patch") and "requestBody" in op:
                assert "415" in codes and "413" in codes, (method, path)
