"""`POST /api/v1/lookup` with 50 ids under wrk, against a bare aiohttp JSON hello-world measured in the same run
and the same process: req/s of each, their ratio, and p99 latency. Targets: ratio >= 0.8, p99 <= 2 ms.
Also printed: a bare aiohttp server sending a body as large as lookup's answer, a bare handler doing the least
any lookup does, and the server CPU time per request of each (this process serves them all), which is steadier
than req/s on a busy shared machine. Two runs on the same API split lookup's cost: a body of no ids (the guarded
path alone) and one page re-sent (50 ids answered from the CPU cache).

The library holds 250,000 synthetic papers added through the real `Store.add_papers` in batches; the API is the
real one (`app.build_app`, guard and all) served as the daemon serves it (`app.serve`). wrk sends a different
body with every request (`--pages` of them, 1,000 by default: 50,000 references drawn from the whole library,
like many different list pages), so a cache keyed on the request body cannot stand in for lookup; lookup's own
per-reference badges are warm after the first pass, as they are for an extension re-scanning pages. An
informational cold run (`--cold-pages`, 5,000: every paper once) shows the cost when nothing is remembered.
Run: `python -m bench.lookup [--papers N] [--seconds S] [--connections C] [--pages P] [--cold-pages P]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web

from papertray import app
from papertray.config import Config, Paths
from papertray.events import EventBus
from papertray.models import Paper
from papertray.store import Store

PER_MONTH = 25_000
# Each request sends the next of many different bodies (like the extension scanning one list page after
# another), so no cache keyed on the request body can answer for the API. The requests are formatted once in
# init(); request() only hands the next one out, so wrk costs the same per request for every server.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
local bodies = {{
{bodies}
}}
local requests = {{}}
local n = 0
function init(args)
  for i, body in ipairs(bodies) do
    requests[i] = wrk.format(nil, nil, nil, body)
  end
end
function request()
  n = n % #requests + 1
  return requests[n]
end
"""


def synthetic(n: int) -> list[list[Paper]]:
    """Batches of papers, one arXiv month each (the store shards by month)."""
    batches = []
    for start in range(0, n, PER_MONTH):
        month = start // PER_MONTH
        yymm = f"{23 + month // 12:02d}{1 + month % 12:02d}"
        day = f"20{yymm[:2]}-{yymm[2:]}-15"
        batches.append(
            [
                Paper(
                    id=f"{yymm}.{i:05d}",
                    version=1 + i % 3,
                    title=f"Synthetic paper {yymm}.{i:05d} about sparse autoencoders",
                    summary="An abstract of a few sentences. " * 8,
                    authors=("A. Author", "B. Author", "C. Author"),
                    daily_date=day,
                    upvotes=i % 200,
                    ai_keywords=("interpretability", "sparse autoencoder"),
                )
                for i in range(start % PER_MONTH, min(start % PER_MONTH + PER_MONTH, n - start + start % PER_MONTH))
            ]
        )
    return batches


def all_ids(n: int) -> list[str]:
    """The ids `synthetic(n)` adds, in order."""
    return [paper.id for batch in synthetic(n) for paper in batch]


def lookup_pages(papers: int, pages: int, per_page: int = 50, seed: int = 1) -> list[str]:
    """`pages` different lookup bodies (JSON text) of `per_page` ids each, drawn without repeats from a shuffled
    library while it lasts (then reshuffled): the forms an HF list page sends - mostly bare ids, some versioned
    arXiv links or HF links, and one in ten never ingested (state unknown)."""
    rng = random.Random(seed)
    ids = all_ids(papers)
    pool: list[str] = []
    bodies = []
    for page in range(pages):
        refs = []
        for i in range(per_page):
            form = i % 10
            if form == 9:
                refs.append(f"28{rng.randrange(10):02d}.{rng.randrange(100_000):05d}")  # never ingested
                continue
            if not pool:
                pool = ids[:]
                rng.shuffle(pool)
            base = pool.pop()
            if form == 7:
                refs.append(f"https://arxiv.org/abs/{base}v{1 + page % 3}")
            elif form == 8:
                refs.append(f"https://huggingface.co/papers/{base}")
            else:
                refs.append(base)
        bodies.append(orjson.dumps({"ids": refs}).decode())
    return bodies


def wrk_script(bodies: list[str], token: str) -> str:
    return WRK_SCRIPT.format(bodies=",\n".join(_lua_string(body) for body in bodies), token=token)


def lookup_ids(count: int = 50) -> list[str]:
    """What an HF list page sends: mostly bare ids, some versioned or as links, a few not ingested."""
    ids = []
    for i in range(count):
        base = f"2301.{i * 397:05d}"
        form = i % 10
        if form == 7:
            ids.append(f"https://arxiv.org/abs/{base}v2")
        elif form == 8:
            ids.append(f"https://huggingface.co/papers/{base}")
        elif form == 9:
            ids.append(f"2812.{i:05d}")  # never ingested: state unknown
        else:
            ids.append(base)
    return ids


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def total_requests(output: str) -> int:
    match = re.search(r"(\d+) requests in", output)
    return int(match.group(1)) if match else 0


def parse_wrk(output: str) -> tuple[float, float, int]:
    """(requests/s, p99 in ms, non-2xx + socket errors)."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    match = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    p99 = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = 0
    for pattern in (
        r"Non-2xx or 3xx responses: (\d+)",
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
    ):
        found = re.search(pattern, output)
        if found:
            errors += sum(int(g) for g in found.groups())
    return rps, p99, errors


async def wrk(url: str, script: Path, seconds: int, connections: int) -> str:
    proc = await asyncio.create_subprocess_exec(
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return out.decode()


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    """The baselines (plain aiohttp apps, not papertray's) on a plain runner."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host="127.0.0.1", port=0)
    await site.start()
    return runner, runner.addresses[0][1]


async def hello(request: web.Request) -> web.Response:
    return web.json_response({"hello": "world"})


async def minimal_lookup(request: web.Request) -> web.Response:
    """The least any lookup does: parse the ids, answer one entry each (no checks, no store, no auth)."""
    ids = orjson.loads(await request.read())["ids"]
    papers = {ref: {"state": "unknown", "saved": False, "read": False, "title": ref} for ref in ids}
    return web.Response(body=orjson.dumps({"papers": papers, "refs": {}, "invalid": []}), content_type=JSON_TYPE)


JSON_TYPE = "application/json"


def fixed(body: bytes) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    return handler


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=250_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument(
        "--rounds", type=int, default=2, help="1 = each server once; 2 = forward then back (A…F F…A); --seconds each"
    )
    parser.add_argument(
        "--pages", type=int, default=1_000, help="different request bodies wrk cycles through (default: 1,000)"
    )
    parser.add_argument(
        "--cold-pages",
        type=int,
        default=5_000,
        help="bodies of the informational cold run: 5,000 pages of 50 cover every paper once (0: no cold run)",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="papertray-bench-") as tmp:
        home = Path(tmp)
        paths = Paths(home / "config.toml", home / "data", home / "cache", home / "state", home / "logs")
        paths.ensure()
        bus = EventBus()
        store = Store.open(paths.data_dir, bus)
        started = time.perf_counter()
        for batch in synthetic(args.papers):
            await store.add_papers(batch)
        print(f"library: {len(store):,} papers added in {time.perf_counter() - started:.1f} s")
        config = Config(paths=paths)
        # The daemon's application, served as the daemon serves it (its cleanup closes the store).
        api_runner, api_port = await app.serve(app.build_app(lambda: config, store))
        token = (paths.state_dir / "cli.token").read_text().strip()
        bare = web.Application()
        bare.router.add_post("/api/v1/lookup", hello)
        bare_runner, bare_port = await serve(bare)
        # A third, informational baseline: bare aiohttp sending a body as large as lookup's answer.
        async with (
            aiohttp.ClientSession() as client,
            client.post(
                f"http://127.0.0.1:{api_port}/api/v1/lookup",
                json={"ids": lookup_ids()},
                headers={"Authorization": f"Bearer {token}"},
            ) as resp,
        ):
            answer = await resp.read()
        sized = web.Application()
        sized.router.add_post("/api/v1/lookup", fixed(answer))
        sized_runner, sized_port = await serve(sized)
        # A fourth: a bare handler doing only what every lookup must (parse, one entry per id, encode): the
        # ceiling for any implementation on this framework and machine.
        least = web.Application()
        least.router.add_post("/api/v1/lookup", minimal_lookup)
        least_runner, least_port = await serve(least)
        bodies = lookup_pages(args.papers, args.pages)
        script = home / "post.lua"
        script.write_text(wrk_script(bodies, token))
        # Two decompositions of lookup's cost, on the same API: the guarded path with nothing to look up, and
        # one page re-sent (its papers stay in the CPU cache, as when the extension re-scans the page it shows).
        empty_script = home / "empty.lua"
        empty_script.write_text(wrk_script([orjson.dumps({"ids": []}).decode()], token))
        one_page_script = home / "one.lua"
        one_page_script.write_text(wrk_script(bodies[:1], token))
        cold_script = home / "cold.lua"
        if args.cold_pages:
            cold_script.write_text(wrk_script(lookup_pages(args.papers, args.cold_pages, seed=2), token))
        # Alternate (A…F F…A) so that load from elsewhere on a shared machine weighs on all alike.
        runs: dict[str, list[tuple[float, float, int]]] = {
            "hello-world": [],
            "lookup": [],
            "same-size": [],
            "minimal": [],
            "no ids": [],
            "one page": [],
        }
        order = [
            ("hello-world", bare_port, script),
            ("lookup", api_port, script),
            ("same-size", sized_port, script),
            ("minimal", least_port, script),
            ("no ids", api_port, empty_script),
            ("one page", api_port, one_page_script),
        ]
        if args.cold_pages:
            runs["lookup-cold"] = []
            order.append(("lookup-cold", api_port, cold_script))
        # Server CPU per request (this process serves them all): steadier than req/s on a busy machine.
        cpu: dict[str, list[float]] = {name: [0.0, 0.0] for name in runs}
        for name, port, lua in [*order, *reversed(order)][: len(order) * args.rounds]:
            before = cpu_seconds()
            output = await wrk(f"http://127.0.0.1:{port}/api/v1/lookup", lua, args.seconds, args.connections)
            cpu[name][0] += cpu_seconds() - before
            cpu[name][1] += total_requests(output)
            runs[name].append(parse_wrk(output))
        results = {
            name: (
                sum(r[0] for r in found) / len(found),
                max(r[1] for r in found),
                sum(r[2] for r in found),
            )
            for name, found in runs.items()
        }
        await api_runner.cleanup()
        await bare_runner.cleanup()
        await sized_runner.cleanup()
        await least_runner.cleanup()
    (h_rps, h_p99, h_err), (l_rps, l_p99, l_err) = results["hello-world"], results["lookup"]
    s_rps, s_p99, _ = results["same-size"]
    m_rps, m_p99, _ = results["minimal"]
    ratio = l_rps / h_rps
    print(
        f"wrk -t1 -c{args.connections} -d{args.seconds}s per run, runs alternated A…F F…A "
        f"({args.rounds} rounds), "
        f"POST with 50 ids; req/s = mean of runs, p99 = worst run"
    )
    sizes = sorted(len(body) for body in bodies)
    print(
        f"request bodies: {len(bodies):,} different pages of 50 ids drawn from the {args.papers:,} papers, cycled "
        f"in turn ({sizes[0]}-{sizes[-1]} bytes): no cache keyed on the body can answer; lookup's per-reference "
        f"badges are warm after the first pass"
    )
    print(f"hello-world (bare aiohttp): {h_rps:9,.0f} req/s  p99 {h_p99:.2f} ms  errors {h_err}")
    print(f"lookup (papertray API):     {l_rps:9,.0f} req/s  p99 {l_p99:.2f} ms  errors {l_err}")
    print(f"same-size body (bare):      {s_rps:9,.0f} req/s  p99 {s_p99:.2f} ms  ({len(answer)} bytes, informational)")
    print(
        f"minimal lookup (bare):      {m_rps:9,.0f} req/s  p99 {m_p99:.2f} ms  (parse 50 ids, one entry each, encode: "
        f"the ceiling, informational)"
    )
    per = {name: used / max(count, 1) * 1e6 for name, (used, count) in cpu.items()}
    n_rps, _, n_err = results["no ids"]
    o_rps, o_p99, o_err = results["one page"]
    print(
        f"API, no ids (guard, body, empty answer): {n_rps:,.0f} req/s, ratio {n_rps / h_rps:.2f}, CPU "
        f"{per['no ids']:.0f} us/request, errors {n_err} (informational)"
    )
    print(
        f"lookup, one page re-sent (hot):          {o_rps:,.0f} req/s, ratio {o_rps / h_rps:.2f}, CPU "
        f"{per['one page']:.0f} us/request, p99 {o_p99:.2f} ms, errors {o_err} (informational)"
    )
    print(
        f"where lookup's CPU goes beyond hello-world's {per['hello-world']:.0f} us: the guarded API path "
        f"{per['no ids'] - per['hello-world']:+.0f} us, answering 50 ids from the CPU cache "
        f"{per['one page'] - per['no ids']:+.0f} us, fetching them from memory (1,000 pages) "
        f"{per['lookup'] - per['one page']:+.0f} us"
    )
    if args.cold_pages:
        c_rps, c_p99, c_err = results["lookup-cold"]
        print(
            f"lookup, cold (informational): {c_rps:7,.0f} req/s  p99 {c_p99:.2f} ms  errors {c_err}  CPU "
            f"{per['lookup-cold']:.0f} us/request ({args.cold_pages:,} pages, every paper once: nothing is remembered)"
        )
    print(
        f"server CPU per request:     hello-world {per['hello-world']:.0f} us, lookup {per['lookup']:.0f} us, "
        f"same-size {per['same-size']:.0f} us (CPU ratio hello/lookup {per['hello-world'] / per['lookup']:.2f})"
    )
    print(f"ratio lookup/hello-world:   {ratio:.2f}  (target >= 0.80)  p99 target <= 2 ms")
    print(f"ratio lookup/same-size:     {l_rps / s_rps:.2f}  (what the API itself costs beyond the bytes it sends)")
    print(
        f"ratio minimal/hello-world:  {m_rps / h_rps:.2f}  (the most any lookup reaches here); "
        f"lookup/minimal {l_rps / m_rps:.2f}"
    )
    ok = ratio >= 0.8 and l_p99 <= 2.0 and l_err == 0
    print("targets met" if ok else "TARGETS MISSED")
    return 0


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
