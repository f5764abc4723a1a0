"""Crash safety: a real writer process (tests/support/store_driver.py, using the real Store) polls and saves
until it is killed with SIGKILL at a random moment; after each kill the store must open without a problem and
hold every write the writer acknowledged. `bench/store_crash.py` runs the same trials in larger numbers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.store_driver import CrashHarness

TRIALS = int(os.environ.get("PAPERTRAY_CRASH_TRIALS", "200"))


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[CrashHarness]:
    h = CrashHarness(tmp_path / "data", seed=int.from_bytes(os.urandom(4), "big"))
    yield h
    h.close()


def test_every_acknowledged_write_survives_sigkill(harness: CrashHarness) -> None:
    for index in range(TRIALS):
        found = harness.trial(index)
        assert found == [], f"trial {index} (harness seed {harness.seed}): " + " ".join(found)
    # The trials must have exercised something: writes were acknowledged and polls landed.
    assert harness.acked > TRIALS
    assert len(harness.expected.papers) > 100


def test_A_every_acknowledged_write_survives_sigkill_and_then_the_loss_of_user_json(harness: CrashHarness) -> None:
    for index in range(TRIALS // 2):
        found = harness.trial(index, lose_main=True)
        assert found == [], f"trial {index} (harness seed {harness.seed}): " + " ".join(found)
    assert harness.acked > TRIALS // 2
