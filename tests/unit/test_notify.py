"""The pure parts of notifications: quiet hours, and what a coalesced notification says."""

from __future__ import annotations

from datetime import datetime, time

from papertray.models import Paper
from papertray.notify import in_quiet_hours, parse_quiet_hours
from papertray.notify_text import Hit, compose, rule_counts, top_hit
from papertray.rules import RuleMatch


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 26, hour, minute).astimezone()


def hit(n: int, title: str, *rules: str, upvotes: int = 0) -> Hit:
    matches = tuple(RuleMatch(rule=r, notify=True, reasons=(f'"{r}" in title',)) for r in rules)
    return Hit(Paper(id=f"2511.{n:05d}", title=title, upvotes=upvotes), matches)


def test_quiet_hours_wrapping_midnight() -> None:
    quiet = parse_quiet_hours("22:00-07:00")
    assert quiet == (time(22, 0), time(7, 0))
    assert [in_quiet_hours(at(h), quiet) for h in (21, 22, 23, 0, 6)] == [False, True, True, True, True]
    assert not in_quiet_hours(at(7), quiet)
    assert in_quiet_hours(at(6, 59), quiet)


def test_quiet_hours_within_a_day_and_disabled() -> None:
    quiet = parse_quiet_hours("12:30-14:00")
    assert [in_quiet_hours(at(h, m), quiet) for h, m in ((12, 29), (12, 30), (13, 59), (14, 0))] == [
        False,
        True,
        True,
        False,
    ]
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours("08:00-08:00") is None
    assert not in_quiet_hours(at(3), None)


def test_one_paper_names_the_rule_and_why() -> None:
    title, body = compose([hit(1, "Sparse autoencoders at scale", "sae-watch")], ["sae-watch"])
    assert title == "New paper — sae-watch"
    assert body == 'Sparse autoencoders at scale\nsae-watch: "sae-watch" in title'


def test_several_papers_are_coalesced_with_counts_per_rule() -> None:
    hits = [
        hit(1, "A", "sae-watch", upvotes=3),
        hit(2, "B", "Yann LeCun", upvotes=50),
        hit(3, "C", "sae-watch", upvotes=10),
        hit(4, "D", "sae-watch", "Yann LeCun", upvotes=1),
        hit(5, "E", "robots"),
    ]
    title, body = compose(hits, ["Yann LeCun", "robots", "sae-watch"])
    assert title == "5 new papers — sae-watch: 3, Yann LeCun: 2, robots: 1"
    # The most upvoted first, three at most.
    assert body.splitlines() == ["• B (Yann LeCun)", "• C (sae-watch)", "• A (sae-watch)", "and 2 more"]
    held_title, _ = compose(hits[:1], ["sae-watch"], held=True)
    assert held_title == "1 new paper held back — sae-watch: 1"


def test_rule_counts_ties_follow_config_order() -> None:
    assert rule_counts([["b"], ["a"]], ["a", "b"]) == [("a", 1), ("b", 1)]
    assert rule_counts([["b"], ["a"], ["b", "b"]], ["a", "b"]) == [("b", 2), ("a", 1)]


def test_top_hit_is_the_most_upvoted_then_most_rules_then_first() -> None:
    assert top_hit([hit(1, "A", "x", upvotes=1), hit(2, "B", "x", upvotes=9)]).paper.id == "2511.00002"
    assert top_hit([hit(1, "A", "x"), hit(2, "B", "x", "y")]).paper.id == "2511.00002"
    assert top_hit([hit(1, "A", "x"), hit(2, "B", "x")]).paper.id == "2511.00001"


def test_i17_1_what_a_poll_says_about_its_matches() -> None:
    from papertray.notify_text import matched_sentence

    assert matched_sentence(2, None, True) == "2 matched, notified"
    assert matched_sentence(2, "held back (quiet hours)", True) == "2 matched, not notified: held back (quiet hours)"
    assert matched_sentence(0, None, True) == "none matched your rules"
    assert "no rules yet" in matched_sentence(0, None, False)


def test_i14_2_a_top_ranked_paper_says_for_you_and_why_beside_rule_matches() -> None:
    ranked = Hit(Paper(id="2511.00009", title="Circuits at scale"), (), "for you: circuits, chris olah")
    title, body = compose([ranked], ["sae-watch"])
    assert (title, body) == ("New paper — for you", "Circuits at scale\nfor you: circuits, chris olah")
    both = Hit(hit(1, "SAE", "sae-watch").paper, hit(1, "SAE", "sae-watch").matches, "for you: sparse")
    title, body = compose([both], ["sae-watch"])
    assert title == "New paper — sae-watch" and body == 'SAE\nsae-watch: "sae-watch" in title; for you: sparse'
    title, body = compose([hit(2, "B", "sae-watch", upvotes=5), ranked], ["sae-watch"])
    assert title == "2 new papers — sae-watch: 1, for you: 1"
    assert body.splitlines() == ["• B (sae-watch)", "• Circuits at scale (for you: circuits, chris olah)"]
