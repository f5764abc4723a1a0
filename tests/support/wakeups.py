"""How often a process wakes up: per-thread context switches and CPU time from /proc (Linux only).

A thread that sleeps until it has something to do adds no context switches; every timed wake-up adds one
(voluntary when it goes back to sleep, nonvoluntary when the scheduler preempts it). So switches per second
over an idle window count wake-ups, and load on the machine does not invent any. Used by bench/idle.py and by
the idle tests.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True, slots=True)
class ThreadTotals:
    tid: int
    name: str
    switches: int
    cpu_seconds: float


@dataclass(frozen=True, slots=True)
class Window:
    """What one process did over `seconds`: per-thread switches and CPU (threads born meanwhile included)."""

    seconds: float
    threads: tuple[ThreadTotals, ...]

    @property
    def switches(self) -> int:
        return sum(t.switches for t in self.threads)

    @property
    def cpu_seconds(self) -> float:
        return sum(t.cpu_seconds for t in self.threads)

    @property
    def wakeups_per_second(self) -> float:
        return self.switches / self.seconds

    @property
    def cpu_seconds_per_minute(self) -> float:
        return self.cpu_seconds * 60.0 / self.seconds

    def busiest(self, n: int = 3) -> list[ThreadTotals]:
        return sorted(self.threads, key=lambda t: t.switches, reverse=True)[:n]


def sample(pid: int) -> dict[int, ThreadTotals]:
    """Totals since each thread started; threads that end while being read are left out."""
    result: dict[int, ThreadTotals] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
            stat = (task / "stat").read_text()
        except OSError:
            continue
        switches = 0
        for line in status.splitlines():
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                switches += int(line.split()[1])
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
        result[int(task.name)] = ThreadTotals(int(task.name), name, switches, (utime + stime) / TICKS)
    return result


def measure(pid: int, seconds: float) -> Window:
    """Sleep `seconds` while the process idles, and say what it did meanwhile."""
    before = sample(pid)
    started = time.monotonic()
    time.sleep(seconds)
    after = sample(pid)
    elapsed = time.monotonic() - started
    return difference(before, after, elapsed)


def difference(before: dict[int, ThreadTotals], after: dict[int, ThreadTotals], seconds: float) -> Window:
    threads = []
    for tid, now in after.items():
        then = before.get(tid)
        switches = now.switches - (then.switches if then else 0)
        cpu = now.cpu_seconds - (then.cpu_seconds if then else 0.0)
        threads.append(ThreadTotals(tid, now.name, switches, cpu))
    return Window(seconds, tuple(threads))
