"""The daemon's ranker: keeps the model, scores papers, and retrains after signals arrive.

Signals are read on the event loop through the Store's public `query`/`get_paper`, a chunk at a time (saved,
read and dismissed papers, kept between retrains, plus a few hundred recent ones); the fit runs in a child
process awaited from a thread, so neither the loop nor the daemon's memory carries scikit-learn. A burst of
saves retrains once, `DEBOUNCE` seconds after the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from papertray.config import Rule
from papertray.events import EventBus
from papertray.ranking import model_file, signals
from papertray.ranking.features import Doc, doc_from_paper
from papertray.ranking.scorer import Model, ModelError, Scored
from papertray.ranking.standing import Standings
from papertray.ranking.trainer import BACKGROUND_WEIGHT, Example, encode_request
from papertray.store import Store

DEBOUNCE = 5.0
# Scores are worked out once per paper, when it arrives and after each retrain, in chunks that yield the event loop;
# a "For you" list then only sorts stored numbers. The newest papers' scores are kept, up to this many.
KEEP_SCORES = 20_000
CHUNK = 50
BACKGROUND = 400  # the newest papers the user did nothing with: the weak negatives (as bench/ranking.py trains)
TRAIN_TIMEOUT = 300.0


def start_trainer() -> subprocess.Popen[bytes]:
    """Start `python -m papertray.ranking.trainer`: it imports scikit-learn (most of a cold start) while the
    ranker is still waiting out its debounce, then trains on what it is sent (nothing: it just exits)."""
    package_root = str(Path(__file__).resolve().parent.parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen(
        [sys.executable, "-m", "papertray.ranking.trainer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _train_in_child(request: bytes, child: subprocess.Popen[bytes] | None = None) -> dict[str, Any]:
    """Train in a trainer child (started now unless one is given); blocking, so called from a thread."""
    child = child or start_trainer()
    try:
        out, err = child.communicate(request, timeout=TRAIN_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise
    if child.returncode != 0:
        last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"training failed: {last}")
    data: dict[str, Any] = orjson.loads(out)
    return data


def _dismiss(child: subprocess.Popen[bytes] | None) -> None:
    """A trainer child that is not needed after all: closing its stdin unsent makes it exit."""
    if child is not None and child.poll() is None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            child.communicate(b"", timeout=TRAIN_TIMEOUT)
        if child.poll() is None:
            child.kill()
            child.wait()


class Ranker:
    def __init__(
        self,
        store: Store,
        bus: EventBus,
        rules: Callable[[], Sequence[Rule]],
        data_dir: Path,
        *,
        log: Callable[[str], None] = print,
        debounce: float = DEBOUNCE,
    ) -> None:
        self.store, self.bus, self.rules, self.log = store, bus, rules, log
        self.path = model_file.path_in(data_dir)
        self.debounce = debounce
        self.model: Model | None = None
        self.message: str | None = None
        self.training = False
        self.signal_count = 0
        self._wanted = asyncio.Event()
        self._fingerprint: int | None = None
        self._docs: dict[str, Doc] = {}  # the signal papers' text, kept between retrains (`_signal_docs`)
        self.scores: dict[str, float] = {}
        self._to_score: dict[str, None] = {}  # ordered set: papers waiting for a score from the current model
        self._scoring = asyncio.Event()
        # Moves on whenever a score or the model changes: what is built from scores (standing.py) is current
        # while it holds this number.
        self.generation = 0
        self.standings = Standings(self)

    # ------------------------------------------------------------ scoring

    def score(self, paper_id: str) -> Scored | None:
        paper = self.store.get_paper(paper_id)
        if self.model is None or paper is None:
            return None
        return self.model.score(doc_from_paper(paper))

    def value(self, paper_id: str) -> float | None:
        """The stored score of a paper, or computed now when it has none yet (None without a model)."""
        found = self.scores.get(paper_id)
        if found is not None or self.model is None:
            return found
        paper = self.store.get_paper(paper_id)
        return self.model.value(doc_from_paper(paper)) if paper is not None else None

    def rank_ids(self, paper_ids: Iterable[str]) -> list[tuple[str, float]]:
        """Best first, from stored scores where there are some."""
        valued = [(pid, v) for pid in paper_ids if (v := self.value(pid)) is not None]
        return sorted(valued, key=lambda item: -item[1])

    def ensure_scored(self, paper_ids: Iterable[str]) -> None:
        """Score now, on the caller's thread, those of `paper_ids` that have no stored score yet."""
        model = self.model
        if model is None:
            return
        for paper_id in paper_ids:
            if paper_id not in self.scores and (paper := self.store.get_paper(paper_id)) is not None:
                self.scores[paper_id] = model.value(doc_from_paper(paper))
                self._to_score.pop(paper_id, None)
                self.generation += 1

    def _want_scores(self, paper_ids: Iterable[str]) -> None:
        self._to_score.update(dict.fromkeys(paper_ids))
        self._scoring.set()

    async def _score_pending(self) -> None:
        while True:
            await self._scoring.wait()
            self._scoring.clear()
            while self._to_score and self.model is not None:
                model = self.model
                chunk = list(self._to_score)[:CHUNK]
                for paper_id in chunk:
                    del self._to_score[paper_id]
                    paper = self.store.get_paper(paper_id)
                    if paper is not None:
                        self.scores.pop(paper_id, None)
                        self.scores[paper_id] = model.value(doc_from_paper(paper))
                while len(self.scores) > KEEP_SCORES:
                    del self.scores[next(iter(self.scores))]
                self.generation += 1
                await asyncio.sleep(0)  # let requests in between chunks

    def score_many(self, paper_ids: Iterable[str]) -> dict[str, Scored]:
        out: dict[str, Scored] = {}
        for paper_id in paper_ids:
            scored = self.score(paper_id)
            if scored is not None:
                out[paper_id] = scored
        return out

    def status(self) -> dict[str, Any]:
        state = "training" if self.training and self.model is None else "off" if self.model is None else "ready"
        if state == "ready" and self.signal_count < signals.ENOUGH_SIGNALS:
            state = "learning"
        return {
            "state": state,
            "signals": self.signal_count,
            "enough_signals": signals.ENOUGH_SIGNALS,
            "trained_at": self.model.trained_at if self.model else None,
            "model_file": str(self.path),
            "message": self.message,
        }

    # ------------------------------------------------------------ training

    def load(self) -> None:
        self.model, message = model_file.load(self.path)
        if message:
            self.message = message
            self.log(message)
        if self.model is not None:
            self.signal_count = int(self.model.counts.get("signals", 0))

    def request_training(self) -> None:
        self._wanted.set()

    def reset(self) -> None:
        """Forget the model (the signals stay: they are the user's saves and dismissals) and learn anew."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.model = None
        self.generation += 1
        self.request_training()

    async def examples(self) -> tuple[list[Example], int]:
        """The training set from the store, and how many of its examples are the user's own signals; read a
        chunk at a time, so requests get in between."""
        found = sorted(signals.signals_of(self.store.user_states()), key=lambda s: (s.at, s.id))
        docs = await self._signal_docs([s.id for s in found])
        out = [Example(docs[s.id], s.label, s.weight) for s in found if s.id in docs]
        out += [Example(doc, 1, signals.RULE) for doc in signals.rule_docs(self.rules())]
        labelled = {s.id for s in found}
        recent = self.store.query(include_dismissed=False, predicate=lambda v: v.id not in labelled, limit=BACKGROUND)
        for start in range(0, len(recent), CHUNK):
            for view in recent[start : start + CHUNK]:
                if (paper := view.paper) is not None:
                    out.append(Example(doc_from_paper(paper), 0, BACKGROUND_WEIGHT))
            await asyncio.sleep(0)
        return out, len(found)

    async def _signal_docs(self, paper_ids: Sequence[str]) -> dict[str, Doc]:
        """The ranker's view of each of `paper_ids`. Kept between retrains: 5,000 saved papers are spread over
        every month's record files, and reading them all took 3-5 s. The rest are read in id order (a record
        file's papers one after another), a chunk at a time; papers no longer a signal are forgotten. (A new
        version's abstract reaches a kept paper's view at the next start.)"""
        wanted = set(paper_ids)
        for gone in self._docs.keys() - wanted:
            del self._docs[gone]
        missing = sorted(wanted - self._docs.keys())
        for start in range(0, len(missing), CHUNK):
            for paper_id in missing[start : start + CHUNK]:
                if (paper := self.store.get_paper(paper_id)) is not None:
                    self._docs[paper_id] = doc_from_paper(paper)
            await asyncio.sleep(0)
        return self._docs

    def _could_learn(self, found: Sequence[signals.Signal]) -> bool:
        """Whether a model could be trained at all: it needs a "for me" example, a rule's words or a signal."""
        return bool(signals.rule_docs(self.rules())) or any(signal.label == 1 for signal in found)

    async def settle(self, signal_ids: Iterable[str]) -> None:
        """Wait out the debounce, reading meanwhile the signal papers not yet kept, so the retrain reads few."""
        await asyncio.gather(asyncio.sleep(self.debounce), self._signal_docs(list(signal_ids)))

    async def train_once(self, child: subprocess.Popen[bytes] | None = None) -> bool:
        """Retrain if what the model learns from changed; `child` is a trainer started ahead (`start_trainer`),
        used or dismissed here."""
        examples, count = await self.examples()
        # A "seen" or a page's badge change announces paper.state too: retrain only when what we learn from moved.
        fingerprint = hash(tuple((e.doc.id, e.label, e.weight) for e in examples if e.weight != BACKGROUND_WEIGHT))
        unchanged = self.model is not None and fingerprint == self._fingerprint
        if unchanged or not any(e.label == 1 for e in examples) or not any(e.label == 0 for e in examples):
            await asyncio.to_thread(_dismiss, child)
            return False
        self.training = True
        try:
            # 8 MB of JSON for 5,000 signals: 0.2 s of CPU the loop need not wait out.
            request = await asyncio.to_thread(encode_request, examples, {"signals": count})
            data = await asyncio.to_thread(_train_in_child, request, child)
            model = Model.from_dict(data)
            await asyncio.to_thread(model_file.save, self.path, data)
        except (ModelError, OSError, subprocess.SubprocessError, orjson.JSONDecodeError) as exc:
            self.message = f"The ranking model could not be trained: {exc}"
            self.log(self.message)
            return False
        finally:
            self.training = False
        self.model, self.signal_count, self.message, self._fingerprint = model, count, None, fingerprint
        # Stored scores came from the old model: work them out again, newest papers first.
        rescore = [view.id for view in self.store.query(include_dismissed=False, limit=2_000)]
        self.scores.clear()
        self.generation += 1
        self._want_scores([*rescore, *self._to_score])
        self.bus.publish("rank.trained", {"signals": count})
        return True

    async def run(self) -> None:
        """Load the model (rebuilding it when missing or unusable), then retrain after each burst of signals."""
        self.load()
        if self.model is None:
            self._wanted.set()
        else:
            self._want_scores(view.id for view in self.store.query(include_dismissed=False, limit=2_000))
        watcher = asyncio.create_task(self._watch(), name="rank-watch")
        scorer = asyncio.create_task(self._score_pending(), name="rank-score")
        try:
            while True:
                await self._wanted.wait()
                found = signals.signals_of(self.store.user_states())
                if not self._could_learn(found):
                    # Nothing says "for me" yet (a new user): no trainer child, no scikit-learn import, no wake-up.
                    self._wanted.clear()
                    continue
                # The trainer starts now and imports scikit-learn while the burst of signals settles.
                child = await asyncio.to_thread(start_trainer)
                try:
                    await self.settle(s.id for s in found)
                    self._wanted.clear()
                    await self.train_once(child)
                finally:
                    if child.poll() is None:  # cancelled before it was used: never leave it behind
                        child.kill()
                        await asyncio.to_thread(child.wait)
        finally:
            for task in (watcher, scorer):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _watch(self) -> None:
        async for event in self.bus.subscribe():
            if event.type == "paper.state":
                self._wanted.set()
            elif event.type == "paper.new" and isinstance(event.data.get("id"), str):
                self._want_scores([event.data["id"]])


def docs_for(store: Store, paper_ids: Iterable[str]) -> list[Doc]:
    return [doc_from_paper(p) for p in map(store.get_paper, paper_ids) if p is not None]
