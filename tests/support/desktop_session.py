"""A private desktop for tests: Xvfb, its own D-Bus session bus, a tray host (trayer) and a notification
server (dunst), each started as a real process and stopped by its pid.

Nothing here touches the user's display or session bus: every process gets `env()` (DISPLAY, a private
DBUS_SESSION_BUS_ADDRESS, and a temporary HOME / XDG dirs so no user config is read).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={run}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

TOOLS = ("Xvfb", "dbus-daemon", "trayer", "dunst", "dunstctl", "xdotool", "xwininfo", "import")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def wait_for(check: Callable[[], Any], what: str, timeout: float = 15.0, step: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; raise with `what` when it never does."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


def stop_process(proc: subprocess.Popen[Any] | None, timeout: float = 5.0) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):  # our ends of its pipes
        if pipe is not None:
            pipe.close()


@dataclass
class DesktopSession:
    """Start with `start()`, stop with `stop()`; `env()` is the environment for anything run inside."""

    root: Path
    width: int = 1280
    height: int = 800
    display: str = ""
    bus_address: str = ""
    processes: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)

    # ------------------------------------------------------------------ environment

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DBUS_", "XDG_", "WAYLAND_", "DISPLAY", "GTK_", "PYSTRAY_"))
        }
        env.update(
            HOME=str(self.root / "home"),
            XDG_CONFIG_HOME=str(self.root / "home" / ".config"),
            XDG_DATA_HOME=str(self.root / "home" / ".local" / "share"),
            XDG_CACHE_HOME=str(self.root / "home" / ".cache"),
            XDG_RUNTIME_DIR=str(self.root / "run"),
            NO_AT_BRIDGE="1",  # GTK would otherwise look for the accessibility bus
        )
        if self.display:
            env["DISPLAY"] = self.display
        if self.bus_address:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        env.update(extra)
        return env

    def run(self, *args: str, check: bool = True, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), env=self.env(), capture_output=True, text=True, check=check, timeout=timeout)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> DesktopSession:
        for folder in ("home/.config", "home/.local/share", "home/.cache", "run"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        (self.root / "run").chmod(0o700)
        self._start_xvfb()
        self._start_bus()
        return self

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            stop_process(self.processes.pop(name))

    def _start_xvfb(self) -> None:
        read_fd, write_fd = os.pipe()
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{self.width}x{self.height}x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        self.processes["xvfb"] = proc
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not report a display number")
        self.display = f":{number}"

    def _start_bus(self) -> None:
        # A session bus without service directories: nothing is auto-activated (the system's dunst or
        # gnome-keyring would otherwise start on first use and outlive the test), so every server on this bus
        # is one we started and stop by pid.
        config = self.root / "bus.conf"
        config.write_text(BUS_CONFIG.format(run=self.root / "run"))
        proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self.env(),
            text=True,
        )
        self.processes["dbus"] = proc
        assert proc.stdout is not None
        self.bus_address = proc.stdout.readline().strip()
        if not self.bus_address:
            raise RuntimeError("dbus-daemon did not print its address")

    # ------------------------------------------------------------------ tray host

    def start_trayer(self, width: int = 240, height: int = 40) -> int:
        """Start trayer docked at the top right; returns its X window id once it is mapped.

        trayer was seen to exit at once with status 1 (about one start in ten on a fresh X server; the cause was
        not found): it is started again, up to three times, and its stderr is reported if it never stays up.
        """
        log = self.root / "trayer.log"
        for _attempt in range(3):
            with log.open("w") as err:
                proc = subprocess.Popen(
                    [
                        "trayer",
                        "--edge", "top", "--align", "right",
                        "--widthtype", "pixel", "--width", str(width),
                        "--heighttype", "pixel", "--height", str(height),
                        "--tint", "0x404040", "--transparent", "false", "--SetDockType", "true",
                    ],
                    env=self.env(),
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )  # fmt: skip
            self.processes["trayer"] = proc

            def mapped(proc: subprocess.Popen[Any] = proc) -> list[int] | str:
                if proc.poll() is not None:
                    return "exited"
                return self.window_ids("--class", "trayer")[:1]

            found = wait_for(mapped, "the trayer window")
            if found != "exited":
                return int(found[0])
        raise RuntimeError(f"trayer keeps exiting: {log.read_text()[-500:]}")

    def ensure_trayer(self) -> int:
        proc = self.processes.get("trayer")
        if proc is not None and proc.poll() is None:
            found = self.window_ids("--class", "trayer")
            if found:
                return found[0]
        if proc is not None:
            print(f"trayer had exited (status {proc.returncode}); starting it again")
        return self.start_trayer()

    def stop_trayer(self) -> None:
        stop_process(self.processes.pop("trayer", None))

    def window_ids(self, *query: str, visible: bool = True) -> list[int]:
        found = self.run("xdotool", "search", *(["--onlyvisible"] if visible else []), *query, check=False)
        return [int(line) for line in found.stdout.split()]

    def tree(self, window: int | None = None) -> str:
        args = ["xwininfo", "-tree"] + (["-id", str(window)] if window else ["-root"])
        return self.run(*args).stdout

    def geometry(self, window: int) -> tuple[int, int, int, int]:
        """Absolute x, y, width, height of a window."""
        info = self.run("xwininfo", "-id", str(window)).stdout
        values = {}
        for key, label in (
            ("x", "Absolute upper-left X"),
            ("y", "Absolute upper-left Y"),
            ("w", "Width"),
            ("h", "Height"),
        ):
            line = next(line for line in info.splitlines() if line.strip().startswith(label + ":"))
            values[key] = int(line.split(":")[1])
        return values["x"], values["y"], values["w"], values["h"]

    def screenshot(self, target: Path, crop: tuple[int, int, int, int] | None = None) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        args = ["import", "-window", "root"]
        if crop:
            x, y, w, h = crop
            args += ["-crop", f"{w}x{h}+{x}+{y}", "+repage"]
        self.run(*args, str(target))
        return target

    # ------------------------------------------------------------------ notifications

    def start_dunst(self, dmenu: str | None = None) -> None:
        """Start dunst on the private bus and wait until it owns org.freedesktop.Notifications.

        `dmenu` is the command dunst runs for a notification's context menu (it reads the actions on stdin and
        prints the chosen one): tests pick an action with it, as a user would in the menu.
        """
        config = self.root / "dunstrc"
        lines = ["[global]", "    history_length = 50", "    show_indicators = no"]
        if dmenu:
            lines.append(f'    dmenu = "{dmenu}"')
        lines += ["[urgency_normal]", "    timeout = 0", "[urgency_low]", "    timeout = 0"]
        config.write_text("\n".join(lines) + "\n")
        self.processes["dunst"] = subprocess.Popen(
            ["dunst", "-config", str(config)], env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(self._notifications_owned, "dunst to own org.freedesktop.Notifications")

    def stop_dunst(self) -> None:
        stop_process(self.processes.pop("dunst", None))

    def _notifications_owned(self) -> bool:
        reply = self.run(
            "dbus-send", "--session", "--dest=org.freedesktop.DBus", "--print-reply", "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications",
            check=False,
        )  # fmt: skip
        return "boolean true" in reply.stdout

    def displayed_count(self) -> int:
        return int(self.run("dunstctl", "count", "displayed").stdout.strip() or 0)

    def history(self) -> list[dict[str, Any]]:
        """What dunst has shown and closed, newest first: [{"summary": …, "body": …, "appname": …}, …]."""
        data = json.loads(self.run("dunstctl", "history").stdout)
        items = data.get("data", [[]])[0]
        return [{key: value.get("data") for key, value in item.items()} for item in items]

    def close_all_and_read(self) -> list[dict[str, Any]]:
        """Close what is on screen (dunst moves it to its history) and return the history."""
        self.run("dunstctl", "close-all")
        with contextlib.suppress(TimeoutError):
            wait_for(lambda: self.displayed_count() == 0, "dunst to close its notifications", timeout=5)
        return self.history()
