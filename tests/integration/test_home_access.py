"""Item H: a home that is entirely read-only or cannot be entered ends in one sentence naming the folder, not
a PermissionError traceback. Runs the real CLI as an unprivileged user (root ignores file modes: under root the
child is started as `nobody` with setpriv)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import REPO, daemon_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temp folder another user can enter (pytest's own tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="papertray-access-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def run_as_user(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = daemon_env(home, PYTHONDONTWRITEBYTECODE="1")
    argv = [sys.executable, "-m", "papertray", *args]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: file modes would not stop root")
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, cwd=REPO)


@pytest.mark.parametrize("mode", [0o555, 0o000], ids=["read-only", "inaccessible"])
@pytest.mark.parametrize("command", [("run", "--no-tray"), ("doctor",)], ids=["run", "doctor"])
def test_H_an_unusable_home_is_said_in_one_sentence(shared_tmp: Path, mode: int, command: tuple[str, ...]) -> None:
    home = shared_tmp / "home"
    home.mkdir()
    home.chmod(mode)
    result = run_as_user(home, *command)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    said = {0o555: "is not writable for papertray", 0o000: "cannot be opened by papertray"}[mode]
    assert lines[0].startswith(f"Error: {home} {said} (Permission denied): ")
    assert "PAPERTRAY_HOME" in lines[0]


def test_H_read_only_state_and_logs_under_an_existing_config_are_said_too(shared_tmp: Path) -> None:
    home = shared_tmp / "home"
    for name in ("state", "logs", "data"):
        (home / name).mkdir(parents=True)
    (home / "config.toml").write_text("")
    for path in [home, *home.iterdir()]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    result = run_as_user(home, "run", "--no-tray")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: {home}/") and "is not writable for papertray" in result.stderr
