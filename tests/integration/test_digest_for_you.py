"""Issue 15 with issue 14: the digest's "For you" group and the "my matches" feed hold the ranking's top papers
of the day, each with the ranking's short why -- a real store, a real ranker trained in its child process from
saves and dismissals, and the DigestService built as the daemon builds it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser

from papertray.config import Paths, parse_config
from papertray.digest.email_message import html_body, text_body
from papertray.digest.ranked import ranked_items
from papertray.digest.service import DigestService
from papertray.events import EventBus
from papertray.models import Paper
from papertray.ranking.service import Ranker
from papertray.store import Store

PAST, TODAY = "2026-03-01", "2026-03-02"
INTERP = "Sparse autoencoders reveal interpretable circuits in transformer language models"
VISION = "Diffusion models for semantic segmentation of street scenes"
RULES = '[[rules]]\nname = "quantum"\nkeywords = ["quantum error correction"]\n'


def paper(pid: str, title: str, day: str, author: str) -> Paper:
    return Paper(id=pid, version=1, title=title, summary=f"{title}. We study it.", authors=(author,), daily_date=day)


async def test_i15_1_the_digest_for_you_group_and_the_matches_feed_hold_the_days_top_ranked(tmp_path: Path) -> None:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(tmp_path / "home")})
    paths.ensure()
    bus = EventBus()
    store = Store.open(paths.data_dir, bus)
    try:
        past = [paper(f"2603.{i:05d}", f"{INTERP} {i}", PAST, "Chris Olah") for i in range(1, 13)]
        past += [paper(f"2603.{i:05d}", f"{VISION} {i}", PAST, "Vic Vision") for i in range(13, 25)]
        today = [paper(f"2603.{i:05d}", f"{VISION} part {i}", TODAY, "Vic Vision") for i in range(101, 109)]
        today += [paper("2603.00109", "Quantum error correction with surface codes", TODAY, "Q. Bit")]
        today += [paper("2603.00110", f"{INTERP} at scale", TODAY, "Chris Olah")]
        await store.add_papers(past + today)
        await store.update_states(
            {p.id: {"saved": True} for p in past[:10]} | {p.id: {"dismissed": True} for p in past[12:22]}
        )
        config = parse_config(RULES, paths.config_file, paths, env={})
        ranker = Ranker(store, bus, lambda: config.rules, paths.data_dir, log=lambda _m: None)
        digests = DigestService(lambda: config, store, bus, ranked=ranked_items(ranker.standings))
        empty = digests.scheduler.digest(digests.scheduler.record(), datetime(2026, 3, 2, 9, 0).astimezone())
        assert [name for name, _ in empty.groups] == ["Rule matches", "Trending you have not seen"]  # nothing learned

        assert await ranker.train_once() and ranker.status()["state"] == "ready"
        ranker.ensure_scored(p.id for p in past + today)
        digest = digests.scheduler.digest(digests.scheduler.record(), datetime(2026, 3, 2, 9, 0).astimezone())
        groups = {name: items for name, items in digest.groups}
        assert [i.paper.id for i in groups["Rule matches"]] == ["2603.00109"]
        for_you = groups["For you"]
        assert [i.paper.id for i in for_you] == ["2603.00110"]  # today's top fifth (2 of 10), minus the rule match
        assert for_you[0].why[0].startswith("for you: ")
        html, text = html_body(digest), text_body(digest)
        assert "For you" in html and for_you[0].why[0] in html and for_you[0].why[0] in text

        await digests.write_feeds()
        feed: Any = feedparser.parse((paths.data_dir / "feeds" / "matches.atom").read_bytes())
        ids = [e.link for e in feed.entries]
        assert any("2603.00110" in link for link in ids) and any("2603.00109" in link for link in ids)
        entry = next(e for e in feed.entries if "2603.00110" in e.link)
        assert "for you: " in entry.summary or "for you: " in entry.get("content", [{}])[0].get("value", "")
    finally:
        await store.close()
