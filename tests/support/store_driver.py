"""A real writer process for the store's crash tests: it opens the real `Store` and polls and saves until it is
killed, printing an acknowledgement line only after each write's `await` has returned.

Modes:
    python -m tests.support.store_driver run DATA ACKS SEED
        work on DATA until killed, appending to the file ACKS.
    python -m tests.support.store_driver serve
        a fork server: imports everything once, then for each `run DATA ACKS SEED` line on stdin forks a
        writer child and answers `pid N`; `wait N` reaps it and answers `exited STATUS`. Forking skips the
        interpreter start-up, so a crash trial costs milliseconds, not a new Python.

ACKS lines (each written with a single os.write, so a line is whole or absent):
    I <id> <note>      about to save <note> on <id>   (intent: the save may or may not land); a note
                       ending in + is a save, - an unsave
    A <id> <note>      the save returned              (it must survive any crash from here on)
    P <id>,<id>,...    a poll batch returned          (those papers must survive)
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from papertray.models import Paper
from papertray.store import Store

MONTHS = ("2311", "2402", "2406", "2501", "2507", "2510")
# Small limits so that journal rotations, background and start-up compactions (user.json rewrites) and
# record-cache evictions all happen often during a trial.
JOURNAL_LIMIT = 4096
CACHE_SHARDS = 4


def make_paper(rng: random.Random, pid: str) -> Paper:
    return Paper(
        id=pid,
        version=rng.randint(1, 3),
        title=f"A study of {pid} " + "x" * rng.randint(20, 80),
        summary="Abstract. " * rng.randint(20, 120),
        authors=tuple(f"Author {rng.randint(1, 999)}" for _ in range(rng.randint(3, 8))),
        daily_date=f"20{pid[:2]}-{pid[2:4]}-{rng.randint(1, 28):02d}",
        upvotes=rng.randint(0, 200),
    )


async def work(data: Path, acks: int, seed: int) -> None:
    rng = random.Random(seed)
    store = Store.open(data, journal_limit=JOURNAL_LIMIT, cache_shards=CACHE_SHARDS)
    counter = 0

    def ack(line: str) -> None:
        os.write(acks, (line + "\n").encode())

    ack("R")  # open: the harness times most kills from here, so a loaded machine still gets writes in

    async def save(pid: str) -> None:
        nonlocal counter
        counter += 1
        saved = rng.random() < 0.8
        note = f"s{seed}-{counter}{'+' if saved else '-'}"
        ack(f"I {pid} {note}")
        await store.update_state(pid, saved=saved, note=note, tags=[note])
        ack(f"A {pid} {note}")

    async def poll() -> None:
        ids = sorted({f"{rng.choice(MONTHS)}.{rng.randint(0, 29999):05d}" for _ in range(rng.randint(1, 40))})
        await store.add_papers([make_paper(rng, pid) for pid in ids])
        ack("P " + ",".join(ids))

    while True:
        action = rng.random()
        if action < 0.3:
            await poll()
        elif action < 0.6:
            # Several saves at once share group commits, sometimes while a poll writes; each is acknowledged
            # on its own return.
            ids = {f"{rng.choice(MONTHS)}.{rng.randint(0, 2999):05d}" for _ in range(rng.randint(2, 8))}
            extra = [poll()] if rng.random() < 0.3 else []
            await asyncio.gather(*extra, *(save(pid) for pid in ids))
        else:
            await save(f"{rng.choice(MONTHS)}.{rng.randint(0, 2999):05d}")


@dataclass
class Expected:
    """What the acknowledgements promise: the last acked note per id (with the notes still in flight after
    it, which may or may not have landed) and every acked paper."""

    notes: dict[str, str] = field(default_factory=dict)
    in_flight: dict[str, set[str]] = field(default_factory=dict)
    papers: set[str] = field(default_factory=set)

    def read(self, acks: Path) -> int:
        """Fold in one trial's ack file; returns how many writes it acknowledged."""
        count = 0
        for line in acks.read_text().splitlines():
            if line == "R":
                continue
            kind, rest = line.split(" ", 1)
            if kind == "P":
                self.papers.update(rest.split(","))
                count += 1
                continue
            pid, note = rest.split(" ")
            if kind == "I":
                self.in_flight.setdefault(pid, set()).add(note)
            else:
                self.notes[pid] = note
                self.in_flight[pid] = set()
                count += 1
        return count

    def check(self, store: Store) -> list[str]:
        """Sentences for every acknowledged write the reopened store lost (empty when all is well)."""
        lost = []
        for pid, note in self.notes.items():
            state = store.get_state(pid)
            if state.note != note and state.note not in self.in_flight.get(pid, ()):
                lost.append(f"save {note} on {pid} was acknowledged but the store has {state.note!r}")
            elif state.saved != state.note.endswith("+") or state.tags != (state.note,):
                lost.append(f"{pid} has note {state.note!r} but saved={state.saved} tags={state.tags}")
        for pid in sorted(self.papers):  # in id order, so each record shard is read once
            paper = store.get_paper(pid)
            if paper is None or not paper.title.startswith(f"A study of {pid} ") or not paper.summary:
                lost.append(f"paper {pid} was acknowledged but the store has {paper!r}")
        return lost


class CrashHarness:
    """Drives the fork server: one trial = fork a writer, let it work a random moment, SIGKILL it, reopen."""

    def __init__(self, data: Path, seed: int) -> None:
        self.data = data
        self.seed = seed
        self.rng = random.Random(seed)
        self.expected = Expected()
        self.acked = 0
        repo = Path(__file__).resolve().parents[2]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(repo / "daemon"), str(repo)]))
        self.server = subprocess.Popen(
            [sys.executable, "-m", "tests.support.store_driver", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=repo,
            env=env,
            text=True,
        )

    def _ask(self, line: str) -> str:
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write(line + "\n")
        self.server.stdin.flush()
        return self.server.stdout.readline().split()[1]

    def trial(self, index: int, max_delay: float = 0.08, *, lose_main: bool = False) -> list[str]:
        """Run one trial; returns the problems and losses found after the restart (empty when all is well).

        With `lose_main`, a copy of the data folder first loses `user.json` (garbage in its place) and must
        still hold every acknowledged write, recovered from `user.json.bak` and the journals."""
        acks = self.data.parent / f"acks-{index}"
        pid = int(self._ask(f"run {self.data} {acks} {self.rng.randrange(1 << 30)}"))
        # One kill in five is timed from the fork (it may land while the store opens); the others from the moment
        # the store is open, so that on a slow or loaded machine the trials still kill writers mid-write rather
        # than mostly mid-open.
        if self.rng.random() >= 0.2:
            self._wait_until_open(acks)
        time.sleep(self.rng.uniform(0, max_delay))
        os.kill(pid, signal.SIGKILL)
        status = int(self._ask(f"wait {pid}"))
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
            return [f"the writer ended by itself (status {status}) before it was killed"]
        if acks.exists():
            self.acked += self.expected.read(acks)
            acks.unlink()
        if lose_main:
            found = self._check_without_main(index)
            if found:
                return found
        store = Store.open(self.data)
        try:
            return list(store.problems) + self.expected.check(store)
        finally:
            asyncio.run(store.close())

    @staticmethod
    def _wait_until_open(acks: Path, limit: float = 20.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if acks.exists() and acks.stat().st_size > 0:
                return
            time.sleep(0.002)

    def _check_without_main(self, index: int) -> list[str]:
        copy = self.data.parent / f"lost-main-{index}"
        if not self.data.exists():
            return []  # killed before the store made its folder (a busy machine): nothing to lose yet
        shutil.copytree(self.data, copy)
        try:
            main = copy / "user.json"
            if not main.exists():
                return []  # nothing folded yet: the journal alone is the whole of it
            main.write_bytes(b"\x00garbage")
            store = Store.open(copy)
            try:
                problems = [p for p in store.problems if "with no save lost" not in p]
                return [f"without user.json: {p}" for p in problems + self.expected.check(store)]
            finally:
                asyncio.run(store.close())
        finally:
            shutil.rmtree(copy)

    def close(self) -> None:
        if self.server.poll() is None:
            assert self.server.stdin is not None
            self.server.stdin.close()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        if self.server.stdout is not None:  # our end of its answer pipe
            self.server.stdout.close()


def run(data: str, acks_path: str, seed: str) -> None:
    acks = os.open(acks_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    asyncio.run(work(Path(data), acks, int(seed)))


def serve() -> None:
    """The fork server. Single-threaded until it forks, so a child starts from a clean process."""
    for line in sys.stdin:
        command, *args = line.split()
        if command == "run":
            pid = os.fork()
            if pid == 0:
                devnull = os.open(os.devnull, os.O_RDWR)
                os.dup2(devnull, 0)
                os.dup2(devnull, 1)
                try:
                    run(*args)
                finally:
                    os._exit(1)
            print(f"pid {pid}", flush=True)
        elif command == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            print(f"exited {status}", flush=True)
        elif command == "quit":
            return


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve()
    else:
        run(*sys.argv[2:5])
