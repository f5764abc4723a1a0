"""`papertray run` in a terminal (item 22): what goes wrong is said there once, and again when it changes or
clears; with output going to a file (a service's journal) the log alone has it. A real pseudo-terminal."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.support.daemon import DaemonProcess

UNREACHABLE = "http://127.0.0.1:1"
GOOD = '[[rules]]\nname = "sae"\nkeywords = ["sparse autoencoder"]\n'


def editor_save(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.swp~")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def test_u22_run_in_a_terminal_says_each_problem_once_and_when_it_clears(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"PAPERTRAY_HF_URL": UNREACHABLE, "PAPERTRAY_ARXIV_URL": UNREACHABLE}
    with DaemonProcess(home, terminal=True, verbose=False, **env) as daemon:
        daemon.read_terminal_until("papertray: Polling failed: Cannot reach 127.0.0.1:1")
        status, report = daemon.post("poll")  # fails the same way: not said again
        assert status == 200 and report["error"]

        editor_save(home / "config.toml", "[[rules]\nthis is not toml")
        screen = daemon.read_terminal_until("papertray: Config edit refused, the previous config stays:")
        assert "not valid TOML" in screen.splitlines()[-1]
        assert screen.count("Polling failed") == 1

        editor_save(home / "config.toml", GOOD)
        screen = daemon.read_terminal_until("papertray: Config fixed and applied:")
    assert screen.count("Config edit refused") == 1


def test_u22_run_without_a_terminal_leaves_problems_to_the_log(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"PAPERTRAY_HF_URL": UNREACHABLE, "PAPERTRAY_ARXIV_URL": UNREACHABLE}
    with DaemonProcess(home, verbose=False, **env) as daemon:
        status, report = daemon.post("poll")
        assert status == 200 and report["error"]
        editor_save(home / "config.toml", "[[rules]\nthis is not toml")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not daemon.get("status")[1]["problems"]:
            time.sleep(0.05)
        assert daemon.get("status")[1]["problems"]
    assert "papertray: " not in daemon.output()
