"""security.md §6.1-6.6 and 6.8 item 43, one test per checklist item, against a real API server on a free
loopback port (AppRunner + TCPSite on 127.0.0.1, as app.py serves it) with a real Store in a temp dir.
Requests no HTTP client would send go over raw sockets."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest

from papertray.api.bodies import MAX_BODY_BYTES
from papertray.api.guard import FailureLimiter
from papertray.api.keys import CONNECTIONS
from papertray.api.pairing import PairingCodes
from papertray.api.routes_system import load_spec
from papertray.api.tokens import hash_token
from papertray.config import parse_config
from papertray.errors import ConfigError
from tests.support.api_server import (
    EXT,
    MOZ_A,
    MOZ_B,
    ApiServer,
    pair_extension,
    raw_request,
    sample_papers,
    status_of,
)

PAPER = "2503.10001"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ApiServer]:
    srv = await ApiServer(tmp_path / "home", papers=sample_papers()).start()
    yield srv
    await srv.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def call(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: object
) -> tuple[int, dict[str, str], bytes]:
    async with session.request(method, url, **kwargs) as resp:  # type: ignore[arg-type]
        return resp.status, dict(resp.headers), await resp.read()


def assert_error_body(body: bytes, status: int) -> None:
    data = orjson.loads(body)
    assert data["ok"] is False and data["status"] == status
    assert isinstance(data["error"], str) and data["error"].endswith(".")


async def raw(server: ApiServer, data: bytes) -> bytes:
    return await asyncio.to_thread(raw_request, server.port, data)


# ---------------------------------------------------------------------------------------------- 6.1 binding


async def test_6_1_1_listening_sockets_are_loopback_only(server: ApiServer) -> None:
    sockets = [sock for site in server.runner.sites for sock in site._server.sockets]  # type: ignore[union-attr]
    assert sockets, "the site is listening"
    assert {sock.getsockname()[0] for sock in sockets} == {"127.0.0.1"}
    # A non-loopback address of this machine, if it has one, does not reach the API.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
        own = probe.getsockname()[0]
    except OSError:
        own = None
    finally:
        probe.close()
    if own and not own.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((own, server.port), timeout=2).close()


def test_6_1_2_no_setting_can_bind_beyond_loopback(tmp_path: Path) -> None:
    from papertray.config import Paths

    paths = Paths.from_env({"PAPERTRAY_HOME": str(tmp_path)})
    for text in ('[daemon]\nhost = "0.0.0.0"\n', '[daemon]\nbind = "::"\n'):
        with pytest.raises(ConfigError, match="unknown key"):
            parse_config(text, paths.config_file, paths, env={})


# ------------------------------------------------------------------------------------- 6.2 Host / rebinding


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("origin", [None, EXT])
async def test_6_2_3_foreign_host_is_403(
    server: ApiServer, session: aiohttp.ClientSession, method: str, origin: str | None
) -> None:
    await pair_extension(server, session)
    headers = server.auth(Host=f"evil.example:{server.port}")
    if origin:
        headers["Origin"] = origin
    path = "papers" if method == "GET" else "lookup"
    status, resp_headers, body = await call(session, method, server.url(path), headers=headers, json={"ids": [PAPER]})
    assert status == 403
    assert_error_body(body, 403)
    assert "Access-Control-Allow-Origin" not in resp_headers


async def test_6_2_4_rebinding_host_and_origin_is_403(server: ApiServer, session: aiohttp.ClientSession) -> None:
    evil = f"evil.example:{server.port}"
    status, headers, _ = await call(
        session, "GET", server.url("papers"), headers=server.auth(Host=evil, Origin=f"http://{evil}")
    )
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers


async def test_6_2_5_missing_host_is_403(server: ApiServer) -> None:
    response = await raw(
        server, f"GET /api/v1/papers HTTP/1.0\r\nAuthorization: Bearer {server.token}\r\n\r\n".encode()
    )
    assert status_of(response) == 403
    assert b'"papers"' not in response


async def test_6_2_6_duplicate_host_is_rejected(server: ApiServer) -> None:
    good = f"127.0.0.1:{server.port}"
    for second in (good, f"evil.example:{server.port}"):
        response = await raw(
            server,
            f"GET /api/v1/papers HTTP/1.1\r\nHost: {good}\r\nHost: {second}\r\n"
            f"Authorization: Bearer {server.token}\r\nConnection: close\r\n\r\n".encode(),
        )
        assert status_of(response) in (400, 403)
        assert b'"papers"' not in response


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{p1}",
        "localhost.:{p}",
        "127.1:{p}",
        "2130706433:{p}",
        "0x7f000001:{p}",
        "LOCALHOST:{p}",  # decided: exact match only, browsers send lower case
        "[::1]:{p}",  # not bound, so not accepted
        "127.0.0.1",
        "localhost",
        "127.0.0.1:{p}.evil.example",
        "127.0.0.1:{p}@evil.example",
    ],
)
async def test_6_2_7_lookalike_hosts_are_403(server: ApiServer, host: str) -> None:
    value = host.format(p=server.port, p1=server.port + 1)
    response = await raw(
        server,
        f"GET /api/v1/status HTTP/1.1\r\nHost: {value}\r\nAuthorization: Bearer {server.token}\r\n"
        "Connection: close\r\n\r\n".encode(),
    )
    assert status_of(response) in (400, 403), response[:200]


@pytest.mark.parametrize("host", ["127.0.0.1:{p}", "localhost:{p}"])
async def test_6_2_8_loopback_hosts_pass(server: ApiServer, session: aiohttp.ClientSession, host: str) -> None:
    status, _, body = await call(
        session, "GET", server.url("status"), headers=server.auth(Host=host.format(p=server.port))
    )
    assert status == 200
    assert orjson.loads(body)["counts"]["total"] == len(sample_papers())


# ------------------------------------------------------------------------------ 6.3 Origin / CORS / preflight


async def test_6_3_9_foreign_origin_is_403_without_acao(server: ApiServer, session: aiohttp.ClientSession) -> None:
    for method, path in (("GET", "papers"), ("POST", "lookup"), ("GET", "health")):
        status, headers, body = await call(
            session,
            method,
            server.url(path),
            headers=server.auth(Origin="https://evil.example"),
            json={"ids": [PAPER]},
        )
        assert status == 403, path
        assert_error_body(body, 403)
        assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        "http://127.0.0.1:3000",
        "http://127.0.0.1:{p}",
        "http://localhost:{p}",
        "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba",
        MOZ_B,
        "file://",
    ],
)
async def test_6_3_10_other_origins_are_403(server: ApiServer, session: aiohttp.ClientSession, origin: str) -> None:
    await pair_extension(server, session, EXT)
    await pair_extension(server, session, MOZ_A)
    status, headers, _ = await call(
        session, "GET", server.url("papers"), headers=server.auth(Origin=origin.format(p=server.port))
    )
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers


async def test_6_3_11_no_origin_with_token_is_200(server: ApiServer, session: aiohttp.ClientSession) -> None:
    token = await pair_extension(server, session)
    status, headers, body = await call(session, "GET", server.url("papers"), headers=server.auth(token))
    assert status == 200
    assert len(orjson.loads(body)["papers"]) == len(sample_papers())
    assert "Access-Control-Allow-Origin" not in headers


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


async def test_6_3_12_preflight_from_evil_is_403(server: ApiServer, session: aiohttp.ClientSession) -> None:
    for origin in ("https://evil.example", "null", f"http://127.0.0.1:{server.port}"):
        status, headers, _ = await call(
            session, "OPTIONS", server.url("lookup"), headers={"Origin": origin, **PREFLIGHT}
        )
        assert status == 403
        assert not any(name.lower().startswith("access-control-") for name in headers)


async def test_6_3_13_private_network_preflight_is_403(server: ApiServer, session: aiohttp.ClientSession) -> None:
    pna = {**PREFLIGHT, "Access-Control-Request-Private-Network": "true"}
    status, headers, _ = await call(
        session, "OPTIONS", server.url("lookup"), headers={"Origin": "https://evil.example", **pna}
    )
    assert status == 403
    assert "Access-Control-Allow-Private-Network" not in headers
    # The paired extension's preflight is answered with its exact origin, still without private-network access.
    await pair_extension(server, session)
    status, headers, _ = await call(session, "OPTIONS", server.url("lookup"), headers={"Origin": EXT, **pna})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == EXT
    assert "Access-Control-Allow-Private-Network" not in headers
    assert "Access-Control-Allow-Credentials" not in headers
    assert "POST" in headers["Access-Control-Allow-Methods"]
    # Before pairing, an extension may preflight the pairing call itself, and nothing else.
    status, headers, _ = await call(session, "OPTIONS", server.url("pair"), headers={"Origin": MOZ_A, **PREFLIGHT})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == MOZ_A
    status, headers, _ = await call(session, "OPTIONS", server.url("lookup"), headers={"Origin": MOZ_A, **PREFLIGHT})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    # A method the route does not take is not granted.
    status, _, _ = await call(
        session,
        "OPTIONS",
        server.url("lookup"),
        headers={"Origin": EXT, "Access-Control-Request-Method": "DELETE"},
    )
    assert status == 403


def _operations() -> list[tuple[str, str]]:
    ops = []
    for path, item in load_spec()["paths"].items():
        for method in item:
            ops.append((method.upper(), path.replace("{id}", PAPER).replace("{name}", "nobody")))
    return ops


@pytest.mark.parametrize(("method", "path"), _operations())
async def test_6_3_14_no_wildcard_or_credentials_on_any_route(
    server: ApiServer, session: aiohttp.ClientSession, method: str, path: str
) -> None:
    await pair_extension(server, session)
    url = server.base + path
    for origin in (None, EXT, "https://evil.example"):
        headers = server.auth(**({"Origin": origin} if origin else {}))
        for verb in (method, "OPTIONS"):
            extra = PREFLIGHT if verb == "OPTIONS" else {}
            kwargs: dict[str, object] = {"headers": {**headers, **extra}}
            if verb in ("POST", "PATCH"):
                kwargs["json"] = {}
            if path.endswith("/events") and verb == "GET":
                kwargs["timeout"] = aiohttp.ClientTimeout(total=5)
                async with session.get(url, **kwargs) as resp:  # type: ignore[arg-type]
                    got = dict(resp.headers)
            else:
                _, got, _ = await call(session, verb, url, **kwargs)
            assert got["X-Papertray-Version"] and got["X-Papertray-API-Version"] == "1", (verb, origin)
            assert got["X-Content-Type-Options"] == "nosniff" and got["Cache-Control"] == "no-store"
            assert got.get("Access-Control-Allow-Origin") != "*"
            assert "Access-Control-Allow-Credentials" not in got
            assert "Access-Control-Allow-Private-Network" not in got
            if origin not in (None, EXT):
                assert "Access-Control-Allow-Origin" not in got


async def test_6_3_15_sec_fetch_cross_site_and_navigate_are_403(
    server: ApiServer, session: aiohttp.ClientSession
) -> None:
    status, _, _ = await call(
        session,
        "POST",
        server.url(f"papers/{PAPER}/save"),
        headers=server.auth(Origin="https://evil.example", **{"Sec-Fetch-Site": "cross-site"}),
        json={},
    )
    assert status == 403
    status, _, _ = await call(
        session, "GET", server.url("papers"), headers=server.auth(**{"Sec-Fetch-Mode": "navigate"})
    )
    assert status == 403
    assert server.store.view(PAPER).state.saved_at is None


# ------------------------------------------------------------------------------------------- 6.4 authentication


async def test_6_4_16_missing_authorization_is_401(server: ApiServer, session: aiohttp.ClientSession) -> None:
    bodies = set()
    for path in (f"papers/{PAPER}", "papers/2501.99999", "status", "no-such-route"):
        status, headers, body = await call(session, "GET", server.url(path))
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert_error_body(body, 401)
        bodies.add(body)
    assert len(bodies) == 1, "a 401 says nothing about what exists"


@pytest.mark.parametrize(
    "value",
    [
        "Bearer wrong",
        "Bearer {tok_minus_one}",
        "Bearer {tok}x",
        "Bearer {tok_trunc}",
        "Bearer ",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "token {tok}",
        "{tok}",
        "Bearer " + "A" * 5000,
    ],
)
async def test_6_4_17_wrong_tokens_are_401(server: ApiServer, session: aiohttp.ClientSession, value: str) -> None:
    header = value.format(tok=server.token, tok_trunc=server.token[:-4], tok_minus_one=server.token[:-1])
    status, _, body = await call(session, "GET", server.url("status"), headers={"Authorization": header})
    assert status == 401
    assert_error_body(body, 401)


async def test_6_4_17_non_ascii_tokens_are_401_not_500(server: ApiServer) -> None:
    for value in ("Bearer tökén".encode(), b"Bearer \xff\xfe", "Bearer 令牌".encode()):
        response = await raw(
            server,
            f"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n".encode()
            + b"Authorization: "
            + value
            + b"\r\n\r\n",
        )
        assert status_of(response) in (400, 401)


async def test_6_4_18_token_in_query_or_cookie_is_401(server: ApiServer, session: aiohttp.ClientSession) -> None:
    for query in ("token", "access_token", "auth", "bearer"):
        status, _, _ = await call(session, "GET", server.url(f"status?{query}={server.token}"))
        assert status == 401
    for cookie in ("token", "papertray", "Authorization"):
        status, _, _ = await call(session, "GET", server.url("status"), headers={"Cookie": f"{cookie}={server.token}"})
        assert status == 401


async def test_6_4_19_failed_auth_is_rate_limited(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    now = [1000.0]
    server = await ApiServer(tmp_path / "home", limiter=FailureLimiter(clock=lambda: now[0])).start()
    try:
        for _ in range(20):
            status, _, _ = await call(session, "GET", server.url("status"), headers=server.auth("pt_wrong"))
            assert status == 401
        status, headers, body = await call(session, "GET", server.url("status"), headers=server.auth("pt_wrong"))
        assert status == 429
        assert int(headers["Retry-After"]) > 0
        assert_error_body(body, 429)
        # The right token is never locked out.
        status, _, _ = await call(session, "GET", server.url("status"), headers=server.auth())
        assert status == 200
        # Pairing is not: the holder of the code always pairs (security item 12).
        code, _ = server.context.pairing.new_code()
        status, _, _ = await call(session, "POST", server.url("pair"), headers={"Origin": EXT}, json={"code": code})
        assert status == 201
        now[0] += 61
        status, _, _ = await call(session, "GET", server.url("status"), headers=server.auth("pt_wrong"))
        assert status == 401
    finally:
        await server.stop()


async def test_6_4_20_revoked_and_repaired_tokens_are_401(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    server = await ApiServer(tmp_path / "home").start()
    try:
        status, _, body = await call(session, "POST", server.url("tokens"), headers=server.auth(), json={"name": "s1"})
        assert status == 201
        script = orjson.loads(body)["token"]
        assert (await call(session, "GET", server.url("status"), headers=server.auth(script)))[0] == 200
        assert (await call(session, "DELETE", server.url("tokens/s1"), headers=server.auth()))[0] == 200
        assert (await call(session, "GET", server.url("status"), headers=server.auth(script)))[0] == 401
        first = await pair_extension(server, session)
        second = await pair_extension(server, session)
        assert (await call(session, "GET", server.url("status"), headers=server.auth(first)))[0] == 401
        assert (await call(session, "GET", server.url("status"), headers=server.auth(second)))[0] == 200
        old_cli = server.token
    finally:
        await server.stop()
    # A restart rotates the CLI token; the paired extension keeps working.
    server = await ApiServer(tmp_path / "home").start()
    try:
        assert server.token != old_cli
        assert (await call(session, "GET", server.url("status"), headers=server.auth(old_cli)))[0] == 401
        assert (await call(session, "GET", server.url("status"), headers=server.auth(second)))[0] == 200
    finally:
        await server.stop()


async def _stream_until_closed(resp: aiohttp.ClientResponse) -> bytes:
    """Everything the stream sends until the daemon ends it (EOF); the 10 s only guards against a hang."""
    received = b""
    while True:
        chunk = await asyncio.wait_for(resp.content.readany(), 10)
        if not chunk:
            return received
        received += chunk


async def test_s2_revoking_a_token_closes_its_open_event_stream(
    server: ApiServer, session: aiohttp.ClientSession
) -> None:
    _, _, body = await call(session, "POST", server.url("tokens"), headers=server.auth(), json={"name": "s1"})
    script = orjson.loads(body)["token"]
    async with (
        session.get(server.url("events"), headers=server.auth(script)) as revoked,
        session.get(server.url("events"), headers=server.auth()) as kept,
    ):
        assert revoked.status == 200 and kept.status == 200
        assert (await revoked.content.readline()).startswith(b": papertray")
        await kept.content.readline()
        assert (await call(session, "DELETE", server.url("tokens/s1"), headers=server.auth()))[0] == 200
        tail = await _stream_until_closed(revoked)
        # The change after the revocation reaches the CLI's stream, never the revoked one.
        await call(session, "POST", server.url(f"papers/{PAPER}/save"), headers=server.auth(), json={})
        while b"paper.state" not in (line := await asyncio.wait_for(kept.content.readline(), 10)):
            assert line, "the CLI's stream stayed open"
    assert b"paper.state" not in tail and PAPER.encode() not in tail
    assert (await call(session, "GET", server.url("events"), headers=server.auth(script)))[0] == 401


async def test_s2_re_pairing_closes_the_old_tokens_event_stream(
    server: ApiServer, session: aiohttp.ClientSession
) -> None:
    first = await pair_extension(server, session)
    async with session.get(server.url("events"), headers=server.auth(first, Origin=EXT)) as stream:
        assert stream.status == 200
        await stream.content.readline()
        second = await pair_extension(server, session)
        tail = await _stream_until_closed(stream)
    await call(session, "POST", server.url(f"papers/{PAPER}/save"), headers=server.auth(second), json={})
    assert b"paper.state" not in tail
    assert (await call(session, "GET", server.url("events"), headers=server.auth(first)))[0] == 401


async def test_s14_a_connection_flood_never_evicts_the_extensions_event_stream(
    server: ApiServer, session: aiohttp.ClientSession
) -> None:
    server.app[CONNECTIONS].cap = 20  # the real cap is 256; the policy is the same
    token = await pair_extension(server, session)
    async with session.get(server.url("events"), headers=server.auth(token, Origin=EXT)) as stream:
        assert (await stream.content.readline()).startswith(b": papertray")
        flood = []
        try:
            for _ in range(60):
                _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                flood.append(writer)
            assert server.runner.server is not None
            for _ in range(100):  # evicted connections leave the server's list once their close has run
                if len(server.runner.server.connections) <= 21:
                    break
                await asyncio.sleep(0.05)
            assert len(server.runner.server.connections) <= 21
            status, _, _ = await call(
                session, "POST", server.url(f"papers/{PAPER}/save"), headers=server.auth(token), json={}
            )
            assert status == 200
            # The stream opened before the flood still delivers.
            while b"paper.state" not in (line := await asyncio.wait_for(stream.content.readline(), 10)):
                assert line, "the extension's stream was closed"
        finally:
            for writer in flood:
                writer.close()


async def test_6_4_21_token_never_in_logs(
    tmp_path: Path, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await ApiServer(tmp_path / "home", papers=sample_papers()).start()
    try:
        secrets = [server.token]
        secrets.append(await pair_extension(server, session))
        _, _, body = await call(session, "POST", server.url("tokens"), headers=server.auth(), json={"name": "s1"})
        secrets.append(orjson.loads(body)["token"])
        for token in secrets:
            await call(session, "GET", server.url(f"status?token={token}"))
            await call(session, "GET", server.url("status"), headers={"Cookie": f"token={token}"})
            await call(session, "GET", server.url("status"), headers=server.auth(token + "x"))
            await call(session, "POST", server.url("lookup"), headers=server.auth(token), json={"ids": [PAPER]})
            await call(session, "POST", server.url("lookup"), headers=server.auth(token), data=b"{bad")
        code, _ = server.context.pairing.new_code()
        await call(session, "POST", server.url("pair"), headers={"Origin": EXT}, json={"code": code})
        secrets.append(code)
    finally:
        await server.stop()
    assert caplog.records, "the API logged something"
    text = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    for secret in secrets:
        assert secret not in text
        assert hash_token(secret) not in text


# ------------------------------------------------------------------------------------------------ 6.5 pairing


async def test_s12_wrong_codes_and_tokens_never_lock_out_the_code_holder(
    server: ApiServer, session: aiohttp.ClientSession
) -> None:
    # Another local program floods wrong tokens and wrong codes from any extension origin.
    status, _, body = await call(session, "POST", server.url("pair/code"), headers=server.auth(), json={})
    code = orjson.loads(body)["code"]
    for _ in range(25):
        await call(session, "GET", server.url("status"), headers=server.auth("pt_wrong"))
    for attempt in range(60):
        status, _, body = await call(
            session, "POST", server.url("pair"), headers={"Origin": MOZ_B}, json={"code": f"WRONG-{attempt:04d}"}
        )
        assert status == 401
        assert_error_body(body, 401)
    status, _, body = await call(session, "POST", server.url("pair"), headers={"Origin": EXT}, json={"code": code})
    assert status == 201
    assert server.context.tokens.paired_origins() == frozenset({EXT})


async def test_u27_a_second_pair_keeps_the_first_code_valid(server: ApiServer, session: aiohttp.ClientSession) -> None:
    codes = []
    for _ in range(2):
        status, _, body = await call(session, "POST", server.url("pair/code"), headers=server.auth(), json={})
        assert status == 201
        codes.append(orjson.loads(body))
    assert codes[1]["live"] == 2
    for code, origin in zip(codes, (MOZ_A, MOZ_B), strict=True):
        status, _, _ = await call(
            session, "POST", server.url("pair"), headers={"Origin": origin}, json={"code": code["code"]}
        )
        assert status == 201
    assert server.context.tokens.paired_origins() == frozenset({MOZ_A, MOZ_B})


async def test_6_5_23_expired_and_reused_codes_are_401(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    now = [0.0]
    server = await ApiServer(tmp_path / "home", pairing=PairingCodes(clock=lambda: now[0])).start()
    try:
        code, _ = server.context.pairing.new_code()
        now[0] += 301
        status, _, _ = await call(session, "POST", server.url("pair"), headers={"Origin": EXT}, json={"code": code})
        assert status == 401
        code, _ = server.context.pairing.new_code()
        now[0] += 299
        status, _, _ = await call(session, "POST", server.url("pair"), headers={"Origin": EXT}, json={"code": code})
        assert status == 201
        status, _, _ = await call(session, "POST", server.url("pair"), headers={"Origin": EXT}, json={"code": code})
        assert status == 401
    finally:
        await server.stop()


async def test_6_5_24_pairing_needs_an_extension_origin(server: ApiServer, session: aiohttp.ClientSession) -> None:
    status, _, body = await call(session, "POST", server.url("pair/code"), headers=server.auth(), json={})
    code = orjson.loads(body)["code"]
    for origin in (None, "https://evil.example", f"http://127.0.0.1:{server.port}", "null", "chrome-extension://x"):
        headers = {"Origin": origin} if origin else {}
        status, resp_headers, _ = await call(session, "POST", server.url("pair"), headers=headers, json={"code": code})
        assert status == 403, origin
        assert "Access-Control-Allow-Origin" not in resp_headers
    # Those refusals did not use up the code: the extension still pairs with it.
    status, headers, _ = await call(session, "POST", server.url("pair"), headers={"Origin": MOZ_A}, json={"code": code})
    assert status == 201
    assert headers["Access-Control-Allow-Origin"] == MOZ_A


async def test_6_5_25_token_returned_once_and_stored_as_hash(server: ApiServer, session: aiohttp.ClientSession) -> None:
    token = await pair_extension(server, session)
    assert len(token) >= 43 and token.startswith("pt_")
    state = server.paths.state_dir
    stored = (state / "tokens.json").read_text()
    assert token not in stored
    assert hash_token(token) in stored
    for name in ("tokens.json", "cli.token"):
        assert stat.S_IMODE(os.stat(state / name).st_mode) == 0o600
    for path in ("tokens", "status", "papers", "openapi.json"):
        _, _, body = await call(session, "GET", server.url(path), headers=server.auth())
        assert token.encode() not in body
        assert hash_token(token).encode() not in body


async def test_6_5_26_token_is_pinned_to_its_origin(server: ApiServer, session: aiohttp.ClientSession) -> None:
    token_a = await pair_extension(server, session, MOZ_A)
    await pair_extension(server, session, MOZ_B)
    status, _, _ = await call(session, "GET", server.url("papers"), headers=server.auth(token_a, Origin=MOZ_B))
    assert status == 403
    status, headers, _ = await call(session, "GET", server.url("papers"), headers=server.auth(token_a, Origin=MOZ_A))
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == MOZ_A


# ------------------------------------------------------------------------------ 6.6 content type, methods, size


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        None,
        "application/jsonp",
        "application/json; charset=latin-1",
        "text/json",
    ],
)
async def test_6_6_27_non_json_content_types_are_415(
    server: ApiServer, session: aiohttp.ClientSession, content_type: str | None
) -> None:
    for path in ("lookup", f"papers/{PAPER}/save", "seen"):
        body = orjson.dumps({"ids": [PAPER]}) if path != f"papers/{PAPER}/save" else b"{}"
        headers = server.auth()
        if content_type:
            headers["Content-Type"] = content_type
        async with session.post(server.url(path), data=body, headers=headers, skip_auto_headers=["Content-Type"]) as r:
            assert r.status == 415, path
            assert_error_body(await r.read(), 415)
    assert server.store.view(PAPER).state.saved_at is None
    assert server.store.view(PAPER).state.seen_at is None


async def test_6_6_27_json_with_utf8_charset_is_accepted(server: ApiServer, session: aiohttp.ClientSession) -> None:
    headers = server.auth(**{"Content-Type": "application/json; charset=utf-8"})
    status, _, body = await call(
        session, "POST", server.url("lookup"), headers=headers, data=b'{"ids": ["2503.10001"]}'
    )
    assert status == 200
    assert orjson.loads(body)["papers"][PAPER]["state"] == "new"


async def test_6_6_28_wrong_methods_are_405(server: ApiServer, session: aiohttp.ClientSession) -> None:
    status, headers, body = await call(session, "GET", server.url(f"papers/{PAPER}/save"), headers=server.auth())
    assert status == 405
    assert set(headers["Allow"].replace(" ", "").split(",")) == {"POST", "DELETE"}
    assert_error_body(body, 405)
    assert server.store.view(PAPER).state.saved_at is None
    for method in ("TRACE", "PUT", "GET", "DELETE"):
        status, _, body = await call(session, method, server.url("lookup"), headers=server.auth())
        assert status == 405, method
        assert_error_body(body, 405)
    # A method the HTTP parser does not know never reaches a route: aiohttp answers 400 itself.
    response = await raw(
        server, f"FOO /api/v1/lookup HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n".encode()
    )
    assert status_of(response) in (400, 405)


def _raw_post_head(server: ApiServer, path: str, extra: str) -> bytes:
    return (
        f"POST /api/v1/{path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {server.token}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


async def test_6_6_29_50mb_body_with_content_length_is_413_before_reading(server: ApiServer) -> None:
    # Only the head and a sliver of the body are sent: the answer comes without the rest ever arriving.
    head = _raw_post_head(server, "lookup", "Content-Length: 52428800\r\n")
    response = await raw(server, head + b'{"ids": [' + b" " * 65536)
    assert status_of(response) == 413
    assert b'"status":413' in response


def _send_chunked_until_answered(port: int, head: bytes, total: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        chunk = b" " * 65536
        framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        sent = 0
        try:
            sock.sendall(b'5\r\n{"ids\r\n')
            while sent < total:
                sock.sendall(framed)
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
        except (ConnectionResetError, TimeoutError):
            pass
        return data


async def test_6_6_29_50mb_chunked_body_is_413(server: ApiServer) -> None:
    head = _raw_post_head(server, "lookup", "Transfer-Encoding: chunked\r\n")
    response = await asyncio.to_thread(_send_chunked_until_answered, server.port, head, 50 * 1024 * 1024)
    assert status_of(response) == 413


async def test_6_6_29_body_exactly_at_the_limit_is_accepted(server: ApiServer, session: aiohttp.ClientSession) -> None:
    core = orjson.dumps({"ids": [PAPER]})
    exact = core[:-1] + b" " * (MAX_BODY_BYTES - len(core)) + b"}"
    assert len(exact) == MAX_BODY_BYTES
    headers = server.auth(**{"Content-Type": "application/json"})
    status, _, _ = await call(session, "POST", server.url("lookup"), headers=headers, data=exact)
    assert status == 200
    status, _, body = await call(session, "POST", server.url("lookup"), headers=headers, data=exact + b" ")
    assert status == 413
    assert_error_body(body, 413)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"ids": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
        b'{"ids": ["2503.10001"], "extra": 1}',
        b'{"ids": ' + b"9" * 10_000 + b"}",
        b'{"ids": ["' + b"1" * 3000 + b'"]}',
        b'{"ids": [' + b",".join([b'"2503.10001"'] * 501) + b"]}",
        b'{"ids": "2503.10001"}',
        b'{"ids": [1, 2]}',
        b"[]",
        b'"ids"',
        b"null",
        b"",
        b"\xff\xfe{}",
        b'{"ids": [NaN]}',
    ],
)
async def test_6_6_30_malformed_deep_huge_unknown_json_is_400(
    server: ApiServer, session: aiohttp.ClientSession, body: bytes
) -> None:
    headers = server.auth(**{"Content-Type": "application/json"})
    status, _, resp = await call(session, "POST", server.url("lookup"), headers=headers, data=body)
    assert status == 400
    assert_error_body(resp, 400)


@pytest.mark.parametrize(
    "patch",
    [
        {"read": 1},
        {"read": "true"},
        {"dismissed": None},
        {"note": 10**30},
        {"tags": "x"},
        {"tags": ["ok", 5]},
        {"tags": ["a\x00b"]},
        {"saved_at": "2020-01-01"},
        {},
    ],
)
async def test_6_6_30_patch_schema_is_strict(
    server: ApiServer, session: aiohttp.ClientSession, patch: dict[str, object]
) -> None:
    status, _, body = await call(session, "PATCH", server.url(f"papers/{PAPER}"), headers=server.auth(), json=patch)
    assert status == 400
    assert_error_body(body, 400)
    assert server.store.get_state(PAPER).updated_at is None


def _gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    parts.append(packer.flush())
    return b"".join(parts)


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def test_6_6_31_gzip_bomb_is_refused_and_memory_stays_bounded(server: ApiServer) -> None:
    bomb = await asyncio.to_thread(_gzip_bomb, 1024 * 1024 * 1024)
    assert len(bomb) < 2 * 1024 * 1024
    assert zlib.decompressobj(31).decompress(bomb, 4096) == bytes(4096)  # real gzip of zeros
    before = _rss_kb()
    declared = _raw_post_head(server, "lookup", f"Content-Encoding: gzip\r\nContent-Length: {len(bomb)}\r\n")
    response = await raw(server, declared + bomb[:65536])
    assert status_of(response) == 413
    chunked = _raw_post_head(server, "lookup", "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")
    framed = b"".join(
        b"%x\r\n%s\r\n" % (len(bomb[i : i + 65536]), bomb[i : i + 65536]) for i in range(0, len(bomb), 65536)
    )
    response = await raw(server, chunked + framed + b"0\r\n\r\n")
    assert status_of(response) == 413
    # Decompressing the bomb whole would cost a gigabyte; the server stopped at its body limit.
    assert _rss_kb() - before < 200 * 1024


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /api/v1/lookup HTTP/1.1\r\nHost: {host}\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/json\r\nAuthorization: Bearer {tok}\r\n\r\n0\r\n\r\n",
        b"POST /api/v1/lookup HTTP/1.1\r\nHost: {host}\r\nContent-Length: 13\r\nContent-Length: 14\r\n"
        b'Content-Type: application/json\r\nAuthorization: Bearer {tok}\r\n\r\n{"ids": []}  ',
        b"GET /api/v1/status HTTP/1.1\r\nHost: {host}\r\nX-Folded: a\r\n  b\r\nAuthorization: Bearer {tok}\r\n\r\n",
        b"GET /api/v1/status HTTP/1.1\nHost: {host}\nAuthorization: Bearer {tok}\n\n",
        b"GET /api/v1/status HTTP/1.1\r\nHost: {host}\r\nX-Nul: a\x00b\r\nAuthorization: Bearer {tok}\r\n\r\n",
        b"POST /api/v1/lookup HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked, identity\r\n"
        b"Content-Type: application/json\r\nAuthorization: Bearer {tok}\r\n\r\n0\r\n\r\n",
        b"POST /api/v1/lookup HTTP/1.1\r\nHost: {host}\r\nContent-Length: +13\r\n"
        b'Content-Type: application/json\r\nAuthorization: Bearer {tok}\r\n\r\n{"ids": []} ',
    ],
    ids=["cl-and-te", "duplicate-cl", "obs-fold", "bare-lf", "nul-in-header", "te-list", "signed-cl"],
)
async def test_6_6_32_parser_smuggling_shapes_are_400(server: ApiServer, request_bytes: bytes) -> None:
    data = request_bytes.replace(b"{host}", f"127.0.0.1:{server.port}".encode()).replace(
        b"{tok}", server.token.encode()
    )
    response = await raw(server, data)
    assert status_of(response) == 400, response[:300]


# ---------------------------------------------------------------------------------------- 6.8 output encoding


async def test_6_8_43_json_and_nosniff_and_errors_never_html(server: ApiServer, session: aiohttp.ClientSession) -> None:
    probes = [
        ("GET", "papers", {}),
        ("GET", "papers/%3Cscript%3Ealert(1)%3C%2Fscript%3E", {}),
        ("GET", "no/<img src=x onerror=alert(1)>", {}),
        ("POST", "lookup", {"json": {"ids": ["<script>alert(1)</script>"], "x": "<svg onload=alert(1)>"}}),
        ("GET", "papers?state=<b>x</b>", {}),
    ]
    for method, path, kwargs in probes:
        for headers in (server.auth(), {}):
            status, resp_headers, body = await call(session, method, server.url(path), headers=headers, **kwargs)
            assert resp_headers["Content-Type"].startswith("application/json"), path
            assert resp_headers["X-Content-Type-Options"] == "nosniff"
            assert resp_headers["X-Papertray-Version"] and resp_headers["X-Papertray-API-Version"] == "1"
            assert resp_headers["Cache-Control"] == "no-store"
            assert resp_headers["Referrer-Policy"] == "no-referrer"
            assert resp_headers["Cross-Origin-Resource-Policy"] == "same-origin"
            orjson.loads(body)
            if status >= 400:
                assert b"<script" not in body and b"<svg" not in body and b"<img" not in body


async def test_6_4_21_access_log_never_carries_a_token(
    tmp_path: Path, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """The API runs without an access log, so no request line (a token pasted as `?token=`) reaches any log."""
    caplog.set_level(logging.DEBUG)
    server = ApiServer(tmp_path / "home")
    await server.start()
    try:
        await call(session, "GET", server.url(f"status?token={server.token}&x=%0aforged"), headers=server.auth())
        await call(session, "GET", server.url("status"), headers={"Cookie": f"t={server.token}"})
    finally:
        await server.stop()
    assert not [r for r in caplog.records if r.name == "aiohttp.access"]
    assert all(server.token not in r.getMessage() for r in caplog.records)
