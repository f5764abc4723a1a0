"""The store at a million papers (issue 13): ready, RSS, lookup of 50 ids, the first list page, and one arXiv
poll (four categories: 1,000 new papers and 400 replacements, some cross-listed) into it.

    python -m bench.store_million [--papers 1000000] [--states 20000] [--before e573ead] [--dir DIR] [--quick]
                                  [--stall-before df24a5e] [--only stall]

The fixture is written straight to files once (bench/store_fixture.py) and kept with `--dir`. With `--before REV`
the same papers are also laid out as that commit's store (JSON month indexes, the same record shards hard-linked)
and that commit's code (`git archive`) opens them in its own process: the baseline of every figure. Each figure
is measured in a fresh process. Targets: ready <= 1 s, RSS <= 200 MB, lookup of 50 ids p99 <= 2 ms. Numbers only.
The event loop's stall during and after the poll (a ticker measuring its own lateness) is measured for today's code
and for `--stall-before`'s (the same layout, the order made whole again after each poll) in the same run. Each poll
goes into a hard-linked copy of the fixture (every store write replaces its file), so the fixture is kept.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

# (bench.store_fixture is imported in the parent only: the children may run an older papertray's code)
CATEGORIES = ("cs.LG", "cs.CL", "cs.CV", "cs.AI")

REPO = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_bytes() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def child_open(data: Path, ids_file: Path) -> dict[str, Any]:
    """In a fresh process: open, RSS, the first list page (the order is made), then 50-id lookups as the API
    answers them (wall time and this thread's CPU time: on a shared machine the wall p99 is mostly waiting for
    a core), beside the same loop over a plain dict."""
    import gc

    from papertray.store import Store

    base = rss_mb()
    start, cpu_start = time.perf_counter(), time.process_time()
    store = Store.open(data)
    ready, ready_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    count = len(store)
    rss = rss_mb()
    t, c = time.perf_counter(), time.process_time()
    store.page(limit=50)
    first_page, first_page_cpu = time.perf_counter() - t, time.process_time() - c
    rss_after_page = rss_mb()
    t = time.perf_counter()
    store.page(limit=50)
    next_page = time.perf_counter() - t
    ids = orjson.loads(ids_file.read_bytes())  # (after every RSS figure: a million ids cost ~70 MB here)

    def queued() -> float:
        """Seconds this thread has waited for a core so far (the kernel's run-queue wait, schedstat)."""
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9

    waits: list[float] = []  # wall minus the run-queue wait, per lookup of the store

    def timed(answer: Any) -> tuple[list[float], list[float]]:
        rng = random.Random(5)
        wall, cpu = [], []
        waits.clear()
        for _ in range(2000):
            page = rng.sample(ids, 50)
            q = queued()
            t, c = time.perf_counter(), time.thread_time()
            answer(page)
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - t)
            waits.append(wall[-1] - (queued() - q))
        return sorted(wall), sorted(cpu)

    wall, cpu = timed(lambda page: {pid: view.brief() for pid, view in store.lookup(page).items()})
    running = sorted(waits)
    gc.disable()  # the same loop with the garbage collector off: is a wall-clock tail the collector's?
    wall_nogc, cpu_nogc = timed(lambda page: {pid: view.brief() for pid, view in store.lookup(page).items()})
    gc.enable()
    titles = {pid: ("title", pid) for pid in ids}
    bare, _ = timed(lambda page: {pid: {"title": titles.get(pid)} for pid in page})
    return {
        "ready": ready,
        "ready_cpu": ready_cpu,
        "first_page_cpu": first_page_cpu,
        "papers": count,
        "rss_before": base,
        "rss": rss,
        "lookup_p50": statistics.median(wall),
        "lookup_p99": wall[int(len(wall) * 0.99)],
        "lookup_cpu_p99": cpu[int(len(cpu) * 0.99)],
        "lookup_p99_nogc": wall_nogc[int(len(wall_nogc) * 0.99)],
        "lookup_p99_running": running[int(len(running) * 0.99)],
        "lookup_cpu_p99_nogc": cpu_nogc[int(len(cpu_nogc) * 0.99)],
        "load": os.getloadavg()[0],
        "bare_p50": statistics.median(bare),
        "bare_p99": bare[int(len(bare) * 0.99)],
        "first_page": first_page,
        "next_page": next_page,
        "rss_after_page": rss_after_page,
    }


def child_phases(data: Path) -> dict[str, Any]:
    """Where ready time and memory go in today's open: each phase timed, then tracemalloc by module."""
    import tracemalloc

    from papertray.store import Store
    from papertray.store.files import read_feed_layout
    from papertray.store.month_index import NAME, read_month_file
    from papertray.store.recovery import read_user_data

    out: dict[str, Any] = {}
    t = time.perf_counter()
    read_user_data(data / "user.json", data / "user.json.bak", [data / "user.journal.old", data / "user.journal"])
    out["read user data"] = time.perf_counter() - t
    t = time.perf_counter()
    months, _ = read_feed_layout(data / "feed")
    out["list month folders"] = time.perf_counter() - t
    t = time.perf_counter()
    loaded = [read_month_file(folder / NAME) for folder, _ in months]
    out["read + check + map month indexes"] = time.perf_counter() - t
    del loaded
    tracemalloc.start()
    t = time.perf_counter()
    store = Store.open(data)
    out["Store.open under tracemalloc"] = time.perf_counter() - t
    snapshot = tracemalloc.take_snapshot()
    by_file: dict[str, int] = {}
    for stat in snapshot.statistics("filename"):
        name = stat.traceback[0].filename
        name = name.split("/papertray/")[-1] if "/papertray/" in name else Path(name).name
        by_file[name] = by_file.get(name, 0) + stat.size
    out["traced"] = sorted(by_file.items(), key=lambda kv: -kv[1])[:6]
    out["traced_total"] = sum(by_file.values())
    out["papers"] = len(store)
    return out


def child_poll(data: Path, batch_file: Path) -> dict[str, Any]:
    import asyncio

    from papertray.models import Paper
    from papertray.store import Store

    papers = [Paper.from_dict(d) for d in orjson.loads(batch_file.read_bytes())]
    store = Store.open(data)
    before = {p: (s.st_ino, s.st_mtime_ns) for p in data.rglob("*") if p.is_file() for s in [p.stat()]}
    total = sum(p.stat().st_size for p in before)
    io = write_bytes()
    t = time.perf_counter()
    result = asyncio.run(store.add_papers(papers))
    seconds = time.perf_counter() - t
    io = write_bytes() - io
    rewritten = 0
    files = 0
    for path in data.rglob("*"):
        if path.is_file():
            stat = path.stat()
            if before.get(path) != (stat.st_ino, stat.st_mtime_ns):
                rewritten += stat.st_size
                files += 1
    # Baseline: the same number of files of the same total size, each written and fsynced once.
    scratch = data.parent / "bare-writes"
    scratch.mkdir(exist_ok=True)
    blob = os.urandom(rewritten // max(files, 1))
    t = time.perf_counter()
    for n in range(files):
        fd = os.open(scratch / f"{n}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, blob)
        os.fsync(fd)
        os.close(fd)
    bare = time.perf_counter() - t
    shutil.rmtree(scratch)
    return {
        "seconds": seconds,
        "bare": bare,
        "new": len(result.new),
        "updated": result.updated,
        "write_bytes": io,
        "rewritten": rewritten,
        "files": files,
        "store": total,
    }


def child_stall(data: Path, batch_file: Path) -> dict[str, Any]:
    """The event loop during and after the poll, as the daemon has it: the order made (a status or list
    answered since the open), then the poll, then the requests that follow it (status's counts, the first
    list page, a 50-id lookup). A ticker wakes every millisecond and records how late it woke: the longest
    wait is the longest any API request would have waited for the loop."""
    import asyncio
    import gc

    from papertray.models import Paper
    from papertray.store import Store

    papers = [Paper.from_dict(d) for d in orjson.loads(batch_file.read_bytes())]
    store = Store.open(data)
    store.page(limit=50)
    lookup = [p.id for p in papers[::28]]

    async def run() -> dict[str, Any]:
        worst = {"poll": 0.0, "after": 0.0}
        phase = "poll"
        stop = False
        # The garbage collector's full collections, on whichever thread they ran: wall and that thread's CPU.
        pauses: list[tuple[float, float]] = []

        def collected(what: str, info: dict[str, int]) -> None:
            if info["generation"] == 2:
                now = (time.perf_counter(), time.thread_time())
                if what == "start":
                    pauses.append(now)
                else:
                    wall, cpu = pauses.pop()
                    pauses.append((now[0] - wall, now[1] - cpu))

        gc.callbacks.append(collected)

        async def ticker() -> None:
            while not stop:
                t = time.perf_counter()
                await asyncio.sleep(0.001)
                worst[phase] = max(worst[phase], time.perf_counter() - t - 0.001)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        t = time.perf_counter()
        await store.add_papers(papers)
        seconds = time.perf_counter() - t
        phase = "after"
        await asyncio.sleep(0.01)
        t = time.perf_counter()
        store.page(limit=50)
        store.lookup(lookup)
        first = time.perf_counter() - t
        await asyncio.sleep(0.2)
        stop = True
        await task
        gc.callbacks.remove(collected)
        t = time.perf_counter()
        store.new_counts()  # what status and the tray show: measured apart, it does not depend on the order
        counts = time.perf_counter() - t
        return {
            "stall_poll": worst["poll"],
            "stall_after": worst["after"],
            "poll": seconds,
            "first": first,
            "counts": counts,
            "gc_full": max((w for w, _ in pauses), default=0.0),
            "gc_full_cpu": max((c for _, c in pauses), default=0.0),
            "load": os.getloadavg()[0],
        }

    return asyncio.run(run())


def linked_copy(data: Path, into: Path) -> Path:
    """A copy of the store whose files are hard links: a poll replaces the files it writes, so `data` stays."""
    shutil.rmtree(into, ignore_errors=True)
    subprocess.run(["cp", "-al", str(data), str(into)], check=True)
    return into


def child_migrate(data: Path, _: Path) -> dict[str, Any]:
    """Today's code opening the layout before index.bin: the one-time migration (sources read from records)."""
    from papertray.store import Store

    t = time.perf_counter()
    store = Store.open(data)
    first = time.perf_counter() - t
    t = time.perf_counter()
    again = Store.open(data)
    return {"first": first, "again": time.perf_counter() - t, "papers": len(store), "problems": len(again.problems)}


def run_child(mode: str, data: Path, arg: Path, tree: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    paths = [str(tree), str(REPO)] if tree else [str(REPO / "daemon"), str(REPO)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    out = subprocess.run(
        [sys.executable, "-m", "bench.store_million", "--child", mode, str(data), str(arg)],
        capture_output=True,
        check=True,
        env=env,
        text=True,
        cwd=REPO,
    )
    result: dict[str, Any] = orjson.loads(out.stdout)
    return result


def poll_batch(ids: list[str], rng: random.Random) -> list[dict[str, Any]]:
    """1,000 new papers in the newest month over four categories (a fifth cross-listed in two) and 400
    replacements: a version moved on, most from the last three months, some from years back."""
    from bench.store_fixture import paper_of

    pool = ["abstract " * 150]
    newest = max(pid[:4] for pid in ids)
    top = max(int(pid[5:]) for pid in ids if pid.startswith(newest)) + 1
    batch = []
    for number in range(top, top + 1000):
        record = paper_of(rng, f"{newest}.{number:05d}", pool)
        cats = tuple(rng.sample(CATEGORIES, 2 if rng.random() < 0.2 else 1))
        batch.append({**record.to_dict(), "sources": [f"arxiv:{c}" for c in cats], "categories": list(cats)})
    third_newest = sorted({p[:4] for p in ids})[-3]
    recent = [pid for pid in ids if pid[:4] >= third_newest]
    chosen = rng.sample(recent, 280) + rng.sample(ids, 120)
    for pid in dict.fromkeys(chosen):
        moved_to = rng.sample(CATEGORIES, rng.choice((1, 2)))
        batch.append(
            {"id": pid, "version": 4, "versions": [{"version": 4, "at": "2026-12-01T00:00:00Z"}]}
            | {"sources": [f"arxiv:{c}" for c in moved_to], "categories": moved_to, "title": f"Replaced {pid}"}
        )
    return batch


def before_tree(rev: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "daemon"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "daemon"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--states", type=int, default=20_000)
    parser.add_argument("--before", default="e573ead", help="the commit whose layout and code are the baseline")
    parser.add_argument("--dir", help="keep the fixture here (built once) instead of a temp folder")
    parser.add_argument("--quick", action="store_true", help="100,000 papers, no phase breakdown")
    parser.add_argument("--stall-before", default="df24a5e", help="the commit whose code is the loop stall's baseline")
    parser.add_argument(
        "--only",
        choices=("stall", "open"),
        help="only the loop stall, or only the open and lookup (fixture built if needed)",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, data, arg = args.child
        fn = {"open": child_open, "poll": child_poll, "migrate": child_migrate, "stall": child_stall}.get(mode)
        result = fn(Path(data), Path(arg)) if fn else child_phases(Path(data))
        sys.stdout.write(orjson.dumps(result).decode())
        return
    from bench.store_fixture import build, store_bytes

    papers = 100_000 if args.quick else args.papers
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="papertray-1m-"))
    try:
        data, legacy = root / "data", root / "legacy"
        marker = root / f"built-{papers}-{args.states}"
        if not marker.exists() or (args.before and not legacy.exists()):
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(legacy, ignore_errors=True)
            t = time.perf_counter()
            ids = build(data, papers, args.states, legacy=legacy if args.before else None)
            (root / "ids.json").write_bytes(orjson.dumps(ids))
            marker.touch()
            print(
                f"fixture: {len(ids):,} papers, {args.states:,} user states written in {time.perf_counter() - t:.0f} s"
            )
        ids = orjson.loads((root / "ids.json").read_bytes())
        print(f"store: {len(ids):,} papers, {store_bytes(data) / 1e6:,.0f} MB on disk; python {sys.version.split()[0]}")
        batch = poll_batch(ids, random.Random(11))
        (root / "batch.json").write_bytes(orjson.dumps(batch))
        stall_tree = (
            None
            if args.only == "open"
            else before_tree(args.stall_before, root / "stall-before")
            if args.stall_before
            else None
        )
        stall_rows = [("now", None)] + ([(args.stall_before, stall_tree)] if stall_tree else [])
        if args.only == "open":
            stall_rows = []
        stalls: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in stall_rows}
        for _ in range(2):  # alternated, as the machine's load moves
            for label, code in stall_rows:
                copy = linked_copy(data, root / "poll-copy")
                stalls[label].append(run_child("stall", copy, root / "batch.json", code))
        for label, _ in stall_rows:
            said = "; ".join(
                f"longest loop stall during the poll {r['stall_poll'] * 1e3:.1f} ms, "
                f"after it {r['stall_after'] * 1e3:.1f} ms"
                f" (poll {r['poll']:.2f} s; first page + 50-id lookup after it {r['first'] * 1e3:.1f} ms; longest full"
                f" GC {r['gc_full'] * 1e3:.0f} ms (CPU {r['gc_full_cpu'] * 1e3:.0f} ms); status's new counts"
                f" {r['counts']:.2f} s; load {r['load']:.1f})"
                for r in stalls[label]
            )
            print(f"loop stall {label:>8}: {said}")
        if stall_tree:
            now, old = (min(max(r["stall_poll"], r["stall_after"]) for r in stalls[k]) for k, _ in stall_rows)
            print(
                f"ratio now/{args.stall_before}: longest loop stall {now / old:.3f} "
                f"({now * 1e3:.1f} vs {old * 1e3:.1f} ms, best of the runs)"
            )
        if args.only == "stall":
            shutil.rmtree(root / "poll-copy", ignore_errors=True)
            return
        tree = before_tree(args.before, root / "before") if args.before else None
        rows = [("now", data, None)] + ([(f"before ({args.before})", legacy, tree)] if tree else [])
        # Three runs of each, alternated (the machine is shared: its load moves during a run); each figure is
        # the best of its three, RSS the last.
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in rows}
        for _ in range(3):
            for label, folder, code in rows:
                runs[label].append(run_child("open", folder, root / "ids.json", code))
        results = {}
        for label, _, _ in rows:
            best = {key: min(run[key] for run in runs[label]) for key in runs[label][0]}
            best["rss"], best["rss_after_page"] = runs[label][-1]["rss"], runs[label][-1]["rss_after_page"]
            results[label] = best
            print(
                f"{label:>18}: ready {best['ready']:.3f} s (CPU {best['ready_cpu']:.3f} s)  RSS {best['rss']:.0f} MB "
                f"(interpreter + imports {best['rss_before']:.0f})  lookup 50 ids "
                f"p50 {best['lookup_p50'] * 1e3:.3f} ms p99 {best['lookup_p99'] * 1e3:.3f} ms, CPU time p99 "
                f"{best['lookup_cpu_p99'] * 1e3:.3f} ms, wall less the run-queue wait p99 "
                f"{best['lookup_p99_running'] * 1e3:.3f} ms; GC off: p99 {best['lookup_p99_nogc'] * 1e3:.3f} ms, CPU "
                f"{best['lookup_cpu_p99_nogc'] * 1e3:.3f} ms (a plain dict: "
                f"p50 {best['bare_p50'] * 1e3:.3f} p99 {best['bare_p99'] * 1e3:.3f})  "
                f"first page {best['first_page']:.2f} s (CPU {best['first_page_cpu']:.2f} s), next "
                f"{best['next_page'] * 1e3:.2f} ms, RSS then {best['rss_after_page']:.0f} MB; load average "
                + "/".join(f"{run['load']:.1f}" for run in runs[label])
            )
        if tree:
            now, old = results["now"], results[f"before ({args.before})"]
            print(
                f"ratio now/before: ready {now['ready'] / old['ready']:.2f}, RSS {now['rss'] / old['rss']:.2f}, "
                f"lookup p99 {now['lookup_p99'] / old['lookup_p99']:.2f}, "
                f"RSS after the first page {now['rss_after_page'] / old['rss_after_page']:.2f}"
            )
        print("targets: ready <= 1 s, RSS <= 200 MB, lookup 50 ids p99 <= 2 ms")
        if args.only == "open":
            return
        if not args.quick:
            phases = run_child("phases", data, root, None)
            timed = ", ".join(f"{k} {v:.3f} s" for k, v in phases.items() if isinstance(v, float))
            traced = ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in phases["traced"])
            print(f"phases of today's open: {timed}")
            print(f"traced by tracemalloc after open: {phases['traced_total'] / 1e6:.1f} MB: {traced}")
        for label, folder, code in rows:
            poll = run_child("poll", linked_copy(folder, root / "poll-copy"), root / "batch.json", code)
            print(
                f"poll {label:>14}: 1,000 new + 400 replacements over {', '.join(CATEGORIES)}: new={poll['new']} "
                f"updated={poll['updated']} in {poll['seconds']:.2f} s (bare fsync'd write of the same files "
                f"{poll['bare']:.2f} s, ratio {poll['seconds'] / poll['bare']:.1f}); {poll['files']} files rewritten, "
                f"{poll['rewritten'] / 1e6:.1f} MB (write_bytes {poll['write_bytes'] / 1e6:.1f} MB) of a "
                f"{poll['store'] / 1e6:,.0f} MB store = {poll['rewritten'] / poll['store']:.2%}"
            )
        if tree:
            moved = run_child("migrate", linked_copy(legacy, root / "poll-copy"), root, None)
            print(
                f"migration of the {args.before} layout by today's code, once: {moved['first']:.1f} s "
                f"({moved['papers']:,} papers, each one's sources read from its record); the next open "
                f"{moved['again']:.2f} s"
            )
        shutil.rmtree(root / "poll-copy", ignore_errors=True)
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
