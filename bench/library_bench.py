"""Library benchmarks, each beside a baseline measured in the same run:

1. export of N saved papers in every format vs `json.dumps` of the same dicts;
2. BibTeX / CSL-JSON import of that export vs `json.loads`;
3. one PDF download through the library (SSRF check, temp file, fsync, sha256, atomic rename) vs a plain
   aiohttp GET of the same bytes from the same loopback fixture server;
4. `GET /library/api/papers` with N saved papers vs `GET /library/app.css` (a static asset) on the same server.

    python -m bench.library_bench [--papers 2000] [--pdf-mb 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "daemon"), str(REPO)]

import aiohttp  # noqa: E402
from tests.support.library_site import LibrarySite  # noqa: E402
from tests.support.paper_server import PaperServer  # noqa: E402

from papertray import citations  # noqa: E402
from papertray.models import Paper, PaperState  # noqa: E402
from papertray.store import PaperView  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def views(count: int) -> list[PaperView]:
    out = []
    for n in range(count):
        pid = f"24{n // 10000 % 10:01d}{(n // 1000) % 10}.{n:05d}"
        paper = Paper(
            id=pid,
            title=f"Paper {n}: sparse autoencoders, {{braces}} & 50% of the time",
            summary="An abstract of about a paragraph. " * 12,
            authors=tuple(f"Author{k} Surname{k}" for k in range(6)),
            published_at="2024-01-02T00:00:00Z",
        )
        out.append(PaperView(pid, paper, PaperState(pid, saved_at="2024-01-03T00:00:00Z", tags=("a", "b"), note="n")))
    return out


def bench_formats(count: int) -> None:
    papers = views(count)
    dicts = [p.to_dict() for p in papers]
    base = timed(lambda: json.dumps(dicts))
    print(f"export of {count} papers (median of 5); baseline json.dumps of the same dicts: {base * 1000:.1f} ms")
    texts = {}
    for fmt in citations.FORMATS:
        texts[fmt] = citations.export(papers, fmt)
        t = timed(lambda fmt=fmt: citations.export(papers, fmt))
        print(f"  {fmt:9s} {t * 1000:8.1f} ms  {len(texts[fmt]) / 1e6:6.2f} MB  ratio {t / base:5.1f}x")
    base = timed(lambda: json.loads(texts["json"]))
    print(f"import of {count} papers; baseline json.loads of the JSON export: {base * 1000:.1f} ms")
    for fmt in citations.IMPORT_FORMATS:
        t = timed(lambda fmt=fmt: citations.parse(texts[fmt], fmt))
        parsed = citations.parse(texts[fmt], fmt)
        assert len(parsed.entries) == count, (fmt, len(parsed.entries), parsed.skipped[:3])
        print(f"  {fmt:9s} {t * 1000:8.1f} ms  ratio {t / base:5.1f}x")


async def plain_get(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        total = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            total += len(chunk)
        return total


def bench_download(pdf_mb: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, PaperServer() as server:
        server.add("2307.12345", title="Big", pdf_size=pdf_mb * 1024 * 1024)
        size = len(server.papers["2307.12345"].pdfs[1])
        plain = []
        for _ in range(3):
            start = time.perf_counter()
            asyncio.run(plain_get(f"{server.url}/pdf/2307.12345"))
            plain.append(time.perf_counter() - start)
        library = []
        for run in range(3):
            with LibrarySite(Path(tmp) / f"home{run}", server) as site:
                start = time.perf_counter()
                site.call(site.store.update_state("2307.12345", saved=True))
                site.wait_downloaded("2307.12345", timeout=300)
                library.append(time.perf_counter() - start)
        p, lib = statistics.median(plain), statistics.median(library)
        print(f"download of a {size / 2**20:.0f} MB PDF from a loopback fixture server (median of 3)")
        print(f"  baseline plain aiohttp GET: {p * 1000:.0f} ms ({size / p / 2**20:.0f} MB/s)")
        print(
            f"  library save -> file on disk (+ metadata requests, fsync, sha256): {lib * 1000:.0f} ms "
            f"({size / lib / 2**20:.0f} MB/s), ratio {lib / p:.1f}x"
        )


async def latency(url: str, headers: dict[str, str], n: int) -> list[float]:
    out = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        for _ in range(n):
            start = time.perf_counter()
            async with http.get(url, headers=headers) as response:
                await response.read()
                assert response.status == 200, response.status
            out.append(time.perf_counter() - start)
    return out


def bench_list(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = LibrarySite(Path(tmp) / "home", None, download_pdfs=False).start()
        try:
            papers = [v.paper for v in views(count)]
            site.call(site.store.add_papers([p for p in papers if p]))
            site.call(site.library.enqueue([]))
            site.call(site.store.update_states({p.id: {"saved": True} for p in papers if p}), timeout=120)
            url = site.login_url()

            async def cookie() -> str:
                async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as r:
                    return r.headers["Set-Cookie"].split(";", 1)[0]

            headers = {"Cookie": asyncio.run(cookie())}
            listing = asyncio.run(latency(f"{site.url}/library/api/papers", headers, 20))
            static = asyncio.run(latency(f"{site.url}/library/app.css", headers, 20))
            lm, sm = statistics.median(listing), statistics.median(static)
            print(
                f"GET /library/api/papers with {count} saved papers (median of 20): {lm * 1000:.1f} ms; "
                f"baseline GET /library/app.css: {sm * 1000:.2f} ms; ratio {lm / sm:.0f}x"
            )
        finally:
            site.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--pdf-mb", type=int, default=20)
    args = parser.parse_args()
    bench_formats(args.papers)
    bench_download(args.pdf_mb)
    bench_list(args.papers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
