"""Lookup answers what the store holds right now, also after writes that announce nothing on the event bus
(a state change made with `event=False`, a poll that only updates a title): no cached badge may outlive the
write that changed it. Real server on a free loopback port, real Store in a temp dir."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.api_server import ApiServer, sample_papers

PAPER = "2503.10001"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ApiServer]:
    srv = await ApiServer(tmp_path / "home", papers=sample_papers(5)).start()
    yield srv
    await srv.stop()


async def lookup(server: ApiServer, body: dict[str, Any]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.url("lookup"), json=body, headers=server.auth()) as resp,
    ):
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data


async def test_lookup_sees_a_state_change_that_published_no_event(server: ApiServer) -> None:
    body = {"ids": [PAPER, "2503.10002"]}
    first = await lookup(server, body)
    assert first["papers"][PAPER]["saved"] is False
    events_before = server.bus.last_id
    await server.store.update_states({PAPER: {"saved": True}}, event=False)
    assert server.bus.last_id == events_before  # nothing announced the change
    again = await lookup(server, body)  # the very same request body
    assert again["papers"][PAPER]["saved"] is True
    assert again["papers"][PAPER]["state"] == "saved"


async def test_lookup_sees_a_title_updated_by_a_poll_that_added_nothing(server: ApiServer) -> None:
    body = {"ids": [PAPER]}
    first = await lookup(server, body)
    old = server.store.get_paper(PAPER)
    assert old is not None and first["papers"][PAPER]["title"] == old.title
    events_before = server.bus.last_id
    result = await server.store.add_papers([replace(old, title="A corrected title")])
    assert result.updated == 1 and not result.new
    assert server.bus.last_id == events_before  # an update is not announced as paper.new
    again = await lookup(server, body)
    assert again["papers"][PAPER]["title"] == "A corrected title"
