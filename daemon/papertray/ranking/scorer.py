"""Score papers with a trained model, in pure Python: the same tf-idf the trainer computed, dotted with the
learned weights. Each score comes with the features that moved it most, with sign, for `papertray why`."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from papertray.ranking import features as feat

FORMAT = "papertray-rank"
VERSION = 2  # 2: categories count twice (features.py); a version-1 model is rebuilt from the signals
_TF = [0.0] + [1.0 + math.log(n) for n in range(1, 32)]


class ModelError(ValueError):
    """The model file does not hold a model this version can use (corrupt, foreign or another version)."""


@dataclass(frozen=True, slots=True)
class Reason:
    feature: str
    weight: float  # its contribution to the score: positive pulls the paper up

    @property
    def text(self) -> str:
        return feat.readable(self.feature)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": feat.kind(self.feature), "text": self.text, "weight": round(self.weight, 4)}


@dataclass(frozen=True, slots=True)
class Scored:
    id: str
    score: float
    reasons: tuple[Reason, ...]

    def short(self, n: int = 3) -> str:
        """`for you: sparse autoencoders, circuits` -- the strongest reasons that pulled the paper up."""
        ups = [r.text for r in self.reasons if r.weight > 0][:n]
        return f"for you: {', '.join(ups)}" if ups else ""


class Model:
    def __init__(self, data: dict[str, Any]) -> None:
        self.intercept = float(data["intercept"])
        self.default_idf = float(data["default_idf"])
        table = data["features"]
        self.table: dict[str, tuple[float, float]] = {k: (float(v[0]), float(v[1])) for k, v in table.items()}
        self.trained_at = str(data.get("trained_at", ""))
        self.counts = dict(data.get("counts") or {})

    @classmethod
    def from_dict(cls, data: Any) -> Model:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError("it is not a papertray ranking model")
        if data.get("version") != VERSION:
            raise ModelError(f"it was written by model version {data.get('version')!r}, this is version {VERSION}")
        try:
            return cls(data)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelError(f"it is damaged ({type(exc).__name__})") from None

    def _values(self, doc: feat.Doc) -> tuple[dict[str, float], float]:
        """The document's tf-idf values (sublinear tf, as the trainer's TfidfVectorizer) and their L2 norm."""
        values: dict[str, float] = {}
        get, default = self.table.get, (self.default_idf, 0.0)
        for term, n in Counter(feat.features(doc)).items():
            values[term] = (_TF[n] if n < len(_TF) else 1.0 + math.log(n)) * get(term, default)[0]
        return values, math.sqrt(sum(v * v for v in values.values())) or 1.0

    def value(self, doc: feat.Doc) -> float:
        """The score alone: what ranking needs (reasons are worked out only for the papers shown)."""
        values, norm = self._values(doc)
        get, none = self.table.get, (0.0, 0.0)
        return self.intercept + sum(v * get(t, none)[1] for t, v in values.items()) / norm

    def score(self, doc: feat.Doc, *, reasons: int = 5) -> Scored:
        values, norm = self._values(doc)
        get, none = self.table.get, (0.0, 0.0)
        moved = [Reason(t, v / norm * get(t, none)[1]) for t, v in values.items() if get(t, none)[1]]
        total = self.intercept + sum(r.weight for r in moved)
        return Scored(doc.id, total, tuple(heapq.nlargest(reasons, moved, key=lambda r: abs(r.weight))))

    def rank(self, docs: Iterable[feat.Doc]) -> list[Scored]:
        """Best first (ties keep the given order), without reasons: `score` explains the ones shown."""
        scored = [Scored(d.id, self.value(d), ()) for d in docs]
        return sorted(scored, key=lambda s: -s.score)
