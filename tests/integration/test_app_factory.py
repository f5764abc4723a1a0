"""The one composition root (`app.build_app`, issue 12): what it is given lives exactly as long as the app, so
the daemon, the test servers and the benchmarks need no shutdown code of their own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from papertray import app
from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.library import Library
from papertray.store import Store


def _config(home: Path) -> Config:
    return Config(paths=Paths(home / "config.toml", home / "data", home / "cache", home / "state", home / "logs"))


async def test_the_apps_cleanup_cancels_its_loops_and_closes_what_it_was_given(tmp_path: Path) -> None:
    config = _config(tmp_path / "home")
    config.paths.ensure()
    store = Store.open(config.paths.data_dir, EventBus())
    library = Library(lambda: config, store, store.bus)
    application = app.build_app(lambda: config, store, library=library)
    runner, port = await app.serve(application)
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def loop() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    app.start_loops(application, {"a-loop": loop})
    await started.wait()
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/api/v1/health") as resp:
        assert resp.status == 200  # served on 127.0.0.1, as the daemon serves it
    await store.update_state("2301.00001", saved=True)

    await runner.cleanup()
    assert cancelled.is_set()
    with pytest.raises(RuntimeError):  # the store's writers are shut down: it was closed, after its last save
        await store.update_state("2301.00002", saved=True)
    reopened = Store.open(config.paths.data_dir, EventBus())
    assert reopened.view("2301.00001").state.saved
    await reopened.close()


async def test_a_port_in_use_closes_the_parts_and_says_so(tmp_path: Path) -> None:
    config = _config(tmp_path / "home")
    config.paths.ensure()
    first = app.build_app(lambda: config, Store.open(config.paths.data_dir / "a", EventBus()))
    runner, port = await app.serve(first)
    store = Store.open(config.paths.data_dir / "b", EventBus())
    try:
        with pytest.raises(OSError):
            await app.serve(app.build_app(lambda: config, store), port=port)
        with pytest.raises(RuntimeError):  # closed by the failed serve: nothing left for the caller to close
            await store.update_state("2301.00001", saved=True)
    finally:
        await runner.cleanup()
