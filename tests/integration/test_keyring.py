"""security.md §6.10 and credentials.py against a real Secret Service (gnome-keyring-daemon on a private D-Bus)
and against the backends papertray must refuse. Each scenario runs in a fresh Python process, because keyring
picks its backend once per process from the environment, exactly as the daemon would."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.api_server import EXT, ApiServer, pair_extension
from tests.support.keyring_session import secret_service, silent_bus

REPO = Path(__file__).resolve().parents[2]
SECRET = "hf_s3cret-value-0123456789"

SCRIPT = r"""
import json, logging, sys, io
from pathlib import Path
stream = io.StringIO()
logging.basicConfig(level=logging.DEBUG, stream=stream)
from papertray.credentials import Credentials, keyring_status
from papertray.errors import KeyringUnavailable
args = json.loads(sys.argv[1])
out = {}
ok, name, advice = keyring_status(timeout=args.get("timeout", 5))
out["status"] = [ok, name, advice]
timeout = args.get("timeout", 5)
creds = Credentials(Path(args["state"]), insecure_file=args.get("insecure", False), timeout=timeout, env={})
try:
    creds.set("hf_token", args["secret"])
    out["set"] = "ok"
    out["get"] = creds.get("hf_token")
    out["delete"] = creds.delete("hf_token")
    out["after"] = creds.get("hf_token")
except KeyringUnavailable as exc:
    out["error"] = str(exc)
out["log"] = stream.getvalue()
print(json.dumps(out))
"""


def run_scenario(env: dict[str, str], state: Path, **args: Any) -> dict[str, Any]:
    env = dict(env)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "daemon"), str(REPO)])
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps({"state": str(state), "secret": SECRET, **args})],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout)
    result["stderr"] = proc.stderr
    return result


def base_env(tmp_path: Path, backend: str | None) -> dict[str, str]:
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if backend:
        env["PYTHON_KEYRING_BACKEND"] = backend
    return env


def test_real_secret_service_keeps_the_secret(tmp_path: Path) -> None:
    with secret_service(tmp_path / "desktop") as env:
        result = run_scenario(env, tmp_path / "state")
        assert result["status"][0] is True
        assert "SecretService" in result["status"][1]
        assert result["set"] == "ok" and result["get"] == SECRET
        assert result["delete"] is True and result["after"] is None
        # It really went through the Secret Service: libsecret's own tool sees what papertray stores.
        run_scenario(env, tmp_path / "state")  # leaves nothing behind
        subprocess.run(
            ["secret-tool", "store", "--label=x", "service", "papertray", "username", "hf_token"],
            input="from-libsecret",
            env=env,
            text=True,
            check=True,
            timeout=20,
        )
        probe = (
            "from pathlib import Path; from papertray.credentials import Credentials; "
            f"print(Credentials(Path({str(tmp_path / 'state')!r}), env={{}}).get('hf_token'))"
        )
        got = subprocess.run(
            [sys.executable, "-c", probe],
            env={**env, "PYTHONPATH": str(REPO / "daemon")},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert got.stdout.strip() == "from-libsecret", got.stderr
    assert not (tmp_path / "state").exists() or not any((tmp_path / "state").iterdir())
    assert SECRET not in result["log"] and SECRET not in result["stderr"]


def test_6_10_48_fail_backend_means_no_store_and_no_plaintext(tmp_path: Path) -> None:
    state = tmp_path / "state"
    result = run_scenario(base_env(tmp_path, "keyring.backends.fail.Keyring"), state)
    ok, name, advice = result["status"]
    assert ok is False and "fail" in name
    assert "Secret Service" in advice and "--insecure-storage" in advice
    assert "set" not in result and "No usable keyring" in result["error"]
    assert not state.exists() or not list(state.iterdir()), "no plain-text file without the opt-in"
    # With the explicit opt-in: a 0600 file and a warning.
    result = run_scenario(base_env(tmp_path, "keyring.backends.fail.Keyring"), state, insecure=True)
    assert result["get"] == SECRET
    path = state / "secrets-insecure.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "WARNING:papertray.credentials:secrets are kept in a plain file" in result["log"]
    assert SECRET not in result["log"]


async def test_6_10_48_pairing_works_without_a_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    server = await ApiServer(tmp_path / "home").start()
    try:
        async with aiohttp.ClientSession() as session:
            token = await pair_extension(server, session, EXT)
            async with session.get(server.url("status"), headers=server.auth(token)) as resp:
                assert resp.status == 200
    finally:
        await server.stop()


@pytest.mark.parametrize("backend", ["keyring.backends.null.Keyring", "tests.support.keyring_session.PlaintextKeyring"])
def test_6_10_49_null_and_plaintext_backends_are_unavailable(tmp_path: Path, backend: str) -> None:
    state = tmp_path / "state"
    result = run_scenario(base_env(tmp_path, backend), state)
    ok, name, advice = result["status"]
    assert ok is False
    assert name.endswith(backend.rsplit(".", 1)[1])
    assert "No usable keyring" in advice
    assert "No usable keyring" in result["error"]
    assert not state.exists() or not list(state.iterdir())


def test_6_10_50_locked_keyring_is_a_clean_error(tmp_path: Path) -> None:
    with secret_service(tmp_path / "desktop", unlocked=False) as env:
        result = run_scenario(env, tmp_path / "state")
    assert "set" not in result
    assert result["error"].startswith("The keyring is locked")
    assert SECRET not in result["error"] and SECRET not in result["log"] and SECRET not in result["stderr"]


def test_6_10_50_a_keyring_that_never_answers_times_out(tmp_path: Path) -> None:
    with silent_bus(tmp_path) as env:
        result = run_scenario(env, tmp_path / "state", timeout=1)
    ok, _, advice = result["status"]
    assert ok is False and "did not answer" in advice
    assert "did not answer" in result["error"]
    assert SECRET not in result["log"]


def test_6_10_50_secrets_never_reach_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with secret_service(tmp_path / "desktop") as env:
        result = run_scenario(env, tmp_path / "state")
    assert result["get"] == SECRET
    assert "secret stored name=hf_token" in result["log"]
    assert SECRET not in result["log"] and SECRET not in result["stderr"]
