"""Small things a new user meets on the command line (issue 11, item 27): each refusal says what is allowed,
usage errors exit 2, a report is not a failure, and a busy port is named for what holds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from papertray.config import PORT_RULE, Paths, load_config
from tests.support.daemon import REPO, DaemonProcess, daemon_env, run_cli


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    process = DaemonProcess(tmp_path / "home").start()
    try:
        yield process
    finally:
        process.stop()


def test_u27_a_token_name_that_is_refused_says_what_is_allowed(daemon: DaemonProcess) -> None:
    refused = run_cli(daemon.home, "token", "create", "--name", "my script")
    assert refused.returncode == 1
    assert "letters, digits" in refused.stderr and "no spaces" in refused.stderr and "my-script" in refused.stderr
    assert "expected form" not in refused.stderr
    assert "my script" not in run_cli(daemon.home, "token", "list").stdout
    assert run_cli(daemon.home, "token", "create", "--name", "my-script").returncode == 0


def test_u27_list_limit_takes_one_rule(daemon: DaemonProcess) -> None:
    for word in ("0", "-3", "abc", "٣"):
        refused = run_cli(daemon.home, "list", "--limit", word)
        assert refused.returncode == 2, (word, refused.stderr)
        assert "1 or more" in refused.stderr
    assert run_cli(daemon.home, "list", "--limit", "501").returncode == 0  # the CLI pages: no ceiling


def test_u27_run_port_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    refused = run_cli(tmp_path / "home", "run", "--no-tray", "--port", "99999")
    assert refused.returncode == 2
    assert PORT_RULE in refused.stderr and "usage:" in refused.stderr


def test_u27_port_0_means_the_same_in_the_config_as_on_the_command_line(tmp_path: Path) -> None:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(tmp_path / "home")})
    paths.ensure()
    paths.config_file.write_text("[daemon]\nport = 0\n", encoding="utf-8")
    assert load_config(paths, env={}).port == 0  # any free port, as `run --port 0` and PAPERTRAY_PORT=0
    daemon = DaemonProcess(tmp_path / "home")
    daemon.env["PAPERTRAY_PORT"] = ""  # not set: the file's 0 applies
    daemon.start()
    try:
        assert daemon.port > 0
    finally:
        daemon.stop()


def test_u27_autostart_status_when_not_enabled_is_a_report(tmp_path: Path) -> None:
    user_home = tmp_path / "user"
    user_home.mkdir()
    env = daemon_env(tmp_path / "pt", HOME=str(user_home))
    env.pop("XDG_CONFIG_HOME", None)
    status = run_cli(tmp_path, "autostart", "status", env=env)
    assert status.returncode == 0
    assert status.stdout.startswith("autostart: not enabled")


def test_u27_a_typo_of_an_arxiv_id_is_refused_with_the_accepted_forms(daemon: DaemonProcess) -> None:
    refused = run_cli(daemon.home, "save", "2307.1234")
    assert refused.returncode == 1
    assert "'2307.1234' is not an arXiv id" in refused.stderr
    assert "2307.12345" in refused.stderr and "hep-th/9901001" in refused.stderr
    status, body = daemon.post("papers/2307.1234/save")
    assert status == 400, body  # the API refuses it too, so nothing is queued for download
    assert daemon.get("papers")[1]["papers"] == []


def test_u27_a_second_run_says_only_that_papertray_is_already_running(daemon: DaemonProcess) -> None:
    env = daemon_env(daemon.home)  # no DISPLAY: this run would fall back to no tray, and must not say so first
    second = run_cli(daemon.home, "run", env=env, timeout=60)
    assert second.returncode == 1
    assert second.stderr.splitlines() == [
        f"Error: papertray is already running for this home (pid {daemon.proc.pid}, port {daemon.port})."
    ]
    assert "tray icon" not in second.stdout + second.stderr


def test_u27_a_port_held_by_another_papertray_is_named(tmp_path: Path) -> None:
    """The everyday papertray (default home under a temporary HOME) holds a port; a PAPERTRAY_HOME run asks
    for the same one."""
    user_home = tmp_path / "user"
    env = {k: v for k, v in daemon_env(tmp_path / "unused").items() if not k.startswith("XDG_")}
    env.pop("PAPERTRAY_HOME")
    env.update(HOME=str(user_home), PAPERTRAY_PORT="0")
    default_paths = subprocess.run(
        [sys.executable, "-c", "from papertray.config import Paths; p = Paths.from_env({}); print(p.state_dir)"],
        env=env, capture_output=True, text=True, check=True, cwd=REPO,
    ).stdout.strip()  # fmt: skip
    everyday = subprocess.Popen(
        [sys.executable, "-m", "papertray", "run", "--no-tray"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
    )  # fmt: skip
    try:
        record = Path(default_paths) / "daemon.json"
        port = 0
        for _ in range(600):
            try:
                info = json.loads(record.read_text())
                if info.get("pid") == everyday.pid:
                    port = int(info["port"])
                    break
            except (OSError, ValueError):
                pass
            assert everyday.poll() is None, "the everyday papertray exited"
            time.sleep(0.05)
        assert port
        second = run_cli(tmp_path / "other", "run", "--no-tray", "--port", str(port), env={
            **daemon_env(tmp_path / "other"), "HOME": str(user_home),
            **{k: "" for k in os.environ if k.startswith("XDG_")},
        })  # fmt: skip
        assert second.returncode == 1
        assert f"Port {port} on 127.0.0.1 is in use by another papertray (" in second.stderr
        assert f"pid {everyday.pid}" in second.stderr and str(user_home) in second.stderr
        assert "another program" not in second.stderr
    finally:
        everyday.terminate()
        everyday.wait(15)
