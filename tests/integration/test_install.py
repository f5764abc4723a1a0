"""`pipx install .` gives a working `papertray` command in a clean, isolated environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from papertray import __version__

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_pipx_install_runs_papertray_version(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    install = subprocess.run(
        [sys.executable, "-m", "pipx", "install", "--python", sys.executable, str(REPO)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    papertray = tmp_path / "bin" / "papertray"
    version = subprocess.run([str(papertray), "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"papertray {__version__}"
    # The installed copy carries its autostart templates (package data), not the source tree's.
    listing = subprocess.run(
        [
            str(tmp_path / "pipx" / "venvs" / "papertray" / "bin" / "python"),
            "-c",
            "import importlib.resources as r; print(sorted(p.name for p in r.files('papertray').joinpath("
            "'templates','autostart').iterdir()))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "papertray.service" in listing.stdout, listing.stderr
