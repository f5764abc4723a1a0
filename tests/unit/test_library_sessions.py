"""Reading-list sessions on disk: idle time counts across restarts, a page in use writes at most every few
minutes, the oldest session gives way past the limit, and a file that cannot be written leaves sessions
working from memory. Real files in a temp dir; the clock is a counter so twelve idle hours take no time."""

from __future__ import annotations

from pathlib import Path

from papertray.api.library_sessions import LAST_USE_WRITE_EVERY, LOGIN_TTL, MAX_SESSIONS, SESSION_IDLE, Sessions


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def open_session(sessions: Sessions) -> str:
    opened = sessions.redeem(sessions.mint_login())
    assert opened is not None
    return opened[0]


def test_idle_time_counts_across_restarts(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "state" / "library-sessions.json"
    sid = open_session(Sessions(path, clock))
    clock.now += SESSION_IDLE - 60
    reopened = Sessions(path, clock)
    assert reopened.get(sid) is not None  # used just now: good for another twelve hours
    clock.now += SESSION_IDLE + 1
    assert Sessions(path, clock).get(sid) is None


def test_a_page_in_use_does_not_write_on_every_request(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "library-sessions.json"
    sessions = Sessions(path, clock)
    sid = open_session(sessions)
    written = path.read_bytes()
    for _ in range(50):
        clock.now += 1
        assert sessions.get(sid) is not None
    assert path.read_bytes() == written
    clock.now += LAST_USE_WRITE_EVERY
    sessions.get(sid)
    assert path.read_bytes() != written


def test_login_links_work_once_and_expire(tmp_path: Path) -> None:
    clock = Clock()
    sessions = Sessions(tmp_path / "s.json", clock)
    once = sessions.mint_login()
    assert sessions.redeem(once) is not None and sessions.redeem(once) is None
    late = sessions.mint_login()
    clock.now += LOGIN_TTL + 1
    assert sessions.redeem(late) is None


def test_past_the_limit_the_least_recently_used_session_gives_way(tmp_path: Path) -> None:
    clock = Clock()
    sessions = Sessions(tmp_path / "s.json", clock)
    first = open_session(sessions)
    second = open_session(sessions)
    for _ in range(MAX_SESSIONS - 2):
        clock.now += 1
        open_session(sessions)
    clock.now += 1
    assert sessions.get(first) is not None  # used lately: the second is now the oldest
    open_session(sessions)
    assert len(sessions) == MAX_SESSIONS
    assert sessions.get(first) is not None and sessions.get(second) is None


def test_an_unwritable_file_leaves_sessions_working_from_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the state folder should be")
    sessions = Sessions(blocked / "library-sessions.json", Clock())
    sid = open_session(sessions)
    assert sessions.get(sid) is not None
