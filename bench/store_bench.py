"""Store benchmarks on a synthetic history: cold start to ready, RSS, bytes one poll writes, save latency.

    python -m bench.store_bench [--papers 250000] [--states 20000] [--dir DIR]

Each figure is printed beside a baseline measured in the same run on the same data:
- ready:   `Store.open` vs a bare `orjson.loads` of every store file (what a load-everything store costs);
- RSS:     after `Store.open` vs after that bare load, each in a fresh process;
- poll:    bytes written by `add_papers` of 100 papers vs the size of the whole store (what an unsharded
           store would rewrite), and its time vs a bare fsync'd write of the same bytes;
- save:    `update_state` latency vs a bare fsync'd append of the same record size.
Targets (issue "Daemon core"): ready <= 1.5 s, RSS <= 300 MB, <= 5 MB per poll, save p99 <= 20 ms.
Numbers only, no assertions. The page cache is warm (the data was just written): cold-disk reads are slower.
A million papers: bench/store_million.py (a fast fixture, that commit's layout and code as the baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from papertray.models import Paper, State
from papertray.store import Store

WORDS = [
    "model",
    "learning",
    "neural",
    "language",
    "vision",
    "diffusion",
    "transformer",
    "attention",
    "sparse",
    "scaling",
    "reasoning",
    "agent",
    "benchmark",
    "dataset",
    "robust",
    "efficient",
    "training",
    "inference",
    "multimodal",
    "retrieval",
    "alignment",
    "reward",
    "policy",
    "graph",
    "latent",
    "token",
    "contrastive",
    "generative",
    "video",
    "audio",
    "embedding",
    "optimization",
    "federated",
    "causal",
    "quantization",
]


def text(rng: random.Random, length: int) -> str:
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:length]


def months(count: int) -> list[str]:
    out: list[str] = []
    year, month = 20, 1
    while len(out) < count:
        out.append(f"{year:02d}{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def synthetic(rng: random.Random, pid: str, pool: list[str]) -> Paper:
    yymm = pid[:4]
    return Paper(
        id=pid,
        version=rng.randint(1, 3),
        title=text(rng, rng.randint(70, 110)),
        summary=pid + " " + rng.choice(pool),
        authors=tuple(f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}" for _ in range(rng.randint(3, 8))),
        published_at=f"20{yymm[:2]}-{yymm[2:]}-{rng.randint(1, 28):02d}T17:59:59Z",
        daily_date=f"20{yymm[:2]}-{yymm[2:]}-{rng.randint(1, 28):02d}",
        upvotes=rng.randint(0, 300),
        num_comments=rng.randint(0, 20),
        organization=rng.choice(("", "", "google", "meta", "openai")),
    )


def month_ids(rng: random.Random, month: str, count: int) -> list[str]:
    return [f"{month}.{n:05d}" for n in sorted(rng.sample(range(1, 30000), count))]


async def build(data: Path, papers: int, states: int, rng: random.Random) -> list[str]:
    """Fill the store through its real write path, one batch per month (like a long backfill)."""
    pool = [text(rng, rng.randint(1000, 1400)) for _ in range(500)]
    all_months = months(70)
    per_month = papers // len(all_months)
    store = Store.open(data)
    ids: list[str] = []
    for month in all_months:
        batch = [synthetic(rng, pid, pool) for pid in month_ids(rng, month, per_month)]
        await store.add_papers(batch)
        ids.extend(p.id for p in batch)
    chosen = rng.sample(ids, states)
    for start in range(0, len(chosen), 2000):
        await store.update_states(
            {pid: {"seen": True, "saved": rng.random() < 0.1} for pid in chosen[start : start + 2000]}, event=False
        )
    await store.close()
    Store.open(data)  # folds the journal into user.json, as a restart would
    return ids


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def io_counters() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/io").read_text().splitlines():
        key, value = line.split(":")
        out[key] = int(value)
    return out


def measure_open(data: Path, mode: str) -> dict[str, float]:
    """Runs in a fresh process: time to ready and RSS afterwards."""
    base = rss_mb()
    start = time.perf_counter()
    if mode == "store":
        store = Store.open(data)
        count = len(store)
    else:
        loaded = [orjson.loads(p.read_bytes()) for p in sorted(data.rglob("*.json"))]
        count = len(loaded)
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "rss_mb": rss_mb(), "rss_before_mb": base, "items": count}
    if mode == "store":
        ids = [pid for month in store._months.values() for pid in month]
        for pid in random.Random(1).sample(ids, 400):
            store.get_paper(pid)
        result["rss_cache_full_mb"] = rss_mb()
    return result


def in_fresh_process(data: Path, mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.store_bench", "--measure-open", mode, "--dir", str(data.parent)],
        capture_output=True,
        check=True,
        text=True,
    )
    result: dict[str, float] = orjson.loads(out.stdout)
    return result


def fsynced_write(path: Path, data: bytes) -> float:
    start = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
    return time.perf_counter() - start


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  max {ordered[-1] * 1000:6.2f} ms"


def changed_bytes(data: Path, since: dict[Path, tuple[int, int]]) -> int:
    total = 0
    for path in data.rglob("*"):
        if path.is_file():
            stat = path.stat()
            if since.get(path) != (stat.st_ino, stat.st_mtime_ns):
                total += stat.st_size
    return total


def snapshot(data: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in data.rglob("*") if p.is_file()}


async def measure_poll(store: Store, data: Path, batch: list[Paper], label: str, total: int) -> None:
    before_files = snapshot(data)
    before = io_counters()
    start = time.perf_counter()
    result = await store.add_papers(batch)
    seconds = time.perf_counter() - start
    after = io_counters()
    written = changed_bytes(data, before_files)
    blob = os.urandom(written)
    bare = fsynced_write(data.parent / "bare-write", blob)
    print(
        f"poll, {label}: new={len(result.new)} updated={result.updated}: files rewritten {written / 1e6:6.2f} MB "
        f"(write_bytes {(after['write_bytes'] - before['write_bytes']) / 1e6:.2f} MB, "
        f"wchar {(after['wchar'] - before['wchar']) / 1e6:.2f} MB) vs whole store {total / 1e6:.1f} MB "
        f"= {written / total:.3%};  time {seconds * 1000:.1f} ms vs bare fsync'd write of those bytes "
        f"{bare * 1000:.1f} ms"
    )


async def measure_saves(store: Store, data: Path, ids: list[str], rng: random.Random) -> None:
    samples: list[float] = []
    for _ in range(1000):
        pid = rng.choice(ids)
        start = time.perf_counter()
        await store.update_state(pid, saved=rng.random() < 0.5, note=text(rng, 40))
        samples.append(time.perf_counter() - start)
    line = orjson.dumps({"states": {"2507.12345": store.get_state(ids[0]).to_dict()}}) + b"\n"
    bare: list[float] = []
    path = data.parent / "bare-append"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for _ in range(1000):
        start = time.perf_counter()
        os.write(fd, line)
        os.fsync(fd)
        bare.append(time.perf_counter() - start)
    os.close(fd)
    print(f"save, sequential x1000:        {percentiles(samples)}")
    print(f"  baseline fsync'd append:     {percentiles(bare)}")

    burst: list[float] = []

    async def timed(pid: str) -> None:
        start = time.perf_counter()
        await store.update_state(pid, seen=True, tags=["burst"])
        burst.append(time.perf_counter() - start)

    for _ in range(100):
        await asyncio.gather(*(timed(rng.choice(ids)) for _ in range(10)))
    print(f"save, 10 concurrent x100:      {percentiles(burst)}  (group commit)")

    # Saves while polls run: the poll writes on its own thread, but it still shares the GIL.
    during: list[float] = []
    pool = [text(rng, 1200) for _ in range(20)]
    month_keys = sorted(store._months)

    async def polls() -> None:
        for _ in range(5):
            spread = [synthetic(rng, f"{m}.{rng.randint(1, 29999):05d}", pool) for m in rng.choices(month_keys, k=20)]
            await store.add_papers(spread)

    async def saves(done: asyncio.Task[None]) -> None:
        while not done.done():
            start = time.perf_counter()
            await store.update_state(rng.choice(ids), seen=True, note=text(rng, 30))
            during.append(time.perf_counter() - start)
            await asyncio.sleep(0.002)

    poller = asyncio.create_task(polls())
    await saves(poller)
    print(f"save while 5 polls of 20 old-month papers run ({len(during)} saves): {percentiles(during)}")


async def main_async(args: argparse.Namespace) -> None:
    rng = random.Random(20260726)
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="papertray-bench-"))
    data = root / "data"
    try:
        marker = root / f"built-{args.papers}-{args.states}"
        if not marker.exists():
            shutil.rmtree(data, ignore_errors=True)
            start = time.perf_counter()
            await build(data, args.papers, args.states, rng)
            marker.touch()
            print(f"built {args.papers} papers, {args.states} user states in {time.perf_counter() - start:.1f} s")
        ids = [pid for month in Store.open(data)._months.values() for pid in month]
        total = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
        files = sum(1 for p in data.rglob("*.json"))
        print(f"store: {len(ids)} papers, {total / 1e6:.1f} MB in {files} files; python {sys.version.split()[0]}")

        opened = [in_fresh_process(data, "store") for _ in range(3)]
        bare = [in_fresh_process(data, "bare") for _ in range(3)]
        best, best_bare = min(opened, key=lambda r: r["seconds"]), min(bare, key=lambda r: r["seconds"])
        print(
            f"ready (Store.open, best of 3): {best['seconds']:.3f} s  vs bare orjson load of every file "
            f"{best_bare['seconds']:.3f} s  (ratio {best['seconds'] / best_bare['seconds']:.2f})   target <= 1.5 s"
        )
        print(
            f"RSS after open:                {best['rss_mb']:.0f} MB  vs after the bare load {best_bare['rss_mb']:.0f}"
            f" MB; interpreter + imports {best['rss_before_mb']:.0f} MB   target <= 300 MB"
        )
        print(f"RSS after open + 400 get_paper (record cache full): {best['rss_cache_full_mb']:.0f} MB")

        store = Store.open(data)
        start = time.perf_counter()
        saved = store.query(state=State.SAVED)
        print(f"query(state=saved): {(time.perf_counter() - start) * 1000:.1f} ms ({len(saved)} papers)")
        start = time.perf_counter()
        views = store.query()
        print(
            f"query() of all {len(views)} papers: {time.perf_counter() - start:.2f} s; "
            f"RSS with the result held {rss_mb():.0f} MB"
        )
        del views
        start = time.perf_counter()
        page = store.query(limit=50)
        print(f"query(limit=50), order cached: {(time.perf_counter() - start) * 1000:.2f} ms ({len(page)} papers)")
        start = time.perf_counter()
        recent = store.query(since=f"20{max(store._months)[:2]}-{max(store._months)[2:]}-01")
        print(
            f"query(since=<first day of the latest month>): {(time.perf_counter() - start) * 1000:.1f} ms "
            f"({len(recent)} papers)"
        )
        lookup_ids = rng.sample(ids, 500)
        start = time.perf_counter()
        for _ in range(20):
            store.lookup(lookup_ids)
        print(f"lookup of 500 ids: {(time.perf_counter() - start) / 20 * 1000:.2f} ms")
        start = time.perf_counter()
        titles = [v.title for v in store.lookup(rng.sample(ids, 500)).values()]
        print(f"  + view.title for each (from the summary): {(time.perf_counter() - start) * 1000:.2f} ms")
        start = time.perf_counter()
        titles = [v.paper.title if v.paper else None for v in store.lookup(rng.sample(ids, 500)).values()]
        print(
            f"  + view.paper.title for each (reads record shards): {(time.perf_counter() - start) * 1000:.2f} ms "
            f"({len(titles)} titles)"
        )
        start = time.perf_counter()
        _, matches = store.page(limit=50)
        first = (time.perf_counter() - start) * 1000
        listed = store.query()
        depth = min(200_000, len(listed) - 1)  # (a short run has fewer papers)
        cursor = listed[depth].sort_key
        start = time.perf_counter()
        store.page(limit=50, after=cursor)
        deep = (time.perf_counter() - start) * 1000
        print(
            f"page(limit=50) with its total: {first:.1f} ms (total {matches}); "
            f"a page {depth // 1000}k deep: {deep:.1f} ms"
        )
        start = time.perf_counter()
        for pid in rng.sample(ids, 200):
            store.get_paper(pid)
        print(f"get_paper, 200 random ids (cold shards): {(time.perf_counter() - start) / 200 * 1000:.2f} ms each")

        pool = [text(rng, 1200) for _ in range(50)]
        latest = max(store._months)
        top = max(int(pid[5:]) for pid in store._months[latest]) + 1  # (also when the folder is reused)
        fresh = [f"{latest}.{n:05d}" for n in range(top, top + 100)]  # a poll: today's ids are close together
        batch = [synthetic(rng, pid, pool) for pid in fresh]
        await measure_poll(store, data, batch, "100 new papers of this month", total)
        again = [replace_upvotes(p, rng) for p in batch[:50]] + [
            synthetic(rng, f"{latest}.{n:05d}", pool) for n in range(top + 100, top + 150)
        ]
        await measure_poll(store, data, again, "50 upvote updates + 50 new", total)
        spread = [
            synthetic(rng, f"{m}.{rng.randint(1, 29999):05d}", pool) for m in rng.choices(sorted(store._months), k=100)
        ]
        await measure_poll(store, data, spread, "worst case, 100 papers spread over all history", total)

        await measure_saves(store, data, ids, rng)
        await store.close()
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


def replace_upvotes(paper: Paper, rng: random.Random) -> Paper:
    return Paper(id=paper.id, upvotes=paper.upvotes + rng.randint(1, 50))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=250_000)
    parser.add_argument("--states", type=int, default=20_000)
    parser.add_argument("--dir", help="reuse this folder (built once) instead of a temp folder")
    parser.add_argument("--measure-open", choices=("store", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_open:
        result: Any = measure_open(Path(args.dir) / "data", args.measure_open)
        sys.stdout.write(orjson.dumps(result).decode())
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
