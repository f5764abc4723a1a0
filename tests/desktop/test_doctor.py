"""`papertray doctor` against real parts: a notification server (dunst) on a private D-Bus bus, a display
(Xvfb), fixture HTTP servers on 127.0.0.1 for the feed and the port, and the files the daemon writes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from papertray.config import Config, Paths, load_config
from papertray.doctor import Check, check_port, run_checks
from tests.conftest import free_port
from tests.support.desktop_session import DesktopSession

pytestmark = pytest.mark.desktop

Serve = Callable[[web.Application], Awaitable[int]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> int:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return int(runner.addresses[0][1])

    yield start
    for runner in runners:
        await runner.cleanup()


def feed_app(status: int = 200, body: object = None) -> web.Application:
    async def daily(request: web.Request) -> web.Response:
        assert request.query.get("limit") == "1"
        return web.json_response([{"paper": {"id": "2511.00001"}}] if body is None else body, status=status)

    app = web.Application()
    app.router.add_get("/api/daily_papers", daily)
    return app


def config_for(home: Path, **changes: object) -> Config:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
    paths.ensure()
    return replace(load_config(paths, env={}), **changes)  # type: ignore[arg-type]


async def checks(config: Config) -> dict[str, Check]:
    return {check.name: check for check in await asyncio.to_thread(run_checks, config)}


async def test_everything_fine(
    home: Path, dunst: DesktopSession, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("gi")
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    feed = await serve(feed_app())
    config = config_for(home, hf_url=f"http://127.0.0.1:{feed}")
    tokens = config.paths.state_dir / "tokens.json"
    tokens.write_text(json.dumps({"schema": 1, "tokens": [
        {"name": "script", "kind": "script", "hash": "0" * 64},
        {"name": "ext", "kind": "extension", "hash": "1" * 64, "origin": "chrome-extension://abcdefghijklmnop"},
    ]}))  # fmt: skip
    found = await checks(config)
    assert list(found) == ["files", "keyring", "tray", "notifications", "port", "feed", "extension"]
    assert found["files"].ok and str(config.paths.config_file) in found["files"].detail
    assert found["tray"].ok and found["tray"].detail.startswith("backend gtk; limits: needs an XEmbed system tray")
    assert found["notifications"].ok and "dunst" in found["notifications"].detail
    assert found["port"].ok and "is free" in found["port"].detail
    assert found["feed"].ok and found["feed"].detail.endswith("answers (1 paper)")
    assert found["extension"] == Check("extension", True, "paired: chrome-extension://abcdefghijklmnop")
    for check in found.values():
        assert check.ok or check.fix, check  # every failure says how to fix it


async def test_failures_say_how_to_fix_them(
    home: Path, desktop_env: DesktopSession, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No notification server on the bus (dunst is not started here), no display, the feed failing,
    # another program on our port, and only a script token.
    monkeypatch.delenv("DISPLAY")
    feed = await serve(feed_app(status=503))

    async def other(request: web.Request) -> web.Response:
        return web.Response(text="not papertray")

    foreign = web.Application()
    foreign.router.add_get("/{tail:.*}", other)
    port = await serve(foreign)
    config = config_for(home, hf_url=f"http://127.0.0.1:{feed}", port=port)
    (config.paths.state_dir / "tokens.json").write_text(
        json.dumps({"schema": 1, "tokens": [{"name": "s", "kind": "script", "hash": "0" * 64}]})
    )
    found = await checks(config)
    assert not found["tray"].ok and "no display" in found["tray"].detail and "--no-tray" in found["tray"].fix
    assert not found["notifications"].ok and "notification server" in found["notifications"].fix
    assert not found["port"].ok and "used by another program" in found["port"].detail
    assert "PAPERTRAY_PORT" in found["port"].fix
    assert not found["feed"].ok and "HTTP 503" in found["feed"].detail
    assert not found["extension"].ok and "papertray pair" in found["extension"].fix
    assert all(check.fix for check in found.values() if not check.ok)


async def test_port_held_by_our_daemon(home: Path, serve: Serve) -> None:
    # Stands in for the running daemon: answers /api/v1/health the way the real API does (the lead's
    # DaemonProcess-based test covers the real one once it is on main).
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "version": "0.1.0"}, headers={"X-Papertray-Version": "0.1.0"})

    app = web.Application()
    app.router.add_get("/api/v1/health", health)
    port = await serve(app)
    config = config_for(home, port=port)
    config.paths.daemon_file.write_text(json.dumps({"pid": 4242, "port": port, "version": "0.1.0"}))
    found = await checks(config)
    assert found["port"] == Check("port", True, f"127.0.0.1:{port} is held by our daemon (papertray 0.1.0, pid 4242)")


def papertray_health_app() -> web.Application:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "version": "0.1.0"}, headers={"X-Papertray-Version": "0.1.0"})

    app = web.Application()
    app.router.add_get("/api/v1/health", health)
    return app


async def test_papertray_running_on_another_port_is_named_with_the_port_it_will_use_next(
    home: Path, serve: Serve
) -> None:
    running = await serve(papertray_health_app())
    foreign = await serve(web.Application())
    free = free_port()
    config = config_for(home, port=free)
    config.paths.daemon_file.write_text(json.dumps({"pid": 4242, "port": running, "version": "0.1.0"}))
    found = await asyncio.to_thread(check_port, config)
    assert found == Check(
        "port",
        True,
        f"papertray 0.1.0 runs on 127.0.0.1:{running} (pid 4242); the configured port {free} is free for its next "
        "start",
    )
    taken = await asyncio.to_thread(check_port, replace(config, port=foreign))
    assert not taken.ok
    assert taken.detail.endswith(f"the configured port {foreign} is used by another program")
    assert "Before papertray restarts, choose another port" in taken.fix
