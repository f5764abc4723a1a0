"""How fast interest rules match: rules.match over synthetic papers, against a baseline measured in the same
run (a plain lower-cased substring scan of the same fields for the same terms, which is what a naive rule
engine would do, without whole words, Unicode folding or reasons). Prints numbers and the ratio."""

from __future__ import annotations

import random
import statistics
import time

from papertray.config import Rule
from papertray.models import Paper
from papertray.rules import match

WORDS = [
    *[
        "model",
        "language",
        "vision",
        "diffusion",
        "transformer",
        "sparse",
        "autoencoder",
        "agent",
        "reasoning",
        "benchmark",
        "robot",
    ],
    *[
        "policy",
        "learning",
        "graph",
        "neural",
        "scaling",
        "law",
        "token",
        "attention",
        "memory",
        "retrieval",
        "video",
        "audio",
        "protein",
    ],
]
RULES = [
    Rule(name="sae", keywords=("sparse autoencoder", "mechanistic interpretability"), exclude=("survey",)),
    Rule(name="agents", keywords=("agent", "tool use"), min_upvotes=5),
    Rule(name="people", authors=("Yann LeCun", "Bernhard Schölkopf")),
    Rule(name="labs", orgs=("Meta", "Google DeepMind")),
    Rule(name="video", keywords=("video diffusion", "world model")),
    Rule(name="hot", min_upvotes=80),
]


def papers(n: int) -> list[Paper]:
    rng = random.Random(7)
    return [
        Paper(
            id=f"2511.{i:05d}",
            title=" ".join(rng.choices(WORDS, k=10)),
            summary=" ".join(rng.choices(WORDS, k=180)),
            authors=tuple(f"Author {rng.randint(1, 5000)}" for _ in range(6)),
            ai_keywords=tuple(rng.choices(WORDS, k=6)),
            organization=rng.choice(["Meta", "Acme Labs", ""]),
            upvotes=rng.randint(0, 100),
        )
        for i in range(n)
    ]


def baseline(paper: Paper) -> int:
    text = " ".join((paper.title, paper.summary, *paper.ai_keywords)).lower()
    fired = 0
    for rule in RULES:
        if any(k.lower() in text for k in rule.keywords) or any(
            a.lower() in (x.lower() for x in paper.authors) for a in rule.authors
        ):
            fired += 1
    return fired


def timed(fn: object, items: list[Paper], rounds: int = 5) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            fn(item)  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    items = papers(5000)
    ours = timed(lambda p: match(p, RULES), items)
    base = timed(baseline, items)
    print(
        f"rules.match: {len(items)} papers x {len(RULES)} rules in {ours * 1000:.1f} ms "
        f"({len(items) / ours:,.0f} papers/s)"
    )
    print(f"baseline substring scan: {base * 1000:.1f} ms ({len(items) / base:,.0f} papers/s)")
    print(f"ratio rules.match / baseline: {ours / base:.2f}")


if __name__ == "__main__":
    main()
