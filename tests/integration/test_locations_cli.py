"""Item 26: after the first run, `status`, `status --json` and `doctor` still say where config, data and logs
live (with the daemon running or not)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.daemon import DaemonProcess, daemon_env, run_cli

UNREACHABLE = "http://127.0.0.1:1"


def expected(home: Path) -> dict[str, str]:
    return {"config": str(home / "config.toml"), "data": str(home / "data"), "logs": str(home / "logs")}


def test_u26_status_and_doctor_say_where_config_data_and_logs_live(tmp_path: Path) -> None:
    home = tmp_path / "home"
    want = expected(home)
    with DaemonProcess(home, PAPERTRAY_HF_URL=UNREACHABLE, PAPERTRAY_ARXIV_URL=UNREACHABLE) as daemon:
        text = run_cli(home, "status", env=daemon.env)
        as_json = json.loads(run_cli(home, "status", "--json", env=daemon.env).stdout)
    assert text.returncode == 0
    for name, path in want.items():
        assert re.search(rf"^(Files)?\s+{name}\s+{re.escape(path)}(\s|$)", text.stdout, re.MULTILINE), text.stdout
    assert {k: as_json["locations"][k] for k in want} == want

    stopped = json.loads(run_cli(home, "status", "--json").stdout)
    assert stopped["running"] is False and {k: stopped["locations"][k] for k in want} == want
    not_running = run_cli(home, "status")
    assert str(home / "config.toml") in not_running.stderr and str(home / "logs") in not_running.stderr

    env = daemon_env(home, PAPERTRAY_HF_URL=UNREACHABLE, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    doctor = run_cli(home, "doctor", env=env)
    files = next(line for line in doctor.stdout.splitlines() if line.split()[1:2] == ["files"])
    assert files.startswith("ok") and all(path in files for path in want.values())
    checks = {c["name"]: c for c in json.loads(run_cli(home, "doctor", "--json", env=env).stdout)}
    assert checks["files"]["ok"] is True
    assert {k: checks["files"]["locations"][k] for k in want} == want
