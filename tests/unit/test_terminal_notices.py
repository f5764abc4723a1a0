"""The lines `papertray run` prints in a terminal (item 22): once per distinct problem, again when it changes
or clears; a server's control characters never reach the terminal."""

from __future__ import annotations

from papertray.terminal import TerminalNotices


def test_u22_a_problem_is_said_once_per_distinct_sentence_and_when_it_clears() -> None:
    said: list[str] = []
    notices = TerminalNotices(said.append)
    for day in ("2026-12-01", "2026-11-30"):  # offline: each poll names other days, the problem is the same
        notices.feed("poll.error", {"error": f"Cannot reach huggingface.co for {day} (DNS).", "next_poll_at": None})
    notices.feed("poll.error", {"error": "huggingface.co answered 503 for 2026-12-01.", "next_poll_at": None})
    notices.feed("poll.done", {"error": None})
    notices.feed("poll.done", {"error": None})
    notices.feed("config.error", {"error": "bad \x1b]0;title\x07 edit"})
    notices.feed("config.error", {"error": "bad \x1b]0;title\x07 edit"})
    notices.feed("config.reloaded", {"path": "/x/config.toml"})
    assert said == [
        "papertray: Polling failed: Cannot reach huggingface.co for 2026-12-01 (DNS).",
        "papertray: Polling failed: huggingface.co answered 503 for 2026-12-01.",
        "papertray: Polling works again.",
        "papertray: Config edit refused, the previous config stays: bad  edit",
        "papertray: Config fixed and applied: /x/config.toml",
    ]


def test_u22_the_next_try_is_given_in_local_time() -> None:
    said: list[str] = []
    TerminalNotices(said.append).feed("poll.error", {"error": "Offline.", "next_poll_at": "2026-12-01T10:00:00Z"})
    assert said[0].startswith("papertray: Polling failed: Offline. Next try at ")
