"""The CLI fits the terminal (issue 17, item 10): `list` and `doctor` wrap between words within the width,
colour only where the terminal shows it, and plurals read right."""

from __future__ import annotations

import json
import re
from pathlib import Path

from papertray.cli.papers import render_list
from papertray.wording import counted

REAL_DAY = Path("/work/shared/fixtures/real/hf_api_daily_papers_2026-06-12.json")
REPO_DAY = Path(__file__).parents[1] / "fixtures" / "hf" / "hf_api_daily_papers_2026-06-12.json"


def real_papers() -> list[dict[str, object]]:
    day = REAL_DAY if REAL_DAY.exists() else REPO_DAY
    entries = json.loads(day.read_text(encoding="utf-8"))
    return [
        {"id": e["paper"]["id"], "title": e["paper"]["title"], "daily_date": "2026-06-12", "state": "new"}
        for e in entries
    ]


def test_i17_10_list_fits_80_columns_without_cutting_a_word() -> None:
    papers = real_papers()
    assert any(len(str(p["title"])) > 50 for p in papers)  # real titles longer than the room left for them
    lines = render_list(papers, 80)
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    words_out = " ".join(lines).split()
    for paper in papers:  # every word of every title arrives whole
        for word in str(paper["title"]).split():
            assert word in words_out, word
    assert lines[-1].startswith(f"{len(papers)} papers")


def test_i17_10_one_paper_is_one_paper() -> None:
    assert render_list(real_papers()[:1], 80)[-1].startswith("1 paper ")
    assert counted(1, "entry", "entries") == "1 entry" and counted(2, "entry", "entries") == "2 entries"


def test_i17_10_no_plural_is_written_by_hand_after_a_number() -> None:
    # "{n} papers" in an f-string says "1 papers" when n is 1; wording.counted is the one way to say a count.
    source = Path(__file__).parents[2] / "daemon" / "papertray" / "cli"
    slips = []
    for module in source.glob("*.py"):
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1):
            found = re.search(r"\{([^{}]*)\} (papers|entries|days|tokens|sessions|signals|checks)\b", line)
            # A format like {span:.1f} or a word like {args.state} is not a whole-number count.
            if found and ":." not in found[1] and "state" not in found[1]:
                slips.append(f"{module.name}:{number}: {line.strip()}")
    assert slips == []
