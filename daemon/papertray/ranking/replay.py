"""`papertray rank eval`: replay the user's own history in time order. For each day with saves, train on what
the user said before that day (rules, saves, reads, notes and dismissals; a dismissal dates from its paper's day),
rank the day, and see where the day's saves landed -- beside recency order and the rules alone."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from papertray.config import Rule
from papertray.models import Paper
from papertray.ranking import signals as sig
from papertray.ranking.features import Doc, doc_from_paper
from papertray.ranking.scorer import Model
from papertray.ranking.trainer import BACKGROUND_WEIGHT, Example
from papertray.rules import match


@dataclass
class Tally:
    p10: list[float] = field(default_factory=list)
    recall20: list[float] = field(default_factory=list)

    def add(self, order: Sequence[str], wanted: set[str]) -> None:
        self.p10.append(len(wanted & set(order[:10])) / min(10, len(order)))
        self.recall20.append(len(wanted & set(order[: max(1, len(order) // 5)])) / len(wanted))

    def means(self) -> tuple[float, float]:
        return (sum(self.p10) / len(self.p10), sum(self.recall20) / len(self.recall20)) if self.p10 else (0.0, 0.0)


def replay(
    records: Sequence[Mapping[str, Any]], rules: Sequence[Rule], train: Callable[[list[Example]], dict[str, Any]]
) -> tuple[dict[str, Tally], int]:
    """Tallies for "papertray", "recency" and "rules", and the number of days evaluated. `records` are the
    API's paper answers (a paper's fields and its user state)."""
    by_day: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        if record.get("daily_date"):
            by_day.setdefault(str(record["daily_date"]), []).append(record)
    tallies = {name: Tally() for name in ("papertray", "recency", "rules")}
    evaluated = 0
    rng = random.Random(14)
    for day in sorted(by_day):
        papers = by_day[day]
        wanted = {str(r["id"]) for r in papers if r.get("saved_at") or r.get("read_at")}
        if not wanted or len(papers) < 2:
            continue
        examples = _examples_before(records, day, rules)
        if not any(e.label == 1 for e in examples) or not any(e.label == 0 for e in examples):
            continue
        model = Model.from_dict(train(examples))
        docs = [_doc(r) for r in papers]
        rng.shuffle(docs)  # ties must not favour the order the API listed them in
        tallies["papertray"].add([s.id for s in model.rank(docs)], wanted)
        newest = sorted((d for d in docs), key=lambda d: d.id, reverse=True)
        tallies["recency"].add([d.id for d in newest], wanted)
        # the rules alone: matches first (more rules fired, higher), then newest first
        tallies["rules"].add([d.id for d in sorted(newest, key=lambda d: -len(match(_paper(d), rules)))], wanted)
        evaluated += 1
    return tallies, evaluated


def _paper(doc: Doc) -> Paper:
    return Paper(id=doc.id, title=doc.title, summary=doc.abstract, authors=doc.authors, ai_keywords=doc.keywords)


def _doc(record: Mapping[str, Any]) -> Doc:
    return doc_from_paper(Paper.from_dict(dict(record)))


def _examples_before(records: Sequence[Mapping[str, Any]], day: str, rules: Sequence[Rule]) -> list[Example]:
    out = [Example(d, 1, sig.RULE) for d in sig.rule_docs(rules)]
    for r in records:
        when = min(filter(None, (r.get("saved_at"), r.get("read_at"))), default=None)
        if when is not None and str(when)[:10] < day and not r.get("dismissed"):
            out.append(Example(_doc(r), 1, sig.SAVED))
        elif r.get("dismissed") and str(r.get("daily_date") or "9999") < day:
            out.append(Example(_doc(r), 0, sig.DISMISSED))
        elif str(r.get("daily_date") or "9999") < day and not r.get("saved_at"):
            out.append(Example(_doc(r), 0, BACKGROUND_WEIGHT))
    return out
