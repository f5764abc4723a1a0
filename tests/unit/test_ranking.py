"""The "for you" ranking (issue 14): features, explanations, signals, the model file, and the ranker on a real
store in a temp folder (training in a real child process with scikit-learn)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import orjson
import pytest

from papertray.config import Rule
from papertray.events import EventBus
from papertray.models import Paper, PaperState
from papertray.ranking import features as feat
from papertray.ranking import model_file, signals
from papertray.ranking.scorer import Model
from papertray.ranking.service import BACKGROUND, Ranker
from papertray.ranking.trainer import BACKGROUND_WEIGHT, Example, train
from papertray.store import Store

INTERP = "Sparse autoencoders find interpretable circuits in language model activations"
VISION = "Diffusion models for image segmentation of medical scans"


def doc(pid: str, title: str, authors: tuple[str, ...] = ("Ann Author",), cats: tuple[str, ...] = ()) -> feat.Doc:
    return feat.Doc(id=pid, title=title, abstract=title + ". We evaluate it.", authors=authors, categories=cats)


def test_14_features_name_words_phrases_authors_categories_and_keywords() -> None:
    d = feat.Doc(
        id="2501.00001",
        title="Sparse Autoencoders for $x^2$ the Circuits",
        abstract="We propose 3 sparse-autoencoders.",
        authors=("Chris Olah",),
        categories=("cs.LG",),
        keywords=("Mechanistic Interpretability",),
    )
    got = feat.features(d)
    assert "w:sparse autoencoders" in got and "w:circuits" in got and "w:sparse-autoencoders" in got
    assert got.count("w:sparse") == 2  # the title counts twice
    assert {"a:chris olah", "c:cs.LG", "k:mechanistic interpretability"} <= set(got)
    # stop words, numbers and LaTeX math say nothing about a topic
    assert not {"w:the", "w:we", "w:propose", "w:x", "w:3"} & set(got)


def small_model() -> Model:
    examples = [Example(doc(f"p{i}", INTERP + f" variant {i}", ("Chris Olah",)), 1, 1.0) for i in range(4)]
    examples += [Example(doc(f"n{i}", VISION + f" variant {i}", ("Vic Vision",)), 0, 1.0) for i in range(4)]
    return Model.from_dict(train(examples))


def test_14_a_score_is_explained_by_the_features_that_moved_it_with_sign() -> None:
    model = small_model()
    liked = model.score(doc("x1", "Sparse autoencoders and circuits", ("Chris Olah",)))
    disliked = model.score(doc("x2", "Diffusion models for image segmentation", ("Vic Vision",)))
    assert liked.score > disliked.score
    assert liked.reasons and all(r.weight > 0 for r in liked.reasons[:2])
    assert {r.text for r in liked.reasons} & {"sparse autoencoders", "circuits", "chris olah", "sparse"}
    assert disliked.reasons[0].weight < 0
    assert liked.short().startswith("for you: ")
    assert disliked.short() == ""  # nothing pulled it up: no "for you" line
    assert [s.id for s in model.rank([doc("x2", VISION), doc("x1", INTERP)])] == ["x1", "x2"]


def test_14_seen_is_not_a_signal_and_the_latest_word_wins() -> None:
    assert signals.signal_of(PaperState("a", seen_at="2026-01-01T00:00:00Z")) is None
    saved = signals.signal_of(PaperState("b", saved_at="2026-01-01T00:00:00Z"))
    assert saved is not None and saved.label == 1
    regretted = signals.signal_of(PaperState("c", saved_at="2026-01-01T00:00:00Z", dismissed_at="2026-01-02T00:00:00Z"))
    assert regretted is not None and regretted.label == 0
    changed_mind = signals.signal_of(PaperState("d", dismissed_at="2026-01-01T00:00:00Z", read_at="2026-01-03"))
    assert changed_mind is not None and changed_mind.label == 1
    tagged = signals.signal_of(PaperState("e", tags=("later",)))
    assert tagged is not None and tagged.label == 1
    both = signals.signal_of(PaperState("f", saved_at="2026-01-01", read_at="2026-01-02", note="good"))
    assert both is not None and saved is not None and both.weight > saved.weight


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"format": "papertray-rank", "version": 999}', b'{"format": "papertray-rank", "version": 1}'],
)
def test_14_a_corrupt_or_other_version_model_file_is_set_aside_with_a_message(tmp_path: Path, content: bytes) -> None:
    path = model_file.path_in(tmp_path)
    path.write_bytes(content)
    model, message = model_file.load(path)
    assert model is None and message is not None
    assert "rebuilt from your signals" in message and "\n" not in message
    assert not path.exists()
    kept = list(tmp_path.glob("rank-model.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content  # the user's file is kept, not deleted


def stored(pid: str, title: str, day: str, authors: tuple[str, ...] = ("Ann Author",)) -> Paper:
    return Paper(id=pid, version=1, title=title, summary=title + ". Details follow.", authors=authors, daily_date=day)


async def test_14_ranker_learns_from_the_stores_signals_and_rebuilds_a_corrupt_model(tmp_path: Path) -> None:
    bus = EventBus()
    store = Store.open(tmp_path / "data", bus)
    try:
        past = [stored(f"2601.{i:05d}", INTERP + f" {i}", "2026-01-05", ("Chris Olah",)) for i in range(1, 4)]
        past += [stored(f"2601.{i:05d}", VISION + f" {i}", "2026-01-05") for i in range(4, 7)]
        past += [stored(f"2601.{i:05d}", f"Quantum error correction codes {i}", "2026-01-05") for i in range(7, 9)]
        today = [stored("2601.00100", VISION + " today", "2026-01-06"), stored("2601.00101", INTERP, "2026-01-06")]
        await store.add_papers(past + today)
        for p in past[:3]:
            await store.update_state(p.id, saved=True)
        for p in past[3:6]:
            await store.update_state(p.id, dismissed=True)
        await store.update_state(past[6].id, seen=True)
        ranker = Ranker(store, bus, lambda: (), tmp_path / "data", log=lambda _m: None)
        _examples, count = await ranker.examples()
        assert count == 6  # the seen paper is no signal
        assert await ranker.train_once()
        assert ranker.status()["state"] == "learning" and ranker.status()["signals"] == 6
        first = ranker.score_many(p.id for p in today)
        assert first["2601.00101"].score > first["2601.00100"].score

        # a restart scores the same from the file; a corrupt file is set aside and rebuilt from the signals
        again = Ranker(store, bus, lambda: (), tmp_path / "data", log=lambda _m: None)
        again.load()
        assert again.score_many(p.id for p in today) == first
        model_file.path_in(tmp_path / "data").write_bytes(b"\x00garbage")
        messages: list[str] = []
        broken = Ranker(store, bus, lambda: (), tmp_path / "data", log=messages.append)
        broken.load()
        assert broken.model is None and len(messages) == 1 and "set aside" in messages[0]
        assert await broken.train_once()
        assert orjson.loads(model_file.path_in(tmp_path / "data").read_bytes())["format"] == "papertray-rank"
        rebuilt = broken.score_many(p.id for p in today)
        assert rebuilt["2601.00101"].score > rebuilt["2601.00100"].score
    finally:
        await store.close()


async def test_14_the_background_is_the_newest_few_hundred_papers_however_many_signals_there_are(
    tmp_path: Path,
) -> None:
    """The weak negatives are the newest BACKGROUND papers the user did nothing with, as the benchmark trains.
    They grew with every signal (the newest 400 + one per save), so a user with many saves got a model trained
    on thousands of background papers, and a retrain read them all."""
    bus = EventBus()
    store = Store.open(tmp_path / "data", bus)
    try:
        saved = [stored(f"2501.{i:05d}", INTERP + f" {i}", "2025-01-05", ("Chris Olah",)) for i in range(1, 301)]
        recent = [stored(f"2601.{i:05d}", VISION + f" {i}", "2026-01-06") for i in range(1, 1001)]
        await store.add_papers(saved + recent)
        for p in saved:
            await store.update_state(p.id, saved=True)
        ranker = Ranker(store, bus, lambda: (), tmp_path / "data", log=lambda _m: None)
        examples, count = await ranker.examples()
        background = [e.doc.id for e in examples if e.weight == BACKGROUND_WEIGHT]
        assert count == 300 and len(examples) == 300 + BACKGROUND
        assert background == [p.id for p in sorted(recent, key=lambda p: p.id, reverse=True)][:BACKGROUND]
    finally:
        await store.close()


async def test_14_cold_start_from_the_rules_keywords_before_any_signal(tmp_path: Path) -> None:
    bus = EventBus()
    store = Store.open(tmp_path / "data", bus)
    try:
        await store.add_papers(
            [stored(f"2601.{i:05d}", t, "2026-01-06") for i, t in enumerate([VISION, INTERP, "Graph theory bounds"], 1)]
        )
        rules = (Rule(name="interp", keywords=("sparse autoencoders", "circuits")),)
        ranker = Ranker(store, bus, lambda: rules, tmp_path / "data", log=lambda _m: None)
        assert await ranker.train_once()
        scores = ranker.score_many(["2601.00001", "2601.00002", "2601.00003"])
        assert max(scores.values(), key=lambda s: s.score).id == "2601.00002"
        assert ranker.status()["state"] == "learning"
    finally:
        await store.close()


def test_14_eval_replays_history_and_measures_where_later_saves_landed() -> None:
    from papertray.ranking.replay import replay

    def record(pid: str, day: str, title: str, **state: object) -> dict[str, object]:
        return {"id": pid, "title": title, "summary": title, "authors": [], "daily_date": day, **state}

    records = [
        record("2601.00001", "2026-01-05", INTERP, saved_at="2026-01-05T09:00:00Z"),
        record("2601.00002", "2026-01-05", VISION, dismissed=True),
        record("2601.00003", "2026-01-05", "Graph colouring bounds"),
    ] + [record(f"2601.{i:05d}", "2026-01-06", f"{VISION} {i}") for i in range(10, 40)]
    records.append(record("2601.00005", "2026-01-06", INTERP + " again", saved_at="2026-01-06T09:00:00Z"))
    tallies, days = replay(records, (), train)
    assert days == 1  # the first day has nothing before it to learn from
    assert tallies["papertray"].means() == (0.1, 1.0)  # the later save is first of 31
    assert tallies["recency"].means()[1] == 0.0  # the oldest id of the day: last when newest come first
    assert tallies["rules"].means()[1] == 0.0  # no rules: the rules alone order it like recency


async def test_14_the_daemons_ranker_stores_scores_for_new_papers_and_after_each_retrain(tmp_path: Path) -> None:
    import asyncio

    bus = EventBus()
    store = Store.open(tmp_path / "data", bus)
    ranker = Ranker(store, bus, lambda: (), tmp_path / "data", log=lambda _m: None, debounce=0.01)
    task = asyncio.create_task(ranker.run())
    try:
        await asyncio.sleep(0)
        past = [stored(f"2601.{i:05d}", INTERP + f" {i}", "2026-01-05") for i in range(1, 3)]
        past += [stored(f"2601.{i:05d}", VISION + f" {i}", "2026-01-05") for i in range(3, 5)]
        await store.add_papers(past)
        await store.update_states(
            {p.id: {"saved": True} for p in past[:2]} | {p.id: {"dismissed": True} for p in past[2:]}
        )
        for _ in range(600):  # the child process trains: give it up to a minute on a busy machine
            if ranker.model is not None:
                break
            await asyncio.sleep(0.1)
        assert ranker.model is not None
        later = [stored("2601.00100", VISION + " later", "2026-01-06"), stored("2601.00101", INTERP, "2026-01-06")]
        await store.add_papers(later)  # announced as paper.new: scored once, in the background
        for _ in range(100):
            if {"2601.00100", "2601.00101"} <= ranker.scores.keys():
                break
            await asyncio.sleep(0.01)
        assert {"2601.00100", "2601.00101"} <= ranker.scores.keys()
        assert [pid for pid, _ in ranker.rank_ids(["2601.00100", "2601.00101"])] == ["2601.00101", "2601.00100"]
        live = ranker.score("2601.00101")
        assert live is not None and ranker.scores["2601.00101"] == pytest.approx(live.score)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await store.close()


def test_i14_4_a_stored_papers_categories_are_features_and_move_its_score() -> None:
    robot = Paper(id="2501.00001", title="Learning policies", summary="A study.", categories=("cs.RO", "cs.LG"))
    assert {"c:cs.RO", "c:cs.LG"} <= set(feat.features(feat.doc_from_paper(robot)))
    examples = [Example(doc(f"p{i}", f"Learning topic {i}", cats=("cs.RO",)), 1, 1.0) for i in range(4)]
    examples += [Example(doc(f"n{i}", f"Learning topic {i}", cats=("math.CO",)), 0, 1.0) for i in range(4)]
    model = Model.from_dict(train(examples))
    combinatorics = Paper(id="2501.00002", title="Learning policies", summary="A study.", categories=("math.CO",))
    up, down = (model.score(feat.doc_from_paper(p)) for p in (robot, combinatorics))
    assert up.score > down.score  # the same words; only the arXiv category differs
    assert "cs.RO" in up.short()


def test_i14_5_a_trainer_started_ahead_trains_when_sent_examples_and_exits_quietly_when_not() -> None:
    from papertray.ranking.service import _dismiss, _train_in_child, start_trainer
    from papertray.ranking.trainer import encode_request

    examples = [Example(doc(f"p{i}", INTERP + f" {i}"), 1, 1.0) for i in range(3)]
    examples += [Example(doc(f"n{i}", VISION + f" {i}"), 0, 1.0) for i in range(3)]
    ahead = start_trainer()  # as the ranker does at a burst's first signal
    model = Model.from_dict(_train_in_child(encode_request(examples, {"signals": 6}), ahead))
    assert ahead.returncode == 0 and model.counts == {"signals": 6}
    idle = start_trainer()
    _dismiss(idle)  # nothing to learn after all: the child exits on its own, nothing is left running
    assert idle.returncode == 0
