"""Soak: the API under steady load for a while, its memory sampled. Run: `python -m bench.soak [--minutes 10]`.

In a child process: the real API (`app.build_app`, guard and all, via tests/support/api_server.py) over a real
Store of synthetic papers, with the real Poller fetching from the real fixture feed server, served as the daemon
serves it. From this process, at the same
time: wrk on `POST /api/v1/lookup` (50 ids, 2 connections), 5 server-sent-event clients, a poll every
`--poll-every` seconds (cycling over a few days, so papers arrive in the first cycle and are re-fetched after),
and a save/unsave every 2 s (state changes the event clients must see).

Prints request and event counts, errors, and the child's RSS: baseline (after warm-up), final, peak and growth.
Targets: 0 errors, growth <= 5 %.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.lookup import lookup_ids, lookup_pages, parse_wrk, synthetic, wrk_script

REPO = Path(__file__).resolve().parent.parent
POLL_DAYS = ["2025-04-01", "2025-04-02", "2025-04-03", "2025-04-04"]


# ---------------------------------------------------------------------------------------------- the child


async def serve(home: Path, papers: int) -> None:
    from tests.support.api_server import ApiServer
    from tests.support.feed_server import make_day

    server = ApiServer(home)
    for day in POLL_DAYS:
        server.feed.days[day] = make_day(day, 30)
    await server.start()
    for batch in synthetic(papers):
        await server.store.add_papers(batch)
    print(f"{server.port} {server.token} {os.getpid()}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop()


# ---------------------------------------------------------------------------------------------- the load


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Tally:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.events: list[int] = []
        self.pings: list[int] = []
        self.polls = 0
        self.saves = 0


async def sse_client(index: int, url: str, token: str, tally: Tally, stop: asyncio.Event) -> None:
    tally.events.append(0)
    tally.pings.append(0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"{url}/events", headers={"Authorization": f"Bearer {token}"}) as resp,
        ):
            if resp.status != 200:
                tally.errors.append(f"sse {index}: HTTP {resp.status}")
                return
            while not stop.is_set():
                line = await resp.content.readline()
                if not line:
                    if not stop.is_set():
                        tally.errors.append(f"sse {index}: stream ended")
                    return
                if line.startswith(b"event: "):
                    tally.events[index] += 1
                elif line.startswith(b": ping"):
                    tally.pings[index] += 1
    except (aiohttp.ClientError, TimeoutError) as exc:
        if not stop.is_set():
            tally.errors.append(f"sse {index}: {type(exc).__name__}")


async def poller(url: str, token: str, every: float, tally: Tally, stop: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session:
        n = 0
        while not stop.is_set():
            day = POLL_DAYS[n % len(POLL_DAYS)]
            n += 1
            async with session.post(f"{url}/poll", json={"days": [day]}, headers=headers) as resp:
                report: dict[str, Any] = await resp.json()
                if resp.status != 200 or report.get("error"):
                    tally.errors.append(f"poll {day}: HTTP {resp.status} {report.get('error')}")
                tally.polls += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)


async def saver(url: str, token: str, tally: Tally, stop: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    paper = lookup_ids()[0]
    async with aiohttp.ClientSession() as session:
        saved = False
        while not stop.is_set():
            method = "DELETE" if saved else "POST"
            kwargs: dict[str, Any] = {} if saved else {"json": {}}
            async with session.request(method, f"{url}/papers/{paper}/save", headers=headers, **kwargs) as resp:
                if resp.status != 200:
                    tally.errors.append(f"save: HTTP {resp.status}")
                tally.saves += 1
            saved = not saved
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2.0)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--papers", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--poll-every", type=float, default=15.0)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        await serve(Path(args.serve), args.papers)
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    seconds = max(10, int(args.minutes * 60))
    with tempfile.TemporaryDirectory(prefix="papertray-soak-") as tmp:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "daemon"), str(REPO)]))
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.soak", "--serve", tmp, "--papers", str(args.papers),
            stdout=asyncio.subprocess.PIPE, cwd=REPO, env=env,
        )  # fmt: skip
        try:
            assert child.stdout is not None
            line = (await asyncio.wait_for(child.stdout.readline(), 300)).decode().split()
            port, token, pid = int(line[0]), line[1], int(line[2])
            url = f"http://127.0.0.1:{port}/api/v1"
            script = Path(tmp) / "post.lua"
            script.write_text(wrk_script(lookup_pages(args.papers, 1_000), token))
            tally = Tally()
            stop = asyncio.Event()
            tasks = [asyncio.create_task(sse_client(i, url, token, tally, stop)) for i in range(args.clients)]
            tasks.append(asyncio.create_task(poller(url, token, args.poll_every, tally, stop)))
            tasks.append(asyncio.create_task(saver(url, token, tally, stop)))
            wrk = await asyncio.create_subprocess_exec(
                "wrk", "-t1", "-c2", f"-d{seconds}s", "--latency", "-s", str(script), f"{url}/lookup",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            warmup = min(60.0, seconds * 0.1)
            samples: list[tuple[float, int]] = []
            started = time.monotonic()
            wrk_out = asyncio.create_task(wrk.communicate())
            while not wrk_out.done():
                samples.append((time.monotonic() - started, rss_kb(pid)))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(wrk_out), 5.0)
            samples.append((time.monotonic() - started, rss_kb(pid)))
            stop.set()
            await asyncio.wait(tasks, timeout=15)
            for task in tasks:
                task.cancel()
            output = wrk_out.result()[0].decode()
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(child.wait(), 20)
                except TimeoutError:
                    child.kill()
                    await child.wait()
    rps, p99, wrk_errors = parse_wrk(output)
    requests = int(output.split(" requests in ")[0].split()[-1])
    after = [kb for t, kb in samples if t >= warmup] or [samples[-1][1]]
    baseline, final, peak = after[0], samples[-1][1], max(kb for _, kb in samples)
    growth = (final - baseline) / baseline * 100
    errors = len(tally.errors) + wrk_errors
    print(f"soak: {seconds} s, {args.papers:,} papers, {args.clients} SSE clients, a poll every {args.poll_every:g} s")
    print(f"lookup under wrk -c2: {requests:,} requests, {rps:,.0f} req/s, p99 {p99:.2f} ms, errors {wrk_errors}")
    print(f"SSE: events per client {tally.events}, heartbeats per client {tally.pings}")
    print(f"polls {tally.polls}, saves/unsaves {tally.saves}, other errors {len(tally.errors)} {tally.errors[:5]}")
    print(
        f"RSS: baseline {baseline / 1024:.1f} MiB (after {warmup:.0f} s warm-up), final {final / 1024:.1f} MiB, "
        f"peak {peak / 1024:.1f} MiB, growth {growth:+.1f} % (target <= 5 %), {len(samples)} samples"
    )
    ok = errors == 0 and growth <= 5.0 and all(n > 0 for n in tally.events)
    print("targets met" if ok else "TARGETS MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
