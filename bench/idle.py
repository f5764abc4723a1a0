"""Idle cost: how often an idle papertray wakes up and how much CPU it burns, against baselines measured in the
same window (a bare `time.sleep` process and an idle asyncio loop), and the config watchers that were weighed:
watchfiles as papertray used it before (Rust loop waking every `step` = 10 ms), watchfiles with a 1 s step,
the inotify descriptor in the event loop papertray uses now (asyncinotify), and comparing the file's stat once
a second (the fallback where inotify is missing). For each watcher, and for the daemon: how long after an
editor-style save (write a temp file, rename it over config.toml) the change was seen. Each daemon has an
empty store and polls a local feed with no papers (its first poll succeeds, so the next one is 30 minutes
away): what is left in the window is what an idle daemon does on its own.

Wake-ups are context switches (voluntary + nonvoluntary, summed over threads from /proc/<pid>/task/*/status);
CPU is utime + stime from /proc/<pid>/task/*/stat. Every process idles through the same window, so load on the
machine affects them alike. Target (issue 11, item 29): <= 1 wake-up a second, <= 0.05 s CPU a minute, and a
config edit applied within a second. Linux only.

`--before REV` also runs the daemon of an older commit (`git archive`) beside today's. `--tray` also runs each
daemon with its tray icon in a private desktop session (Xvfb, D-Bus, trayer, dunst: tests/support/desktop_session.py),
which adds pystray's threads and the notification client's D-Bus connection.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.support.daemon import REPO, daemon_env
from tests.support.desktop_session import DesktopSession, missing_tools
from tests.support.wakeups import Window, difference, sample

RULE = '[[rules]]\nname = "{name}"\nkeywords = ["sparse autoencoder"]\n'
UNREACHABLE = "http://127.0.0.1:1"  # arXiv is never asked (nothing is saved); if it were, it would fail at once


class _EmptyFeed(http.server.BaseHTTPRequestHandler):
    """Daily Papers with no papers on any day: the daemon's first poll succeeds, the next is 30 minutes away."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *_: object) -> None:
        pass


def _empty_feed() -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EmptyFeed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def editor_save(path: Path, text: str) -> float:
    temp = path.with_name(f".{path.name}.swp~")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
    return time.monotonic()


# ---------------------------------------------------------------- the watchers, each run alone in a child


async def _watch_child(kind: str, home: Path) -> None:
    from papertray.config import Paths
    from papertray.events import EventBus
    from papertray.reload import ConfigWatcher

    def seen(*_: object) -> None:
        print(f"changed {time.monotonic():.6f}", flush=True)

    paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
    if kind.startswith("watchfiles"):
        from watchfiles import awatch

        step = int(kind.split("=")[1])

        def is_config(_change: object, path: str) -> bool:
            return os.path.basename(path) == "config.toml"

        print("ready", flush=True)
        async for _ in awatch(paths.config_dir, watch_filter=is_config, debounce=50, step=step):
            seen()
    else:
        watcher = ConfigWatcher(paths, seen, EventBus(), env={}, use_inotify=kind == "inotify")
        task = asyncio.create_task(watcher.run())
        await watcher.ready.wait()
        print("ready", flush=True)
        await task


# ---------------------------------------------------------------- the parent


class Subject:
    """One measured process and, for watchers, the times at which it reported a change."""

    def __init__(self, label: str, argv: list[str], env: dict[str, str], home: Path | None) -> None:
        self.label, self.home = label, home
        self.changes: list[float] = []
        self.proc = subprocess.Popen(
            argv, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        self.window: Window | None = None
        self.latencies: list[float] = []

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("ready"):
                self.ready.set()
            elif line.startswith("changed "):
                self.changes.append(float(line.split()[1]))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _daemon(label: str, home: Path, pythonpath: Path, feed: str, desktop: DesktopSession | None = None) -> Subject:
    env = daemon_env(home, PAPERTRAY_HF_URL=feed, PAPERTRAY_ARXIV_URL=UNREACHABLE)
    if desktop is not None:
        env = desktop.env(**{k: env[k] for k in ("PAPERTRAY_HOME", "PAPERTRAY_PORT", "PAPERTRAY_HF_URL")})
        env["PAPERTRAY_ARXIV_URL"] = UNREACHABLE
    env["PYTHONPATH"] = str(pythonpath)
    argv = [sys.executable, "-m", "papertray", "run", *([] if desktop is not None else ["--no-tray"])]
    subject = Subject(label, argv, env, home)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (home / "state" / "cli.token").exists():
        time.sleep(0.1)
    subject.ready.set()
    return subject


def _daemon_latency(subject: Subject, edits: int) -> list[float]:
    assert subject.home is not None
    log = subject.home / "logs" / "papertray.log"
    latencies = []
    for n in range(edits):
        before = log.read_text(errors="replace").count("config reloaded")
        saved = editor_save(subject.home / "config.toml", RULE.format(name=f"edit-{n}"))
        deadline = saved + 10
        while time.monotonic() < deadline:
            if log.read_text(errors="replace").count("config reloaded") > before:
                latencies.append(time.monotonic() - saved)
                break
            time.sleep(0.005)
        time.sleep(0.3)
    return latencies


def _watcher_latency(subject: Subject, edits: int) -> list[float]:
    assert subject.home is not None
    latencies = []
    for n in range(edits):
        count = len(subject.changes)
        saved = editor_save(subject.home / "config.toml", RULE.format(name=f"edit-{n}"))
        deadline = saved + 10
        while time.monotonic() < deadline and len(subject.changes) == count:
            time.sleep(0.005)
        if len(subject.changes) > count:
            latencies.append(subject.changes[count] - saved)
        time.sleep(0.3)
    return latencies


def _before_tree(rev: str, into: Path) -> Path:
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "daemon"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "daemon"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the idle window")
    parser.add_argument("--edits", type=int, default=5, help="config edits timed per watcher")
    parser.add_argument("--before", metavar="REV", help="also run the daemon of this older commit")
    parser.add_argument("--tray", action="store_true", help="also run each daemon with its tray in a desktop session")
    parser.add_argument("--watch-child", nargs=2, metavar=("KIND", "HOME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.watch_child:
        asyncio.run(_watch_child(args.watch_child[0], Path(args.watch_child[1])))
        return 0

    py = sys.executable
    base_env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "daemon"), str(REPO)]))
    subjects: list[Subject] = []
    watchers: list[Subject] = []
    desktop: DesktopSession | None = None
    notes: list[str] = []
    feed = _empty_feed()
    with tempfile.TemporaryDirectory(prefix="papertray-idle-") as tmp:
        root = Path(tmp)
        try:
            sleep_for = str(args.seconds + 120)
            subjects.append(
                Subject(
                    "baseline: python -c time.sleep",
                    [py, "-c", f"import time; time.sleep({sleep_for})"],
                    base_env,
                    None,
                )
            )
            subjects.append(
                Subject(
                    "baseline: idle asyncio loop",
                    [py, "-c", f"import asyncio; asyncio.run(asyncio.sleep({sleep_for}))"],
                    base_env,
                    None,
                )
            )
            for kind, label in [
                ("watchfiles-step=10", "watcher alone: watchfiles, step 10 ms (before)"),
                ("watchfiles-step=1000", "watcher alone: watchfiles, step 1000 ms"),
                ("inotify", "watcher alone: inotify fd in the loop (now)"),
                ("poll", "watcher alone: stat once a second (fallback)"),
            ]:
                home = root / kind
                home.mkdir()
                (home / "config.toml").write_text(RULE.format(name="start"))
                argv = [py, "-m", "bench.idle", "--watch-child", kind, str(home)]
                watcher = Subject(label, argv, base_env, home)
                subjects.append(watcher)
                watchers.append(watcher)
            trees = [("now", REPO / "daemon")]
            if args.before:
                trees.append((args.before, _before_tree(args.before, (root / "before-tree").resolve())))
            if args.tray and missing_tools():
                notes.append(f"tray not measured: {', '.join(missing_tools())} missing")
            elif args.tray:
                desktop = DesktopSession(root / "desktop").start()
                desktop.ensure_trayer()
                desktop.start_dunst()
            daemons: list[Subject] = []
            url = f"http://127.0.0.1:{feed.server_address[1]}"
            for name, tree in trees:
                daemons.append(_daemon(f"daemon run --no-tray ({name})", root / f"daemon-{name}", tree, url))
                subjects.append(daemons[-1])
                if desktop is not None:
                    label = f"daemon run, tray + dunst ({name})"
                    daemons.append(_daemon(label, root / f"tray-{name}", tree, url, desktop))
                    subjects.append(daemons[-1])
            for subject in subjects:
                subject.ready.wait(30)
            time.sleep(5)  # let start-up work (the first poll) finish before the window opens

            before = {s.label: sample(s.proc.pid) for s in subjects}
            started = time.monotonic()
            time.sleep(args.seconds)
            after = {s.label: sample(s.proc.pid) for s in subjects}
            elapsed = time.monotonic() - started
            for subject in subjects:
                subject.window = difference(before[subject.label], after[subject.label], elapsed)
            for watcher in watchers:
                watcher.latencies = _watcher_latency(watcher, args.edits)
            for daemon in daemons:
                daemon.latencies = _daemon_latency(daemon, args.edits)
        finally:
            for subject in subjects:
                subject.stop()
            if desktop is not None:
                desktop.stop()
            feed.shutdown()

    print(f"idle window {elapsed:.0f} s, every process measured in the same window; wake-ups = context switches")
    print(f"{'process':<50} {'wake-ups/s':>10} {'CPU s/min':>10} {'busiest thread':>16}   edit seen after")
    for subject in subjects:
        window = subject.window
        assert window is not None
        top = window.busiest(1)[0]
        busiest = f"{top.switches / window.seconds:.1f}/s {top.name[:6]}"
        seen = "-"
        if subject.latencies:
            seen = f"median {statistics.median(subject.latencies):.3f} s, max {max(subject.latencies):.3f} s"
            if len(subject.latencies) < args.edits:
                seen += f" ({args.edits - len(subject.latencies)} of {args.edits} never seen)"
        elif subject in watchers or subject.home is not None:
            seen = "never seen"
        print(
            f"{subject.label:<50} {window.wakeups_per_second:>10.2f} {window.cpu_seconds_per_minute:>10.3f}"
            f" {busiest:>16}   {seen}"
        )
    for note in notes:
        print(note)
    print("target: <= 1 wake-up/s and <= 0.05 s CPU/min idle; an edit applied within 1 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
