"""The v1 routes of design.md "The contract", against a real server on a free loopback port with a real Store
in a temp dir: lookup in every accepted id form, paging and filters, one paper (old-style ids too), save,
unsave, seen, PATCH, status, poll, the event stream, and the CLI-only pairing and token routes."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from papertray.config import Config, Rule
from papertray.store import Store
from tests.support.api_server import EXT, ApiServer, pair_extension, sample_papers
from tests.support.feed_server import Fault, day_ids, make_day

PAPER = "2503.10001"
DAY = "2025-04-01"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ApiServer]:
    srv = await ApiServer(tmp_path / "home", papers=sample_papers(40), heartbeat=0.05).start()
    yield srv
    await srv.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def api(
    server: ApiServer, session: aiohttp.ClientSession, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {"headers": server.auth(**headers)}
    if body is not None:
        kwargs["json"] = body
    async with session.request(method, server.url(path), **kwargs) as resp:
        return resp.status, await resp.json()


# ------------------------------------------------------------------------------------------------ lookup


async def test_lookup_answers_every_accepted_form_by_canonical_id(
    server: ApiServer, session: aiohttp.ClientSession
) -> None:
    forms = [
        "2503.10001",
        "2503.10002v3",
        "arXiv:2503.10003",
        "https://arxiv.org/abs/2503.10004v2",
        "https://arxiv.org/pdf/2503.10005",
        "https://arxiv.org/html/2503.10006v1",
        "https://huggingface.co/papers/2503.10007",
        "hep-th/9901001",
        "https://arxiv.org/abs/hep-th/9901001v2",
        "2401.99999",
        "not a paper",
    ]
    status, data = await api(server, session, "POST", "lookup", {"ids": forms})
    assert status == 200
    papers = data["papers"]
    assert set(papers) == {f"2503.1000{i}" for i in range(1, 8)} | {"hep-th/9901001", "2401.99999"}
    assert papers["2503.10001"] == {
        "state": "new",
        "saved": False,
        "read": False,
        "dismissed": False,
        "title": "Paper 1",
        "rank": None,  # nothing learned: no standing in its day yet
        "why": None,
        "for_you": False,
    }
    assert papers["hep-th/9901001"]["title"] == "An old-style paper"
    assert papers["2401.99999"]["state"] == "unknown"
    assert papers["2401.99999"]["title"] is None
    assert data["refs"]["https://huggingface.co/papers/2503.10007"] == "2503.10007"
    assert "2503.10001" not in data["refs"]
    assert data["invalid"] == ["not a paper"]


async def test_lookup_takes_500_ids_and_reflects_user_state(server: ApiServer, session: aiohttp.ClientSession) -> None:
    await api(server, session, "POST", f"papers/{PAPER}/save", {})
    ids = [f"2503.{10000 + i}" for i in range(500)]
    status, data = await api(server, session, "POST", "lookup", {"ids": ids})
    assert status == 200
    assert len(data["papers"]) == 500
    assert data["papers"][PAPER]["state"] == "saved" and data["papers"][PAPER]["saved"] is True
    assert data["papers"]["2503.10499"]["state"] == "unknown"


async def test_repeated_lookups_see_every_change(server: ApiServer, session: aiohttp.ClientSession) -> None:
    body = {"ids": [PAPER, "2504.01001"]}
    _, first = await api(server, session, "POST", "lookup", body)
    assert first["papers"][PAPER]["state"] == "new" and first["papers"]["2504.01001"]["state"] == "unknown"
    await api(server, session, "POST", f"papers/{PAPER}/save", {})
    _, second = await api(server, session, "POST", "lookup", body)
    assert second["papers"][PAPER]["state"] == "saved"
    server.feed.days[DAY] = make_day(DAY, 1)
    await api(server, session, "POST", "poll", {"days": [DAY]})
    _, third = await api(server, session, "POST", "lookup", body)
    assert third["papers"]["2504.01001"] == {
        "state": "new",
        "saved": False,
        "read": False,
        "dismissed": False,
        "title": "Paper 2504.01001: a study",
        "rank": None,  # nothing learned: no standing in its day yet
        "why": None,
        "for_you": False,
    }


# ------------------------------------------------------------------------------------------------ listing


async def test_papers_pages_with_a_cursor_without_gaps_or_repeats(
    server: ApiServer, session: aiohttp.ClientSession
) -> None:
    expected = [view.id for view in server.store.query()]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "papers?limit=7" + (f"&cursor={cursor}" if cursor else "")
        status, page = await api(server, session, "GET", path)
        assert status == 200
        assert page["total"] == len(expected)
        seen += [paper["id"] for paper in page["papers"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == -(-len(expected) // 7)


async def test_papers_filters(server: ApiServer, session: aiohttp.ClientSession) -> None:
    await api(server, session, "POST", "papers/2503.10003/save", {})
    await api(server, session, "PATCH", "papers/2503.10004", {"dismissed": True, "tags": ["sae"]})
    await api(server, session, "PATCH", "papers/2503.10005", {"read": True})
    _, saved = await api(server, session, "GET", "papers?state=saved")
    assert [p["id"] for p in saved["papers"]] == ["2503.10003"]
    _, read = await api(server, session, "GET", "papers?state=read")
    assert [p["id"] for p in read["papers"]] == ["2503.10005"]
    _, only = await api(server, session, "GET", "papers?dismissed=only")
    assert [p["id"] for p in only["papers"]] == ["2503.10004"]
    _, without = await api(server, session, "GET", "papers?dismissed=exclude&limit=500")
    assert "2503.10004" not in {p["id"] for p in without["papers"]}
    _, tagged = await api(server, session, "GET", "papers?tag=sae")
    assert [p["id"] for p in tagged["papers"]] == ["2503.10004"]
    _, since = await api(server, session, "GET", "papers?since=2025-03-27&limit=500")
    assert since["papers"] and all(p["daily_date"] >= "2025-03-27" for p in since["papers"])
    for bad in ("state=weird", "since=yesterday", "limit=0", "limit=501", "limit=1e3", "cursor=!!", "colour=red"):
        status, body = await api(server, session, "GET", f"papers?{bad}")
        assert status == 400, bad
        assert body["ok"] is False


# ------------------------------------------------------------------------------------------------ one paper


async def test_old_style_ids_work_with_a_slash_or_percent_2f(server: ApiServer, session: aiohttp.ClientSession) -> None:
    for path in ("papers/hep-th/9901001", "papers/hep-th%2F9901001", "papers/arXiv:hep-th/9901001v2"):
        status, paper = await api(server, session, "GET", path)
        assert status == 200, path
        assert paper["id"] == "hep-th/9901001"
    status, paper = await api(server, session, "POST", "papers/hep-th/9901001/save", {})
    assert status == 200 and paper["saved"] is True
    status, paper = await api(server, session, "DELETE", "papers/hep-th/9901001/save")
    assert status == 200 and paper["saved"] is False


@pytest.mark.parametrize(
    "path",
    [
        "papers/..%2f..%2fetc%2fpasswd",
        "papers/%252e%252e%252f",
        "papers/..%5C..%5Cwin.ini",
        "papers/%2Fetc%2Fpasswd",
        "papers/C:%5CWindows%5Cwin.ini",
        "papers/2503.10001%00.pdf",
        "papers/" + "1" * 10_000,
        "papers/2503.10001.pdf",
        "papers/2503.123",
        "papers/x/2503.10001",
    ],
)
async def test_traversal_shaped_ids_never_reach_the_store(
    server: ApiServer, session: aiohttp.ClientSession, path: str
) -> None:
    for method, body in (("GET", None), ("PATCH", {"read": True}), ("POST", {})):
        target = path + ("/save" if method == "POST" else "")
        async with session.request(method, server.url(target), json=body, headers=server.auth()) as resp:
            assert resp.status in (400, 404), (method, target, resp.status)
            if len(path) < 8000:  # a 10,000-character line is refused by aiohttp's parser itself, in plain text
                assert (await resp.json())["ok"] is False
    assert server.store.counts()["read"] == 0 and server.store.counts()["saved"] == 0


async def test_unknown_paper_is_404(server: ApiServer, session: aiohttp.ClientSession) -> None:
    status, data = await api(server, session, "GET", "papers/2401.99999")
    assert status == 404
    assert data == {"ok": False, "error": "Paper 2401.99999 is not in the library.", "status": 404}


async def test_save_patch_and_seen_are_durable(server: ApiServer, session: aiohttp.ClientSession) -> None:
    status, paper = await api(server, session, "POST", f"papers/{PAPER}v2/save", {})
    assert status == 200 and paper["state"] == "saved" and paper["saved_at"]
    status, paper = await api(
        server, session, "PATCH", f"papers/{PAPER}", {"read": True, "tags": ["sae", "sae", " x "], "note": "n"}
    )
    assert status == 200
    assert (paper["state"], paper["tags"], paper["note"]) == ("read", ["sae", "x"], "n")
    status, result = await api(
        server, session, "POST", "seen", {"ids": ["2503.10002", "https://arxiv.org/abs/2503.10003", "junk"]}
    )
    assert status == 200
    assert result["papers"]["2503.10003"]["state"] == "seen"
    assert result["invalid"] == ["junk"]
    status, paper = await api(server, session, "POST", "papers/2401.55555/save", {})
    assert status == 200 and paper["state"] == "saved" and not paper.get("title")
    # Unsaving keeps the rest of what the user did.
    status, paper = await api(server, session, "DELETE", f"papers/{PAPER}/save")
    assert paper["saved"] is False and paper["state"] == "read" and paper["tags"] == ["sae", "x"]
    # What the API acknowledged is on disk: a fresh Store over the same folder sees it.
    reopened = Store.open(server.paths.data_dir)
    try:
        assert reopened.view(PAPER).state.read_at
        assert reopened.view(PAPER).state.tags == ("sae", "x")
        assert reopened.view("2503.10002").state.seen_at
        assert reopened.view("2401.55555").state.saved_at
    finally:
        await reopened.close()


async def test_save_without_a_body_is_fine(server: ApiServer, session: aiohttp.ClientSession) -> None:
    headers = server.auth(**{"Content-Type": "application/json"})
    async with session.post(server.url(f"papers/{PAPER}/save"), headers=headers) as resp:
        assert resp.status == 200
    async with session.post(server.url(f"papers/{PAPER}/save"), headers=headers, json={"x": 1}) as resp:
        assert resp.status == 400


# ------------------------------------------------------------------------------------------------ status, poll


async def test_status_shows_sources_counts_rules_and_problems(
    server: ApiServer, session: aiohttp.ClientSession
) -> None:
    server.config = Config(
        paths=server.paths, hf_url=server.feed.url, rules=(Rule(name="interp", keywords=("sparse autoencoder",)),)
    )
    server.problems.append("The config file has an error on line 3.")
    # a failing regular poll (a backfill's failures are not the source's errors: test_backfill_cli.py)
    server.feed.fail_next(Fault.http(503))
    status, report = await api(server, session, "POST", "poll", {})
    assert status == 200 and report["error"]
    status, data = await api(server, session, "GET", "status")
    assert status == 200
    assert data["counts"]["total"] == 41
    assert [r["name"] for r in data["rules"]] == ["interp"]
    assert data["rules"][0]["keywords"] == ["sparse autoencoder"]
    assert data["problems"] == ["The config file has an error on line 3."]
    [source] = data["sources"]
    assert source["name"] == "hf" and source["error_count"] == 1 and source["last_error"]
    assert data["errors"] == [
        {"source": "hf", "error": source["last_error"], "at": source["last_error_at"], "count": 1}
    ]


async def test_poll_fetches_the_given_days_and_returns_the_report(
    server: ApiServer, session: aiohttp.ClientSession
) -> None:
    server.feed.days[DAY] = make_day(DAY, 3)
    status, report = await api(server, session, "POST", "poll", {"days": [DAY]})
    assert status == 200
    assert report["days"] == [DAY] and report["error"] is None
    assert sorted(report["new"]) == sorted(day_ids(DAY, 3))
    assert server.feed.days_requested() == [DAY]
    status, report = await api(server, session, "POST", "poll", {"days": [DAY]})
    assert status == 200 and report["new"] == [] and report["fetched"] == 3
    _, found = await api(server, session, "POST", "lookup", {"ids": day_ids(DAY, 3)})
    assert {p["state"] for p in found["papers"].values()} == {"new"}
    for bad in (
        {"days": []},
        {"days": ["April 1"]},
        {"days": "2025-04-01"},
        {"day": [DAY]},
        {"days": ["2025-02-30"]},
        {"days": ["2999-01-01"]},
    ):
        status, body = await api(server, session, "POST", "poll", bad)
        assert status == 400, bad
        assert body["ok"] is False
    assert server.feed.days_requested() == [DAY, DAY]


# ------------------------------------------------------------------------------------------------ events


class SSE:
    """A minimal event-stream reader over a real HTTP response."""

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self.resp = resp
        self.comments = 0

    async def next(self) -> dict[str, str]:
        event: dict[str, str] = {}
        while True:
            line = (await asyncio.wait_for(self.resp.content.readline(), 10)).decode().rstrip("\n")
            if line == "":
                if event:
                    return event
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            name, _, value = line.partition(": ")
            event[name] = value


async def test_events_stream_new_papers_and_state_changes(server: ApiServer, session: aiohttp.ClientSession) -> None:
    token = await pair_extension(server, session)
    async with session.get(server.url("events"), headers=server.auth(token)) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/event-stream"
        assert resp.headers["X-Papertray-API-Version"] == "1"
        stream = SSE(resp)
        server.feed.days[DAY] = make_day(DAY, 1)
        [streamed] = day_ids(DAY, 1)
        await api(server, session, "POST", "poll", {"days": [DAY]})
        kinds = []
        while True:
            event = await stream.next()
            kinds.append(event["event"])
            if event["event"] == "paper.new":
                break
        assert kinds == ["poll.started", "paper.new"]
        assert orjson.loads(event["data"]) == {"id": streamed, "title": f"Paper {streamed}: a study"}
        first_id = int(event["id"])
        assert (await stream.next())["event"] == "poll.done"
        await api(server, session, "POST", f"papers/{streamed}/save", {})
        event = await stream.next()
        assert event["event"] == "paper.state"
        assert orjson.loads(event["data"])["state"] == "saved"
        assert int(event["id"]) > first_id
        # Heartbeats keep coming while nothing happens.
        pings = 0
        while pings < 3:
            pings += (await asyncio.wait_for(resp.content.readline(), 10)).startswith(b": ping")
    # Reconnecting with Last-Event-ID replays what came after it.
    await api(server, session, "PATCH", f"papers/{streamed}", {"read": True})
    headers = server.auth(token, **{"Last-Event-ID": str(first_id)})
    async with session.get(server.url("events"), headers=headers) as resp:
        stream = SSE(resp)
        replayed = [await stream.next() for _ in range(3)]
        assert [e["event"] for e in replayed] == ["poll.done", "paper.state", "paper.state"]
        assert orjson.loads(replayed[2]["data"])["state"] == "read"


async def test_events_resync_when_the_gap_is_unknown(server: ApiServer, session: aiohttp.ClientSession) -> None:
    headers = server.auth(**{"Last-Event-ID": str(server.bus.last_id + 1000)})
    async with session.get(server.url("events"), headers=headers) as resp:
        assert (await SSE(resp).next())["event"] == "resync"
    async with session.get(server.url("events"), headers=server.auth(**{"Last-Event-ID": "x1"})) as resp:
        assert resp.status == 400


async def test_open_streams_do_not_hold_up_shutdown(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    server = await ApiServer(tmp_path / "home").start()
    resp = await session.get(server.url("events"), headers=server.auth())
    assert resp.status == 200
    assert server.bus.subscriber_count == 1
    await server.stop()
    assert server.bus.subscriber_count == 0
    resp.close()


# ------------------------------------------------------------------------------------------------ pairing, tokens


async def test_cli_token_is_written_0600_and_rotated(tmp_path: Path) -> None:
    server = await ApiServer(tmp_path / "home").start()
    path = server.paths.state_dir / "cli.token"
    first = path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    await server.stop()
    server = await ApiServer(tmp_path / "home").start()
    assert path.read_text() != first
    await server.stop()


async def test_pairing_and_token_management_are_cli_only(server: ApiServer, session: aiohttp.ClientSession) -> None:
    status, code = await api(server, session, "POST", "pair/code", {})
    assert status == 201 and len(code["code"]) == 14 and code["expires_at"] > 0
    async with session.post(server.url("pair"), json={"code": code["code"].lower()}, headers={"Origin": EXT}) as resp:
        assert resp.status == 201
        ext_token = (await resp.json())["token"]
    status, created = await api(server, session, "POST", "tokens", {"name": "backup-script"})
    assert status == 201 and created["kind"] == "script"
    script = created["token"]
    for token in (ext_token, script):
        for method, path, body in (
            ("POST", "pair/code", {}),
            ("GET", "tokens", None),
            ("POST", "tokens", {"name": "more"}),
            ("DELETE", "tokens/backup-script", None),
        ):
            async with session.request(method, server.url(path), json=body, headers=server.auth(token)) as resp:
                assert resp.status == 403, (path, method)
    status, listed = await api(server, session, "GET", "tokens")
    assert sorted((t["kind"], t["origin"]) for t in listed["tokens"]) == [("extension", EXT), ("script", None)]
    assert "backup-script" in {t["name"] for t in listed["tokens"]}
    assert all(set(t) == {"name", "kind", "origin", "created_at"} for t in listed["tokens"])
    status, _ = await api(server, session, "POST", "tokens", {"name": "backup-script"})
    assert status == 409
    status, _ = await api(server, session, "POST", "tokens", {"name": "no spaces"})
    assert status == 400
    status, _ = await api(server, session, "DELETE", "tokens/nobody")
    assert status == 404
