"""A large synthetic store written straight to files (the fast path of the store benchmarks): record shards through
`AtomicJSONStorage` and month indexes through `month_index.encode`, the same encoders the store uses, without a
poll per month. With `legacy=<dir>` it also writes the layout before index.bin beside it (the same record shards,
hard-linked, and a JSON `index.json` per month), for the old code to open in the same run.

Papers carry what arXiv lists give them: one to three sources of hf / four arXiv categories, categories, one to
three versions. A tenth of the user states are saves.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import orjson

from bench.store_bench import WORDS, months, text
from bench.store_million import CATEGORIES
from papertray.atomic import write_atomic
from papertray.models import Paper
from papertray.store import AtomicJSONStorage, record_shard
from papertray.store.month_index import NAME, encode
from papertray.store.views import summary_of

MONTHS = 70


def paper_of(rng: random.Random, pid: str, pool: list[str]) -> Paper:
    yymm = pid[:4]
    day = f"20{yymm[:2]}-{yymm[2:]}-{rng.randint(1, 28):02d}"
    cats = tuple(rng.sample(CATEGORIES, rng.choice((1, 1, 2))))
    sources = tuple(f"arxiv:{c}" for c in cats)
    if rng.random() < 0.15:
        sources = ("hf", *sources)
    version = rng.choice((1, 1, 1, 2, 2, 3))
    return Paper(
        id=pid,
        version=version,
        title=text(rng, rng.randint(60, 110)),
        summary=pid + " " + rng.choice(pool),
        authors=tuple(f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}" for _ in range(rng.randint(3, 8))),
        published_at=f"{day}T17:59:59Z",
        daily_date=day,
        upvotes=rng.randint(0, 300) if "hf" in sources else 0,
        sources=sources,
        categories=cats,
        versions=tuple((n, f"{day}T17:59:59Z") for n in range(1, version + 1)),
        first_seen_at=f"{day}T18:00:00Z",
    )


def build(data: Path, papers: int, states: int, seed: int = 20261201, legacy: Path | None = None) -> list[str]:
    """Write a store of `papers` papers over MONTHS months and `states` user states; returns every id."""
    rng = random.Random(seed)
    pool = [text(rng, rng.randint(1000, 1400)) for _ in range(500)]
    feed = data / "feed"
    feed.mkdir(parents=True, exist_ok=True)
    per_month = papers // MONTHS
    ids: list[str] = []
    for month in months(MONTHS):
        numbers = sorted(rng.sample(range(1, 30000), per_month))
        shards: dict[str, dict[str, object]] = {}
        summaries = {}
        for number in numbers:
            record = paper_of(rng, f"{month}.{number:05d}", pool)
            shards.setdefault(record_shard(record.id)[1], {})[record.id] = record.to_dict()
            summaries[record.id] = summary_of(record)
            ids.append(record.id)
        (feed / month).mkdir(exist_ok=True)
        for name, docs in shards.items():
            AtomicJSONStorage(feed / month / f"{name}.json", kind="feed").write({"papers": docs})
        write_atomic(feed / month / NAME, encode(month, summaries))
        if legacy is not None:
            old = legacy / "feed" / month
            old.mkdir(parents=True, exist_ok=True)
            for name in shards:
                os.link(feed / month / f"{name}.json", old / f"{name}.json")
            index = {pid: list(s[:4]) for pid, s in summaries.items()}
            AtomicJSONStorage(old / "index.json", kind="feed-index").write({"index": index})
    chosen = rng.sample(ids, min(states, len(ids)))
    user = {
        pid: {"id": pid, "seen_at": "2026-01-01T00:00:00Z", "saved_at": "2026-01-02T00:00:00Z" if n % 10 == 0 else None}
        for n, pid in enumerate(chosen)
    }
    for folder in (data, legacy):
        if folder is not None:
            AtomicJSONStorage(folder / "user.json", kind="user", backup=True).write({"states": user})
    return ids


def store_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in data.rglob("*") if p.is_file())


def fold_marker(data: Path) -> dict[str, int]:
    return orjson.loads((data / "built.json").read_bytes()) if (data / "built.json").exists() else {}
