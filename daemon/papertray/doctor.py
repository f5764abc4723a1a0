"""`papertray doctor`: checks what papertray needs from this machine, one line each, and for every failure says
how to fix it. The checks are read-only and bounded by short timeouts; none needs the daemon to be running.

    files           where config, data and logs live, and that papertray can write there
    keyring         a usable OS keyring for secrets (never the fail, null or plaintext backends); a note, not a
                    failure, when only optional features need it (the HF token, the feeds' key)
    tray            a display, the chosen pystray backend, and what that backend cannot do
    notifications   a notification server answering on the D-Bus session bus (Linux/BSD)
    port            the API port is free, or held by our own daemon
    feed            Hugging Face Daily Papers answers `GET {hf_url}/api/daily_papers?limit=1`
    extension       a browser extension is paired (an origin-pinned token in state/tokens.json)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papertray import credentials, notify_probe, tray
from papertray.config import Config
from papertray.runtime import papertray_version_on
from papertray.wording import counted

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `papertray doctor`: what was checked, whether it is fine, what was found, and the fix."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    locations: dict[str, str] = field(default_factory=dict)  # the files check names the folders, for --json
    # Not ok, but only an optional feature misses it: said as a note, and `doctor` still passes.
    optional: bool = False

    @property
    def failed(self) -> bool:
        return not self.ok and not self.optional

    def to_dict(self) -> dict[str, Any]:
        found = {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix, "optional": self.optional}
        return {**found, "locations": self.locations} if self.locations else found


# ---------------------------------------------------------------------------------------------- files


def check_files(config: Config) -> Check:
    where = config.paths.locations()
    detail = " · ".join(f"{name} {where[name]}" for name in ("config", "data", "logs"))
    folders = [config.paths.config_dir, config.paths.data_dir, config.paths.log_dir, config.paths.state_dir]
    for folder in folders:
        problem = _cannot_write(folder)
        if problem is not None:
            fix = f"Make {problem} writable for you, or set PAPERTRAY_HOME to a folder of your own."
            return Check("files", False, f"cannot write in {problem}; {detail}", fix, where)
    return Check("files", True, detail, locations=where)


def _cannot_write(folder: Path) -> Path | None:
    """The folder (or, if it does not exist yet, the ancestor it would be created in) when it is not writable."""
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
        return None
    return existing


# ---------------------------------------------------------------------------------------------- keyring


def check_keyring(config: Config) -> Check:
    ok, name, sentence = credentials.keyring_status()
    if ok:
        return Check("keyring", True, f"{name}: {sentence}")
    # Only the email digest's SMTP login needs a secret papertray cannot run without; the HF token and the
    # feeds' key are optional, so a machine without a keyring is fine until one of them is wanted.
    needed = config.digest.enabled and bool(config.digest.smtp_user) and not os.environ.get("PAPERTRAY_SMTP_PASSWORD")
    if needed:
        return Check("keyring", False, f"{name}; the email digest's SMTP password is read from it", sentence)
    detail = f"{name}; only optional features use it (a Hugging Face token, the feeds' key)"
    return Check("keyring", False, detail, sentence, optional=True)


# ---------------------------------------------------------------------------------------------- tray


def check_tray() -> Check:
    problem = tray.display_problem()
    if problem is not None:
        return Check(
            "tray",
            False,
            f"{problem}: `papertray run` will run without a tray",
            "Run papertray inside your desktop session (or use `papertray run --no-tray` on purpose).",
        )
    backend = tray.choose_backend()
    limits = tray.backend_limits(backend)
    if backend == "xorg":
        return Check(
            "tray",
            False,
            f"backend xorg: {limits}",
            "pip install 'PyGObject<3.51' (needs libgirepository1.0-dev, libcairo2-dev, gir1.2-gtk-3.0) "
            "so papertray can use the gtk backend.",
        )
    return Check("tray", True, f"backend {backend}" + (f"; limits: {limits}" if limits else ""))


# ---------------------------------------------------------------------------------------------- notifications


def check_notifications() -> Check:
    try:
        ok, detail = asyncio.run(asyncio.wait_for(notify_probe.notification_server(), TIMEOUT_SECONDS + 2))
    except Exception as exc:
        ok, detail = False, f"the check failed ({exc})"
    fix = (
        ""
        if ok
        else "Start a notification server in your session (your desktop's own, or dunst / mako / "
        "xfce4-notifyd); papertray keeps running without one, silently."
    )
    return Check("notifications", ok, detail, fix)


# ---------------------------------------------------------------------------------------------- port


def _daemon_record(config: Config) -> tuple[int | None, int | None]:
    """The pid and port `daemon.json` names (either may be None)."""
    try:
        data = json.loads(config.paths.daemon_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    pid, port = data.get("pid"), data.get("port")
    return (pid if isinstance(pid, int) else None), (port if isinstance(port, int) else None)


def _in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def check_port(config: Config) -> Check:
    port = config.port
    pid, running_port = _daemon_record(config)
    if running_port is not None and running_port != port:
        # papertray runs elsewhere (PAPERTRAY_PORT, or the config changed since it started): say where, since
        # the extension must use that port until the next start.
        version = papertray_version_on(running_port)
        if version is not None:
            detail = f"papertray {version} runs on 127.0.0.1:{running_port} (pid {pid}); the configured port {port}"
            if not _in_use(port):
                return Check("port", True, f"{detail} is free for its next start")
            return Check(
                "port",
                False,
                f"{detail} is used by another program",
                f"Before papertray restarts, choose another port: set `port` under [daemon] in "
                f"{config.paths.config_file} or PAPERTRAY_PORT.",
            )
    if not _in_use(port):
        return Check("port", True, f"127.0.0.1:{port} is free")
    version = papertray_version_on(port)
    if version is not None:
        return Check("port", True, f"127.0.0.1:{port} is held by our daemon (papertray {version}, pid {pid})")
    return Check(
        "port",
        False,
        f"127.0.0.1:{port} is used by another program",
        f"Choose another port: set `port` under [daemon] in {config.paths.config_file} or PAPERTRAY_PORT.",
    )


# ---------------------------------------------------------------------------------------------- feed


def check_feed(config: Config, opener: Callable[..., Any] = urllib.request.urlopen) -> Check:
    url = f"{config.hf_url}/api/daily_papers?limit=1"
    fix = f"Check your network connection and proxy; the feed's base URL is {config.hf_url} ([sources] hf_url)."
    headers = {"Accept": "application/json", "User-Agent": "papertray-doctor"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - config allows only http(s) URLs
    try:
        with opener(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        return Check("feed", False, f"{url} answered HTTP {exc.code} {exc.reason}", fix)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Check("feed", False, f"{url} is unreachable ({reason})", fix)
    try:
        data = json.loads(body)
    except ValueError:
        return Check("feed", False, f"{url} did not answer JSON", fix)
    if not isinstance(data, list):
        return Check("feed", False, f"{url} answered JSON that is not a list of papers", fix)
    return Check("feed", True, f"{url} answers ({counted(len(data), 'paper')})")


# ---------------------------------------------------------------------------------------------- pairing


def check_extension(config: Config) -> Check:
    path = config.paths.state_dir / "tokens.json"
    fix = "Run `papertray pair` (or use the tray's Pair extension) and type the code in the extension's options."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Check("extension", False, "no extension is paired yet", fix)
    except (OSError, ValueError) as exc:
        return Check("extension", False, f"{path} cannot be read ({exc})", fix)
    tokens = data.get("tokens", []) if isinstance(data, dict) else []
    origins = sorted(
        {t["origin"] for t in tokens if isinstance(t, dict) and t.get("kind") == "extension" and t.get("origin")}
    )
    if not origins:
        return Check("extension", False, "no extension is paired yet", fix)
    return Check("extension", True, f"paired: {', '.join(origins)}")


# ---------------------------------------------------------------------------------------------- all


def run_checks(config: Config) -> list[Check]:
    """Every check, in the order `papertray doctor` prints them. Call it from synchronous code (not a running loop)."""
    checks: list[Callable[[], Check]] = [
        lambda: check_files(config),
        lambda: check_keyring(config),
        check_tray,
        check_notifications,
        lambda: check_port(config),
        lambda: check_feed(config),
        lambda: check_extension(config),
    ]
    results = []
    for run in checks:
        try:
            results.append(run())
        except Exception as exc:  # a broken check is a finding, not a crash
            log.exception("doctor check failed")
            results.append(Check(getattr(run, "__name__", "check"), False, f"the check itself failed ({exc})"))
    return results
