"""`papertray autostart enable | status | disable` on this machine, with a temporary HOME."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from papertray.autostart import entry_for
from papertray.config import Paths
from tests.support.daemon import daemon_env, run_cli


def test_enable_status_disable_round_trip(tmp_path: Path) -> None:
    user_home = tmp_path / "user"
    user_home.mkdir()
    env = daemon_env(tmp_path / "pt", HOME=str(user_home))
    env.pop("XDG_CONFIG_HOME", None)

    before = run_cli(tmp_path, "autostart", "status", env=env)
    assert before.returncode == 0 and "autostart: not enabled" in before.stdout  # u27: a report, not a failure

    enabled = run_cli(tmp_path, "autostart", "enable", env=env)
    assert enabled.returncode == 0, enabled.stderr
    written = [p for p in user_home.rglob("*") if p.is_file()]
    assert len(written) == 1
    assert written[0].name in ("papertray.service", "papertray.desktop")
    assert "-m papertray run" in written[0].read_text()
    assert str(written[0]) in enabled.stdout

    status = run_cli(tmp_path, "autostart", "status", env=env)
    assert status.returncode == 0
    assert "enabled" in status.stdout

    disabled = run_cli(tmp_path, "autostart", "disable", env=env)
    assert disabled.returncode == 0
    assert not written[0].exists()
    assert "not enabled" in run_cli(tmp_path, "autostart", "status", env=env).stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(tmp_path / "pt")})
    entry = entry_for("linux", tmp_path, paths, systemd=True, env={"PAPERTRAY_HOME": str(tmp_path / "pt")})
    unit = tmp_path / "papertray.service"
    unit.write_text(entry.text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    # verify prints warnings about the host (no user manager in a container); only lines about our unit count.
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "papertray.service" in line]
    assert ours == [], "\n".join(ours)
    assert result.returncode == 0
