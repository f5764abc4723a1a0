"""The API's pure parts: strict body validation, pairing codes, the token store, the failure limiter, the
cursor and path-id rules. No sockets; files only in tmp_path."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import orjson
import pytest

from papertray.api import bodies
from papertray.api.guard import FailureLimiter, is_json_content_type
from papertray.api.ids import path_id
from papertray.api.pairing import MAX_LIVE, PairingCodes, is_extension_origin, normalise_code
from papertray.api.routes_papers import decode_cursor
from papertray.api.tokens import TokenStore, hash_token
from papertray.errors import HttpError, TokenError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------------------------------ bodies


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[]", "must be a JSON object"),
        (b'{"ids": ["a"], "x": 1}', "Unknown field 'x'"),
        (b"{}", "'ids' is required"),
        (b'{"ids": [true]}', "must be a string, not true/false"),
        (b'{"ids": ' + b"1" * 30 + b"}", "must be a list of strings, not a number"),
        (b'{"ids": ' + b"1" * 400 + b"}", "it is not JSON"),
        (b"[" * 2000 + b"]" * 2000, "nested too deeply"),
        (b"{", "it is not JSON"),
        (b"  ", "The body is empty"),
    ],
)
def test_bodies_refuse_with_one_sentence(raw: bytes, message: str) -> None:
    with pytest.raises(HttpError) as caught:
        bodies.parse_json(raw, bodies.IDS)
    assert caught.value.status == 400
    assert message in caught.value.message
    assert caught.value.message.endswith(".")


def test_bodies_accept_the_contract_shapes() -> None:
    assert bodies.parse_json(b'{"ids": ["2307.12345"]}', bodies.IDS) == {"ids": ["2307.12345"]}
    assert bodies.parse_json(b"", bodies.POLL, optional=True) == {}
    patch = {"read": True, "dismissed": False, "tags": ["a b", "ü"], "note": ""}
    assert bodies.parse_json(orjson.dumps(patch), bodies.PATCH_PAPER) == patch
    with pytest.raises(HttpError):
        bodies.parse_json(b'{"days": ["2025-1-1"]}', bodies.POLL)


# ------------------------------------------------------------------------------------------------ pairing


def test_pairing_code_works_once_within_five_minutes() -> None:
    clock = Clock()
    codes = PairingCodes(clock=clock)
    code, expires = codes.new_code()
    assert len(code) == 14 and code[4] == code[9] == "-" and expires > 0
    assert not codes.redeem("nope")
    clock.now += 299
    assert codes.redeem(code.lower().replace("-", " "))
    assert not codes.redeem(code)


def test_s12_wrong_tries_never_void_a_code_and_it_dies_after_five_minutes() -> None:
    clock = Clock()
    codes = PairingCodes(clock=clock)
    code, _ = codes.new_code()
    for n in range(1000):
        assert not codes.redeem(f"WRONG-{n:04d}")
    assert codes.redeem(code), "the holder of the code can always pair"
    code, _ = codes.new_code()
    clock.now += 300
    assert not codes.redeem(code)


def test_u27_a_second_pair_keeps_the_first_code_valid() -> None:
    codes = PairingCodes(clock=Clock())
    first, _ = codes.new_code()
    second, _ = codes.new_code()
    assert codes.active == 2
    assert codes.redeem(second) and codes.redeem(first)
    assert not codes.redeem(first) and codes.active == 0
    oldest, _ = codes.new_code()
    for _ in range(MAX_LIVE):
        codes.new_code()
    assert codes.active == MAX_LIVE and not codes.redeem(oldest)


def test_extension_origins() -> None:
    assert is_extension_origin("chrome-extension://abcdefghijklmnopabcdefghijklmnop")
    assert is_extension_origin("moz-extension://0b5d3c7e-3f52-4a8e-9a7b-6f0e2f1c9d11")
    for origin in ("chrome-extension://short", "https://evil.example", "null", "moz-extension://x", ""):
        assert not is_extension_origin(origin)
    assert normalise_code(" k7qm - 3xpa ") == "K7QM3XPA"


# ------------------------------------------------------------------------------------------------ tokens


def test_token_store_keeps_only_hashes_0600(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "state")
    cli = store.mint_cli_token()
    script = store.create("nightly")
    ext = store.pair("chrome-extension://abcdefghijklmnopabcdefghijklmnop")
    text = (tmp_path / "state" / "tokens.json").read_text()
    assert script not in text and ext not in text and cli not in text
    assert hash_token(script) in text
    assert stat.S_IMODE(os.stat(tmp_path / "state" / "tokens.json").st_mode) == 0o600
    assert (tmp_path / "state" / "cli.token").read_text() == cli
    reopened = TokenStore(tmp_path / "state")
    assert reopened.check(script) is not None and reopened.check(ext) is not None
    assert reopened.check(cli) is None, "the CLI token lives only as long as its daemon"
    assert store.check(cli) is not None and store.check(cli).kind == "cli"  # type: ignore[union-attr]
    assert store.check(script + "x") is None and store.check("") is None and store.check("x" * 10_000) is None


def test_token_names_and_revocation(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    token = store.create("a")
    with pytest.raises(TokenError, match="exists already"):
        store.create("a")
    for bad in ("", "cli", "has space", "-x", "x" * 65):
        with pytest.raises(TokenError):
            store.create(bad)
    assert store.revoke("a") and not store.revoke("a")
    assert store.check(token) is None


def test_repairing_an_origin_revokes_its_old_token(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    origin = "moz-extension://0b5d3c7e-3f52-4a8e-9a7b-6f0e2f1c9d11"
    old = store.pair(origin)
    new = store.pair(origin)
    assert store.check(old) is None and store.check(new) is not None
    assert store.paired_origins() == {origin}
    assert [r.kind for r in store.records()] == ["extension"]


def test_unreadable_token_file_is_moved_aside_and_reported(tmp_path: Path) -> None:
    (tmp_path / "tokens.json").write_text("{not json")
    store = TokenStore(tmp_path)
    assert store.records() == []
    assert "moved aside" in store.problems[0]
    assert list(tmp_path.glob("tokens.json.corrupt-*"))


# ------------------------------------------------------------------------------------------------ limiter, ids


def test_failure_limiter_locks_wrong_attempts_for_a_window() -> None:
    clock = Clock()
    limiter = FailureLimiter(limit=3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.blocked() is None
        limiter.fail()
    wait = limiter.blocked()
    assert wait is not None and 0 < wait <= 60
    clock.now += 60
    assert limiter.blocked() is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2307.12345", "2307.12345"),
        ("2307.12345v3", "2307.12345"),
        ("arXiv:2307.12345", "2307.12345"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.GT/0309136v2", "math/0309136"),
    ],
)
def test_path_ids_are_canonicalised(raw: str, expected: str) -> None:
    assert path_id(raw) == expected


@pytest.mark.parametrize("raw", ["../../etc/passwd", "2307.12345.pdf", "x2307.12345", "2307.12345/", "", "1" * 70])
def test_path_ids_refuse_everything_else(raw: str) -> None:
    with pytest.raises(HttpError) as caught:
        path_id(raw)
    assert caught.value.status == 400


@pytest.mark.parametrize("cursor", ["", "!!", "bnVsbA", "WzEsMiwzXQ", "x" * 500, "WyIiLHRydWUsIngiXQ"])
def test_foreign_cursors_are_400(cursor: str) -> None:
    with pytest.raises(HttpError):
        decode_cursor(cursor)


def test_a_token_accepted_a_moment_ago_stops_working_when_revoked_repaired_or_rotated(tmp_path: Path) -> None:
    """Accepted tokens are remembered to spare a hash per request; every change to the tokens forgets them."""
    store = TokenStore(tmp_path)
    origin = "chrome-extension://ecjoinkgnkfofdpffhicmbeconlelkjb"
    scripts = [store.create(f"s{i}") for i in range(6)]  # more than are remembered
    extension = store.pair(origin)
    cli = store.mint_cli_token()
    for _ in range(3):
        for token in [*scripts, extension, cli]:
            assert store.check(token) is not None
    assert store.check(scripts[0] + "x") is None and store.check(cli[:-1]) is None
    assert store.revoke("s5")
    assert store.check(scripts[5]) is None
    assert store.check(scripts[4]) is not None
    store.pair(origin)
    assert store.check(extension) is None
    store.mint_cli_token()
    assert store.check(cli) is None


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("application/json", True),
        ("Application/JSON", True),
        ("application/json; charset=utf-8", True),
        ('application/json; charset="UTF-8"', True),
        ("application/json;charset=utf8", True),
        ("application/json; charset=latin-1", False),
        ('application/json; charset="latin-1"', False),
        ("application/jsonp", False),
        ("application/json-patch+json", False),
        ("text/json", False),
        ("text/plain", False),
        ("multipart/form-data; boundary=x", False),
        ("", False),
        ("application/json, text/plain", False),
    ],
)
def test_only_json_in_utf8_passes_the_content_type_check(header: str, accepted: bool) -> None:
    assert is_json_content_type(header) is accepted
