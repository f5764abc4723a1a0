"""Start papertray at login: writes and removes the per-OS entry from the templates shipped in
`templates/autostart/` (also at `packaging/autostart/` in the source tree).

- Linux with systemd: a user unit `~/.config/systemd/user/papertray.service`, enabled with systemctl when a
  user manager is reachable; without systemd, an XDG autostart entry `~/.config/autostart/papertray.desktop`.
- macOS: a LaunchAgent `~/Library/LaunchAgents/org.papertray.daemon.plist`.
- Windows: `papertray-startup.cmd` in the Startup folder of the Start menu.

The command is always this interpreter with `-m papertray run`, so the entry starts the same installation
(a pipx venv, a project venv) that wrote it. Only `PAPERTRAY_*` variables of the current environment are
carried into the entry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from papertray.config import Paths
from papertray.errors import PapertrayError

ENV_PREFIX = "PAPERTRAY_"


@dataclass(frozen=True, slots=True)
class AutostartEntry:
    kind: str  # "systemd", "xdg", "launchd", "windows"
    path: Path
    text: str


@dataclass(frozen=True, slots=True)
class AutostartStatus:
    enabled: bool
    kind: str
    path: Path
    detail: str


def _template(name: str) -> str:
    return resources.files("papertray").joinpath("templates", "autostart", name).read_text(encoding="utf-8")


def _command() -> list[str]:
    python = Path(sys.executable)
    if sys.platform == "win32":  # pythonw has no console window
        windowless = python.with_name("pythonw.exe")
        python = windowless if windowless.exists() else python
    return [str(python), "-m", "papertray", "run"]


def _carried_env(env: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ) if env is None else env
    return {k: v for k, v in sorted(env.items()) if k.startswith(ENV_PREFIX)}


def _systemd_quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "/._-+:=@" for c in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _desktop_quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "/._-+:=@" for c in arg):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'


def has_systemd() -> bool:
    """systemd is the init system (it creates /run/systemd/system) and systemctl is there to enable units."""
    return Path("/run/systemd/system").is_dir() and shutil.which("systemctl") is not None


def entry_for(
    platform: str, home: Path, paths: Paths, *, systemd: bool, env: dict[str, str] | None = None
) -> AutostartEntry:
    """The entry papertray would write on `platform` ("linux", "darwin", "win32"); pure, for tests."""
    command = _command()
    carried = _carried_env(env)
    if platform == "darwin":
        arguments = "\n".join(f"    <string>{escape(arg)}</string>" for arg in command)
        environment = ""
        if carried:
            pairs = "".join(
                f"    <key>{escape(k)}</key>\n    <string>{escape(v)}</string>\n" for k, v in carried.items()
            )
            environment = f"  <key>EnvironmentVariables</key>\n  <dict>\n{pairs}  </dict>\n"
        text = _template("org.papertray.daemon.plist").format(
            program_arguments=arguments, environment=environment, log_dir=escape(str(paths.log_dir))
        )
        return AutostartEntry("launchd", home / "Library" / "LaunchAgents" / "org.papertray.daemon.plist", text)
    if platform == "win32":
        appdata = Path((env or os.environ).get("APPDATA", str(home / "AppData" / "Roaming")))
        folder = appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"
        environment = "".join(f'set "{k}={v}"\r\n' for k, v in carried.items())
        exec_start = " ".join(f'"{arg}"' for arg in command)
        text = _template("papertray-startup.cmd").format(environment=environment, exec_start=exec_start)
        return AutostartEntry("windows", folder / "papertray-startup.cmd", text)
    config_home = Path((env or os.environ).get("XDG_CONFIG_HOME") or home / ".config")
    if systemd:
        environment = "".join(f"Environment={_systemd_quote(f'{k}={v}')}\n" for k, v in carried.items())
        text = _template("papertray.service").format(
            exec_start=" ".join(_systemd_quote(arg) for arg in command), environment=environment
        )
        return AutostartEntry("systemd", config_home / "systemd" / "user" / "papertray.service", text)
    exec_parts = [*(["env", *(f"{k}={v}" for k, v in carried.items())] if carried else []), *command]
    text = _template("papertray.desktop").format(exec_start=" ".join(_desktop_quote(a) for a in exec_parts))
    return AutostartEntry("xdg", config_home / "autostart" / "papertray.desktop", text)


def current_entry(paths: Paths, home: Path | None = None) -> AutostartEntry:
    home = home or Path.home()
    return entry_for(sys.platform, home, paths, systemd=sys.platform == "linux" and has_systemd())


def _systemctl(*args: str) -> tuple[bool, str]:
    try:
        result = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return result.returncode == 0, (result.stderr or result.stdout).strip()


def enable(paths: Paths, home: Path | None = None) -> tuple[AutostartEntry, str]:
    """Write the entry (and enable the systemd unit); returns the entry and a sentence about what happened."""
    entry = current_entry(paths, home)
    try:
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        entry.path.write_text(entry.text, encoding="utf-8", newline="")
    except OSError as exc:
        raise PapertrayError(f"Could not write {entry.path} ({exc.strerror}).") from None
    if entry.kind == "systemd":
        ok, detail = _systemctl("daemon-reload")
        if ok:
            ok, detail = _systemctl("enable", "papertray.service")
        if not ok:
            return entry, (
                f"Wrote {entry.path}, but systemctl could not enable it ({detail or 'no user manager'}); "
                "run `systemctl --user enable --now papertray.service` in your desktop session."
            )
        return entry, f"Enabled {entry.path}: papertray starts with your graphical session."
    if entry.kind == "launchd":
        return entry, f"Wrote {entry.path}: papertray starts at your next login (or `launchctl load` it now)."
    return entry, f"Wrote {entry.path}: papertray starts at your next login."


def disable(paths: Paths, home: Path | None = None) -> str:
    entry = current_entry(paths, home)
    if entry.kind == "systemd" and entry.path.exists():
        _systemctl("disable", "papertray.service")
    if not entry.path.exists():
        return f"Autostart was not enabled ({entry.path} does not exist)."
    try:
        entry.path.unlink()
    except OSError as exc:
        raise PapertrayError(f"Could not remove {entry.path} ({exc.strerror}).") from None
    if entry.kind == "systemd":
        _systemctl("daemon-reload")
    return f"Removed {entry.path}: papertray no longer starts at login."


def status(paths: Paths, home: Path | None = None) -> AutostartStatus:
    entry = current_entry(paths, home)
    if not entry.path.exists():
        return AutostartStatus(False, entry.kind, entry.path, "not enabled")
    current = entry.path.read_text(encoding="utf-8")
    if current != entry.text:
        return AutostartStatus(
            True, entry.kind, entry.path, "enabled, but written by another installation (run enable again)"
        )
    return AutostartStatus(True, entry.kind, entry.path, "enabled")
