"""papertray.log as written by `setup_logging` (real rotating files in a temp home; the guard's clock is a test
clock): a record is one line whatever its arguments hold, and a flood of one message keeps the log's history."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from papertray.config import Paths
from papertray.log_guard import BURST, REFILL_SECONDS
from papertray.logs import setup_logging

RECORD_START = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ ")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[tuple[Path, Clock]]:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(tmp_path / "home")})
    clock = Clock()
    # setup_logging configures the process's loggers: put back what it changes, so later tests (caplog among them)
    # see the logging they started with.
    root, access = logging.getLogger(), logging.getLogger("aiohttp.access")
    before = (list(root.handlers), root.level, access.level)
    setup_logging(paths, clock=clock)
    try:
        yield paths.log_dir, clock
    finally:
        handlers, root_level, access_level = before
        for handler in list(root.handlers):
            root.removeHandler(handler)
            if handler not in handlers:
                handler.close()
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(root_level)
        access.setLevel(access_level)


def lines(log_dir: Path) -> list[str]:
    return (log_dir / "papertray.log").read_text(encoding="utf-8").splitlines()


def test_s11_outside_text_cannot_forge_a_line_or_reach_the_terminal(logged: tuple[Path, Clock]) -> None:
    log_dir, _clock = logged
    forged = "/pdf/2511.00001\n2026-12-01 17:00:00,000 INFO papertray.api token revoked name=extension"
    logging.getLogger("papertray.library").warning("redirected to path=%s", forged)
    logging.getLogger("papertray.poller").info("poll failed error=%s", "\x1b]0;pwned\x07\x1b[2J\r\u202eok")
    try:
        raise OSError("bad\nINFO forged from a traceback")
    except OSError:
        logging.getLogger("papertray.app").exception("step failed")
    written = lines(log_dir)
    assert all(RECORD_START.match(line) or line.startswith("    ") for line in written), written
    assert sum(bool(RECORD_START.match(line)) for line in written) == 3
    assert "path=/pdf/2511.00001\\n2026-12-01 17:00:00,000 INFO papertray.api token revoked" in written[0]
    assert "error=\\x1b]0;pwned\\x07\\x1b[2J\\r\\u202eok" in written[1]
    text = "\n".join(written)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text)


def test_s11_a_flood_of_one_message_keeps_the_rotated_history(logged: tuple[Path, Clock]) -> None:
    log_dir, clock = logged
    server = logging.getLogger("aiohttp.server")
    for n in range(30_000):
        try:
            raise OSError(24, "Too many open files")
        except OSError:
            server.exception("Error handling request from %s", f"127.0.0.{n % 200}")
    logging.getLogger("papertray.poller").info("poll done source=hf")  # other records still pass
    assert not (log_dir / "papertray.log.1").exists()  # nothing rotated away
    written = lines(log_dir)
    assert sum("Error handling request" in line for line in written) == BURST
    assert written[-1].endswith("INFO papertray.poller poll done source=hf")

    clock.now += REFILL_SECONDS  # a minute later the flood still goes on: one line, and what was left out
    server.error("Error handling request from %s", "127.0.0.9")
    summary, again = lines(log_dir)[-2:]
    assert f"the same message came {30_000 - BURST} more times in 60 s and was not written" in summary
    assert "ERROR aiohttp.server" in summary and "Error handling request from %s" in summary
    assert again.endswith("Error handling request from 127.0.0.9")
