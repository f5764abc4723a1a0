"""Fit the ranking model: tf-idf over `features.features` and an L2 logistic regression (scikit-learn).

The only module that imports scikit-learn (and numpy, scipy). The daemon runs it as a child process (`python -m
papertray.ranking.trainer`, JSON in on stdin, the model out on stdout), so scikit-learn, numpy and scipy never
enter the daemon's memory and a crash in them cannot take the daemon down; the benchmark calls `train()` directly.

Unlabelled papers (the background: recent papers the user did nothing with) join as negatives with a small weight:
most papers of a day are not for the user, but nothing about one unlabelled paper says so, so each counts little.
"""

from __future__ import annotations

import itertools
import math
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from papertray.ranking import features as feat
from papertray.ranking.scorer import FORMAT, VERSION

MAX_FEATURES = 60_000
BACKGROUND_WEIGHT = 0.05
REGULARISATION = 4.0  # scikit-learn's C: chosen on the benchmark's development period (bench/ranking.py)


@dataclass(frozen=True, slots=True)
class Example:
    doc: feat.Doc
    label: int  # 1 for the user, 0 not (a dismissal or the background)
    weight: float


def idf_of(df: int, docs: int) -> float:
    """Smoothed idf, as scikit-learn's TfidfTransformer computes it (one home: the scorer's default uses it)."""
    return math.log((1 + docs) / (1 + df)) + 1


def train(examples: Sequence[Example], *, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """The model as a plain dict (`scorer.Model.from_dict` reads it). Needs at least one example of each label.

    The tf-idf matrix is built here from `Counter`s (sublinear tf, smoothed idf, rows L2-normalised: what
    scikit-learn's TfidfVectorizer computes, at a quarter of its time on 5,000 papers, and exactly what
    `scorer.Model` recomputes); scikit-learn's LogisticRegression learns the weights."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    labels = [e.label for e in examples]
    if not (0 in labels and 1 in labels):
        raise ValueError("training needs at least one positive and one negative example")
    bags = [Counter(feat.features(e.doc)) for e in examples]
    df: Counter[str] = Counter(itertools.chain.from_iterable(bags))  # a bag's keys: each paper counts once
    docs = len(examples)
    terms, frequencies = list(df), np.fromiter(df.values(), np.float64, len(df))
    if len(terms) > MAX_FEATURES:  # the most frequent, ties in first-seen order (as Counter.most_common)
        kept = np.argsort(-frequencies, kind="stable")[:MAX_FEATURES]
        terms, frequencies = [terms[j] for j in kept], frequencies[kept]
    vocabulary = {term: j for j, term in enumerate(terms)}
    idf = np.log((1 + docs) / (1 + frequencies)) + 1  # idf_of, for every term at once
    # The matrix is built in bulk (column of each term, -1 outside the vocabulary; its count), then weighed by
    # numpy: a Python loop per non-zero cost most of a retrain on 5,000 papers.
    columns = np.fromiter(
        itertools.chain.from_iterable(map(vocabulary.get, bag, itertools.repeat(-1)) for bag in bags), np.int64
    )
    tfs = np.fromiter(itertools.chain.from_iterable(bag.values() for bag in bags), np.float64)
    rows = np.repeat(np.arange(docs), [len(bag) for bag in bags])
    keep = columns >= 0
    columns, tfs, rows = columns[keep], tfs[keep], rows[keep]
    values = (1.0 + np.log(tfs)) * idf[columns]
    matrix = normalize(csr_matrix((values, (rows, columns)), shape=(docs, len(terms))))
    # Each class carries the same total weight, so a handful of saves is not drowned by the background.
    pos = sum(e.weight for e in examples if e.label == 1)
    neg = sum(e.weight for e in examples if e.label == 0)
    weights = [e.weight * (0.5 / pos if e.label == 1 else 0.5 / neg) * docs for e in examples]
    model = LogisticRegression(C=REGULARISATION, max_iter=200, solver="liblinear")
    model.fit(matrix, labels, sample_weight=weights)
    table = dict(zip(terms, zip(idf.tolist(), model.coef_[0].tolist(), strict=True), strict=True))
    return {
        "format": FORMAT,
        "version": VERSION,
        "intercept": float(model.intercept_[0]),
        # A term outside the vocabulary is rarer than any in it: it gets the idf of a one-document term.
        "default_idf": idf_of(1, docs),
        "features": table,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "counts": counts or {"positive": labels.count(1), "negative": labels.count(0)},
    }


def _example(item: dict[str, Any]) -> Example:
    doc = feat.Doc(
        id=str(item["id"]),
        title=str(item.get("title", "")),
        abstract=str(item.get("abstract", "")),
        authors=tuple(item.get("authors", ())),
        categories=tuple(item.get("categories", ())),
        keywords=tuple(item.get("keywords", ())),
    )
    return Example(doc, int(item["label"]), float(item["weight"]))


def encode_request(examples: Sequence[Example], counts: dict[str, int]) -> bytes:
    """The child's stdin: the examples and the signal counts to record in the model."""
    items = [
        {
            "id": e.doc.id,
            "title": e.doc.title,
            "abstract": e.doc.abstract,
            "authors": list(e.doc.authors),
            "categories": list(e.doc.categories),
            "keywords": list(e.doc.keywords),
            "label": e.label,
            "weight": e.weight,
        }
        for e in examples
    ]
    return orjson.dumps({"examples": items, "counts": counts})


def main() -> int:
    # Imported before reading: the daemon starts this process ahead of time (ranking/service.py), so the
    # imports, most of a cold start, happen while it still waits for the signals to settle.
    import sklearn.linear_model  # noqa: F401

    raw = sys.stdin.buffer.read()
    if not raw:
        return 0  # not needed after all
    request = orjson.loads(raw)
    model = train([_example(item) for item in request["examples"]], counts=request.get("counts"))
    sys.stdout.buffer.write(orjson.dumps(model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
