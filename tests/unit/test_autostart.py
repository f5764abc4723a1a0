"""The autostart entries papertray writes for each OS (macOS and Windows files are checked as text here,
since neither OS runs on this machine; Linux entries are also exercised for real in the integration tier)."""

from __future__ import annotations

import configparser
import plistlib
import sys
from pathlib import Path

import pytest

from papertray.autostart import entry_for
from papertray.config import Paths


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths.from_env({"PAPERTRAY_HOME": str(tmp_path / "pt home")})


ENV = {"PAPERTRAY_HOME": "/home/ada/pt home", "PAPERTRAY_PORT": "4242", "PATH": "/usr/bin", "SECRET": "x"}


def test_launch_agent_is_a_valid_plist_that_runs_this_python(tmp_path: Path, paths: Paths) -> None:
    entry = entry_for("darwin", tmp_path, paths, systemd=False, env=ENV)
    assert entry.path == tmp_path / "Library" / "LaunchAgents" / "org.papertray.daemon.plist"
    plist = plistlib.loads(entry.text.encode())
    assert plist["Label"] == "org.papertray.daemon"
    assert plist["ProgramArguments"] == [sys.executable, "-m", "papertray", "run"]
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}
    # Only papertray's own variables travel into the entry.
    assert plist["EnvironmentVariables"] == {"PAPERTRAY_HOME": "/home/ada/pt home", "PAPERTRAY_PORT": "4242"}
    assert plist["StandardErrorPath"].startswith(str(paths.log_dir))


def test_systemd_unit_runs_this_python_in_the_graphical_session(tmp_path: Path, paths: Paths) -> None:
    entry = entry_for("linux", tmp_path, paths, systemd=True, env={**ENV, "XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert entry.path == tmp_path / "cfg" / "systemd" / "user" / "papertray.service"
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(entry.text)
    assert unit["Service"]["ExecStart"] == f"{sys.executable} -m papertray run"
    assert unit["Install"]["WantedBy"] == "graphical-session.target"
    assert '"PAPERTRAY_HOME=/home/ada/pt home"' in entry.text  # quoted: the value has a space
    assert "SECRET" not in entry.text


def test_xdg_autostart_entry_without_systemd(tmp_path: Path, paths: Paths) -> None:
    entry = entry_for("linux", tmp_path, paths, systemd=False, env=ENV)
    assert entry.path == tmp_path / ".config" / "autostart" / "papertray.desktop"
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read_string(entry.text)
    section = desktop["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].startswith('env "PAPERTRAY_HOME=/home/ada/pt home" PAPERTRAY_PORT=4242 ')
    assert section["Exec"].endswith("-m papertray run")


def test_windows_startup_entry(tmp_path: Path, paths: Paths) -> None:
    entry = entry_for("win32", tmp_path, paths, systemd=False, env={**ENV, "APPDATA": str(tmp_path / "Roaming")})
    assert entry.path.parent == tmp_path / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"
    assert "\r\n" in entry.text  # cmd.exe files use CRLF
    assert 'set "PAPERTRAY_PORT=4242"' in entry.text
    assert "-m papertray run" in entry.text.replace('"', "")
