"""`make bench`: run every benchmark in this folder and rewrite docs/benchmarks.md with their output and the
machine they ran on. Each benchmark prints its own figures beside a baseline measured in the same run.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "benchmarks.md"

# (module, title, extra arguments); a module that is not there yet is reported as missing, not skipped silently.
BENCHMARKS = [
    ("bench.store_bench", "Store with 250,000 papers: cold start, RSS, bytes per poll, save latency", []),
    # ~6 min (the fixture is written once per run); `--quick` (100k papers) for a short look
    (
        "bench.store_million",
        "Store at 1,000,000 papers: ready, RSS, lookup, an arXiv poll of 1,000 new + 400 replacements",
        [],
    ),
    ("bench.store_crash", "Crash safety: SIGKILL during polls and saves (1000 trials)", ["--trials", "1000"]),
    ("bench.lookup", "API lookup under wrk vs a bare aiohttp hello-world", []),
    ("bench.soak", "Soak: wrk + 5 SSE clients + polls, RSS sampled", ["--minutes", "10"]),
    ("bench.extension_marking", "Extension: DOMContentLoaded to 50 cards marked (cold / warm SW)", []),
    ("bench.poll_ingest", "Poller: parse a Daily Papers day, poll 30 days into a real store", []),
    ("bench.bench_rules", "Interest rules: 5,000 papers x 6 rules", []),
    ("bench.library_bench", "Reading list: exports, imports, a 20 MB PDF, the page's list", []),
    ("bench.ranking", "For you: ranking real arXiv days vs random, recency, HF upvotes and keyword rules", []),
    ("bench.search", "Search at 250,000 papers: index build vs bare FTS5, a poll's update, query p95, daemon RSS", []),
    # 15ed998: the last commit with the watchfiles config watcher, measured beside today's daemon
    (
        "bench.idle",
        "Idle: wake-ups and CPU of an idle daemon, config watchers compared",
        ["--before", "15ed998", "--tray"],
    ),
]


def machine() -> list[str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return [
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu}, {os.cpu_count()} cores; memory {memory}",
        f"- OS: {platform.platform()}",
        f"- Python: {platform.python_version()}",
    ]


def main(argv: list[str]) -> int:
    selected = [b for b in BENCHMARKS if not argv or any(a in b[0] for a in argv)]
    sections: list[str] = []
    failures = 0
    for module, title, extra in selected:
        print(f"== {module}", flush=True)
        if not (REPO / (module.replace(".", "/") + ".py")).exists():
            sections.append(f"## {title}\n\n`{module}` is not written yet.\n")
            continue
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", module, *extra], cwd=REPO, capture_output=True, text=True, check=False
        )
        elapsed = time.monotonic() - started
        print(result.stdout, end="")
        if result.returncode != 0:
            failures += 1
            print(result.stderr, file=sys.stderr, end="")
        body = result.stdout.strip() or "(no output)"
        status = (
            ""
            if result.returncode == 0
            else f"\n\nExited with {result.returncode}:\n\n```\n{result.stderr[-2000:]}\n```"
        )
        sections.append(
            f"## {title}\n\n`python -m {module} {' '.join(extra)}` ({elapsed:.0f} s)\n\n```\n{body}\n```{status}\n"
        )
    OUT.parent.mkdir(exist_ok=True)
    if argv and OUT.exists():
        # A selection updates its own sections in place (with the machine it ran on) and keeps the others.
        text = OUT.read_text(encoding="utf-8")
        for section in sections:
            title = section.split("\n", 1)[0]
            stamped = section.replace("\n\n", "\n\nRun alone on: " + "; ".join(m[2:] for m in machine()) + ".\n\n", 1)
            if title in text:
                start = text.index(title)
                end = text.find("\n## ", start + len(title))
                text = text[:start] + stamped.rstrip("\n") + "\n\n" + (text[end + 1 :] if end != -1 else "")
            else:
                text = text.rstrip("\n") + "\n\n" + stamped
        OUT.write_text(text, encoding="utf-8")
    else:
        OUT.write_text(
            "# Benchmarks\n\nWritten by `make bench` (`python -m bench.run_all`). Each figure is printed beside a "
            "baseline measured in the same run on the same machine; targets are in the issues and in each "
            "benchmark's docstring. Numbers from a noisy 2-core machine: compare ratios, not absolutes.\n\n"
            "## Machine\n\n" + "\n".join(machine()) + "\n\n" + "\n".join(sections),
            encoding="utf-8",
        )
    print(f"wrote {OUT.relative_to(REPO)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
