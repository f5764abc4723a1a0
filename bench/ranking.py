"""The "for you" ranking on real arXiv days (issue 14), beside random, recency, HF upvotes and keyword rules.

Simulated users on `../shared/fixtures/arxiv-corpus/`: each has a hidden interest, two topics out of `TOPICS`. A
paper is of interest when its categories meet a topic's and its title holds one of the topic's hidden terms or its
abstract two of them. The user wrote keyword rules from the topic's short description (`rule`: fewer, plainer
words than the hidden terms, and no categories -- what a person types into config.toml). Seeded with 5 saves and
3 dismissals from the days before, then day by day: every ordering ranks the day, the user acts on papertray's
top 10 (saves an interest paper with probability 0.7, dismisses a non-interest one with 0.3, the rest is only
seen), papertray retrains. Reported per day and overall: precision@10, recall of the day's interest papers in the
top 20 %, and the share kept when the bottom 50 % is hidden.

Targets: precision@10 >= 2x keyword rules and >= 3x random; hiding the bottom half keeps >= 95 %. Cost: ranking
1,000 candidates <= 50 ms, retraining on 5,000 signals <= 2 s, memory added <= 60 MB.

`python -m bench.ranking` is the short run (4 users, 12 days); `--users 12 --days 0 --later` the full one.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import ranking_daemon
from papertray.config import Rule
from papertray.models import Paper
from papertray.ranking import signals as sig
from papertray.ranking.features import Doc
from papertray.ranking.scorer import Model
from papertray.ranking.service import DEBOUNCE, _train_in_child, start_trainer
from papertray.ranking.trainer import BACKGROUND_WEIGHT, Example, encode_request, train
from papertray.rules import match

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "arxiv-corpus"
if not CORPUS.exists():
    CORPUS = Path("/work/shared/fixtures/arxiv-corpus")


@dataclass(frozen=True)
class Topic:
    name: str
    categories: frozenset[str]
    terms: tuple[str, ...]  # hidden: what makes a paper one of this topic's
    rule: tuple[str, ...]  # what the user writes as keywords


TOPICS = [
    Topic("interpretability", frozenset({"cs.LG", "cs.CL", "cs.AI"}),
          ("interpretability", "interpretable", "sparse autoencoder", "mechanistic", "circuit", "probing", "steering",
           "feature attribution", "saliency", "explainab"), ("interpretability", "sparse autoencoder")),
    Topic("robot learning", frozenset({"cs.RO"}),
          ("reinforcement learning", "imitation", "policy", "manipulation", "demonstration", "grasp", "dexterous",
           "sim-to-real", "locomotion"), ("robot learning", "imitation learning")),
    Topic("quantum error correction", frozenset({"quant-ph"}),
          ("error correction", "surface code", "logical qubit", "decoder", "fault-tolerant", "fault tolerance",
           "stabilizer", "syndrome"), ("quantum error correction",)),
    Topic("LLM reasoning", frozenset({"cs.CL", "cs.AI", "cs.LG"}),
          ("reasoning", "chain-of-thought", "chain of thought", "math", "test-time", "reward model", "verifier",
           "rlvr"), ("reasoning", "chain-of-thought")),
    Topic("medical imaging", frozenset({"cs.CV", "eess.IV"}),
          ("medical", "clinical", "mri", "ct ", "radiology", "pathology", "segmentation", "lesion", "tumor"),
          ("medical imaging",)),
    Topic("graph learning", frozenset({"cs.LG", "cs.SI", "stat.ML"}),
          ("graph neural", "gnn", "message passing", "node classification", "link prediction", "graph transformer",
           "heterophil"), ("graph neural network",)),
    Topic("privacy and security of ML", frozenset({"cs.CR", "cs.LG"}),
          ("differential privacy", "membership inference", "adversarial", "backdoor", "jailbreak", "poisoning",
           "federated"), ("privacy", "adversarial attack")),
    Topic("3D vision", frozenset({"cs.CV", "cs.GR"}),
          ("gaussian splatting", "nerf", "radiance field", "3d reconstruction", "point cloud", "novel view", "mesh",
           "depth estimation"), ("3d reconstruction", "gaussian splatting")),
]  # fmt: skip


@dataclass(frozen=True)
class Rec:
    doc: Doc
    upvotes: int
    order: int  # position in the day's listing by id: arXiv ids grow with submission time


def load(name: str, upvote_file: str) -> dict[str, list[Rec]]:
    votes: dict[str, int] = {}
    with gzip.open(CORPUS / upvote_file, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            votes[row["id"]] = max(votes.get(row["id"], 0), int(row["upvotes"]))
    days: dict[str, list[Rec]] = {}
    with gzip.open(CORPUS / name, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            d = Doc(r["id"], r["title"], r["abstract"], tuple(r["authors"]), tuple(r["categories"]), (), r["date"])
            day = days.setdefault(r["date"], [])
            day.append(Rec(d, votes.get(r["id"], 0), len(day)))
    return days


def interesting(topic: Topic, doc: Doc) -> bool:
    if not topic.categories & set(doc.categories):
        return False
    title, abstract = doc.title.lower(), doc.abstract.lower()
    return any(t in title for t in topic.terms) or sum(t in abstract for t in topic.terms) >= 2


def as_paper(doc: Doc) -> Paper:
    return Paper(id=doc.id, title=doc.title, summary=doc.abstract, authors=doc.authors)


# ------------------------------------------------------------------ orderings: best first, ids


def by_random(day: Sequence[Rec], rng: random.Random) -> list[str]:
    ids = [r.doc.id for r in day]
    rng.shuffle(ids)
    return ids


def by_recency(day: Sequence[Rec]) -> list[str]:
    return [r.doc.id for r in sorted(day, key=lambda r: -r.order)]


def by_upvotes(day: Sequence[Rec]) -> list[str]:
    return [r.doc.id for r in sorted(day, key=lambda r: (-r.upvotes, -r.order))]


def by_rules(day: Sequence[Rec], rules: Sequence[Rule]) -> list[str]:
    """Rule matches first (more rules fired, higher), then the rest newest first: how a rules-only list reads."""
    return [r.doc.id for r in sorted(day, key=lambda r: (-len(match(as_paper(r.doc), rules)), -r.order))]


@dataclass
class Figures:
    p10: list[float]
    recall20: list[float]
    kept50: list[float]

    def add(self, order: Sequence[str], wanted: set[str]) -> None:
        n = len(order)
        self.p10.append(len(wanted & set(order[:10])) / 10)
        if wanted:
            self.recall20.append(len(wanted & set(order[: max(1, n // 5)])) / len(wanted))
            self.kept50.append(len(wanted & set(order[: (n + 1) // 2])) / len(wanted))

    def summary(self) -> tuple[float, float, float]:
        def mean(xs: list[float]) -> float:
            return statistics.fmean(xs) if xs else 0.0

        return mean(self.p10), mean(self.recall20), mean(self.kept50)


class Papertray:
    """papertray's ranker as the daemon runs it: the same trainer, scorer, signal weights and rule cold start."""

    def __init__(self, rules: Sequence[Rule], train_fn: Callable[[list[Example]], dict[str, object]]) -> None:
        self.rules = rules
        self.train_fn = train_fn
        self.labelled: dict[str, tuple[Doc, int, float]] = {}
        self.background: list[Doc] = []
        self.model: Model | None = None

    def learn(self) -> None:
        examples = [Example(d, label, w) for d, label, w in self.labelled.values()]
        examples += [Example(d, 1, sig.RULE) for d in sig.rule_docs(self.rules)]
        examples += [Example(d, 0, BACKGROUND_WEIGHT) for d in self.background if d.id not in self.labelled]
        self.model = Model.from_dict(self.train_fn(examples))

    def order(self, day: Sequence[Rec]) -> list[str]:
        assert self.model is not None
        return [s.id for s in self.model.rank(r.doc for r in day)]


def simulate(
    days: dict[str, list[Rec]], dates: list[str], topics: tuple[Topic, Topic], seed: int, report: bool
) -> dict[str, Figures]:
    rng = random.Random(seed)
    rules = [Rule(name=t.name, keywords=t.rule) for t in topics]

    def wanted_of(day: Sequence[Rec]) -> set[str]:
        return {r.doc.id for r in day if any(interesting(t, r.doc) for t in topics)}

    ranker = Papertray(rules, lambda ex: train(ex))
    # Seed from the days before the run: 5 interest papers saved, 3 others dismissed.
    history = [r for date in sorted(days) if date < dates[0] for r in days[date]]
    hits = [r for r in history if any(interesting(t, r.doc) for t in topics)]
    misses = [r for r in history if not any(interesting(t, r.doc) for t in topics)]
    for r in rng.sample(hits, 5):
        ranker.labelled[r.doc.id] = (r.doc, 1, sig.SAVED)
    for r in rng.sample(misses, 3):
        ranker.labelled[r.doc.id] = (r.doc, 0, sig.DISMISSED)
    previous = [date for date in sorted(days) if date < dates[0]]
    ranker.background = [r.doc for r in days[previous[-1]]][:400] if previous else []
    ranker.learn()
    figures = {name: Figures([], [], []) for name in ("papertray", "random", "recency", "hf upvotes", "rules")}
    for date in dates:
        day = days[date]
        wanted = wanted_of(day)
        orders = {
            "papertray": ranker.order(day),
            "random": by_random(day, rng),
            "recency": by_recency(day),
            "hf upvotes": by_upvotes(day),
            "rules": by_rules(day, rules),
        }
        for name, order in orders.items():
            figures[name].add(order, wanted)
        if report:
            row = "  ".join(f"{n} {figures[n].p10[-1]:.1f}" for n in orders)
            print(f"    {date} ({len(day)} papers, {len(wanted)} of interest) p@10: {row}")
        recs = {r.doc.id: r for r in day}
        for paper_id in orders["papertray"][:10]:
            doc = recs[paper_id].doc
            if paper_id in wanted and rng.random() < 0.7:
                ranker.labelled[paper_id] = (doc, 1, sig.SAVED)
            elif paper_id not in wanted and rng.random() < 0.3:
                ranker.labelled[paper_id] = (doc, 0, sig.DISMISSED)
        ranker.background = [r.doc for r in rng.sample(day, min(400, len(day)))]
        ranker.learn()
    return figures


def run_users(days: dict[str, list[Rec]], n_days: int, users: int, seed: int, label: str, verbose: bool) -> None:
    dates = sorted(days)[2:]  # the first two days are the seed's history
    if n_days:
        dates = dates[:n_days]
    rng = random.Random(seed)
    pairs = [(TOPICS[i], TOPICS[j]) for i in range(len(TOPICS)) for j in range(i + 1, len(TOPICS))]
    chosen = rng.sample(pairs, users)
    total = {name: Figures([], [], []) for name in ("papertray", "random", "recency", "hf upvotes", "rules")}
    per_day: dict[str, list[list[float]]] = {name: [[] for _ in dates] for name in total}
    print(f"{label}: {users} users x {len(dates)} days ({dates[0]} .. {dates[-1]})")
    for u, pair in enumerate(chosen):
        figs = simulate(days, dates, pair, seed + u, verbose)
        line = "  ".join(f"{n} {f.summary()[0]:.2f}" for n, f in figs.items())
        print(f"  user {u + 1} ({pair[0].name} + {pair[1].name}) p@10: {line}")
        for name, f in figs.items():
            for i, value in enumerate(f.p10):
                per_day[name][i].append(value)
            total[name].p10 += f.p10
            total[name].recall20 += f.recall20
            total[name].kept50 += f.kept50
    print("  precision@10 per day, mean over the users:")
    print("    " + "day".ljust(12) + "".join(f"{name:>12}" for name in per_day))
    for i, date in enumerate(dates):
        print(f"    {date:<12}" + "".join(f"{statistics.fmean(per_day[n][i]):>12.2f}" for n in per_day))
    print(f"  {'ordering':<12} {'p@10':>6} {'recall@20%':>11} {'kept, bottom 50% hidden':>24}")
    for name, f in total.items():
        p10, r20, k50 = f.summary()
        print(f"  {name:<12} {p10:>6.3f} {r20:>11.3f} {k50:>24.3f}")
    ours, rules, rnd = (total[n].summary() for n in ("papertray", "rules", "random"))
    print(
        f"  targets: p@10 {ours[0] / max(rules[0], 1e-9):.1f}x rules (>= 2x), {ours[0] / max(rnd[0], 1e-9):.1f}x "
        f"random (>= 3x); bottom half hidden keeps {ours[2]:.1%} (>= 95 %)"
    )


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def costs(days: dict[str, list[Rec]]) -> None:
    """Ranking 1,000 candidates, retraining on 5,000 signals (in process and as the daemon does: a child
    process), and what the daemon's memory carries: the model table and the scorer, not scikit-learn."""
    flat = [r.doc for date in sorted(days) for r in days[date]]
    topics = (TOPICS[0], TOPICS[3])
    examples = [Example(d, int(any(interesting(t, d) for t in topics)), 1.0) for d in flat[:5000]]
    started = time.perf_counter()
    train(examples)
    fit = time.perf_counter() - started
    request = encode_request(examples, {"signals": len(examples)})
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-m", "papertray.ranking.trainer"], input=request, capture_output=True, check=True
    )
    child_s = time.perf_counter() - started
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    model_bytes = len(child.stdout)
    # As the daemon runs it: the child starts at the first signal and imports scikit-learn during the debounce.
    ahead = start_trainer()
    time.sleep(DEBOUNCE)
    started = time.perf_counter()
    _train_in_child(request, ahead)
    warm_s = time.perf_counter() - started
    print(f"retrain on 5,000 signals: fit {fit:.2f} s in process; {warm_s:.2f} s as the daemon runs it (after its")
    print(f"  {DEBOUNCE:.0f} s debounce, the trainer child started at the first signal); {child_s:.2f} s from a cold")
    print(f"  child (interpreter start, scikit-learn import, fit); the child's peak RSS {child_peak:.0f} MB")
    print(f"  (freed when it exits); model file {model_bytes / 1e6:.1f} MB")
    # The daemon side, in a fresh interpreter so nothing here (scikit-learn above) is counted.
    probe = (
        "import sys, json, time, orjson; from pathlib import Path\n"
        "def rss():\n"
        "    return int([l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmRSS')][0]"
        ".split()[1]) / 1024\n"
        "before = rss()\n"
        "from papertray.ranking.scorer import Model; from papertray.ranking.features import Doc\n"
        "model = Model.from_dict(orjson.loads(sys.stdin.buffer.read()))\n"
        "docs = [Doc(**d) for d in json.loads(Path(sys.argv[1]).read_text())]\n"
        "times = []\n"
        "for _ in range(5):\n"
        "    t = time.perf_counter(); model.rank(docs); times.append(time.perf_counter() - t)\n"
        "t = time.perf_counter(); stored = {d.id: model.value(d) for d in docs}; each = time.perf_counter() - t\n"
        "t = time.perf_counter(); sorted(stored, key=stored.__getitem__, reverse=True)\n"
        "sort = time.perf_counter() - t\n"
        "print(json.dumps({'rank_ms': sorted(times)[2] * 1000, 'added_mb': rss() - before, "
        "'stored_ms': sort * 1000, 'per_paper_ms': each,"
        "'sklearn': 'sklearn' in sys.modules}))\n"
    )
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump([{"id": d.id, "title": d.title, "abstract": d.abstract, "authors": list(d.authors),
                    "categories": list(d.categories)} for d in flat[5000:6000]], fh)  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", probe, fh.name], input=child.stdout, capture_output=True, check=True, text=False
    )
    Path(fh.name).unlink()
    got = json.loads(out.stdout)
    print(f"rank 1,000 candidates: {got['stored_ms']:.1f} ms from the scores the daemon stores as papers arrive;")
    print(f"  {got['rank_ms']:.0f} ms from their text (median of 5): {got['per_paper_ms']:.2f} ms per paper at arrival")
    print(
        f"daemon memory added by the ranker (scorer + a 5,000-signal model + scoring 1,000): {got['added_mb']:.1f} MB;"
        f" scikit-learn imported in the daemon: {got['sklearn']}. Per stored paper the ranker keeps at most a score"
        " for the newest 20,000 (about 2 MB); it reads papers through the Store, so 250,000 stored cost no more."
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sklearn.linear_model, sklearn.feature_extraction.text"], check=True)
    print(f"importing scikit-learn's parts in a fresh interpreter: {time.perf_counter() - started:.2f} s")
    ranking_daemon.main([])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--days", type=int, default=12, help="days per user; 0 for every day of the period")
    parser.add_argument("--later", action="store_true", help="also the later (out-of-time) period")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--per-day", action="store_true", help="print every day's precision@10")
    parser.add_argument("--no-costs", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    days = load("papers.jsonl.gz", "hf_daily_upvotes.jsonl.gz")
    print(f"corpus: {sum(map(len, days.values())):,} papers over {len(days)} days, loaded in "
          f"{time.perf_counter() - started:.1f} s; RSS {rss_mb():.0f} MB")  # fmt: skip
    run_users(days, args.days, args.users, args.seed, "development period", args.per_day)
    if args.later:
        later = load("papers-later.jsonl.gz", "hf_daily_upvotes-later.jsonl.gz")
        run_users(later, args.days, args.users, args.seed, "later period (out of time)", args.per_day)
    if not args.no_costs:
        costs(days)
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
