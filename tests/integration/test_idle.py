"""Idle cost (issue 11, item 29) and the `-v` log flood (item 18), on the real daemon: an idle daemon sleeps.

Wake-ups are counted as context switches per second of an idle window (tests/support/wakeups.py), a rate and
not a latency: a thread that sleeps until it has work adds none, however loaded the machine is. The daemon
before this fix woke about 100 times a second (its config watcher's loop) and, with `-v` and PAPERTRAY_HOME,
logged ~60 lines a second about its own log writes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.support.daemon import DaemonProcess
from tests.support.wakeups import measure

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

UNREACHABLE = "http://127.0.0.1:1"  # the first poll fails at once and backs off: nothing left to do
IDLE_SECONDS = 4.0
# Generous: the target is <= 1 a second on average; a few switches come from the window's edges.
MAX_WAKEUPS_PER_SECOND = 5.0


def test_idle_29_u18_an_idle_daemon_sleeps_and_its_verbose_log_stays_quiet(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with DaemonProcess(home, PAPERTRAY_HF_URL=UNREACHABLE, PAPERTRAY_ARXIV_URL=UNREACHABLE) as daemon:
        assert daemon.proc is not None
        assert daemon.after_first_poll()["error_count"] == 1
        log = home / "logs" / "papertray.log"
        before = log.read_text(encoding="utf-8", errors="replace").count("\n")
        window = measure(daemon.proc.pid, IDLE_SECONDS)
        text = log.read_text(encoding="utf-8", errors="replace")
        after = text.count("\n")
    busiest = ", ".join(f"{t.switches} in thread {t.tid}" for t in window.busiest())
    assert window.wakeups_per_second <= MAX_WAKEUPS_PER_SECOND, f"{window.switches} switches: {busiest}"
    assert "all changes filtered out" not in text
    assert after - before <= 3, text.splitlines()[-10:]


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def test_i14_a_new_users_daemon_starts_no_trainer_it_could_not_use(tmp_path: Path) -> None:
    """No rules, no saves: nothing to learn from. The ranker still started its trainer child (it imports
    scikit-learn: about a second of CPU and 100 MB) at every start, and dismissed it after its 5 s debounce,
    which woke an idle daemon whose start-up had ended."""
    with DaemonProcess(tmp_path / "home", PAPERTRAY_HF_URL=UNREACHABLE, PAPERTRAY_ARXIV_URL=UNREACHABLE) as daemon:
        assert daemon.proc is not None
        daemon.after_first_poll()
        started: set[int] = set()
        deadline = time.monotonic() + 7.0  # past the ranker's debounce
        while time.monotonic() < deadline:
            started |= children_of(daemon.proc.pid)
            time.sleep(0.05)
    assert not started, f"the daemon started {len(started)} child process(es)"
