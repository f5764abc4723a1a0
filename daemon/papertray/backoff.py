"""How long to wait before trying again: the one backoff formula the poller and the reading list share.

The wait doubles from `base` with every consecutive failure up to `cap` (`ceiling`). The poller draws its
delay from the ceiling's upper half ("equal jitter", `backoff_delay`) so many clients do not retry together;
the reading list waits the ceiling itself (its retries are per paper, already spread out by the queue).
"""

from __future__ import annotations

import random
from collections.abc import Callable

RETRY_BASE_SECONDS = 60.0
BACKOFF_CAP_SECONDS = 6 * 3600.0
INTERVAL_JITTER = 0.1


def ceiling(failures: int, *, base: float, cap: float) -> float:
    """The longest wait after `failures` consecutive failures: `base`, doubled per further failure, at most `cap`."""
    if failures <= 0:
        return 0.0
    return min(cap, base * 2.0 ** min(failures - 1, 60))


def backoff_delay(
    errors: int,
    *,
    base: float = RETRY_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds before the next try after `errors` consecutive failed polls: drawn from the upper half of the
    `ceiling` ("equal jitter") so many clients do not retry together."""
    top = ceiling(errors, base=base, cap=cap)
    return top / 2.0 + rand() * top / 2.0


def jittered(interval: float, *, spread: float = INTERVAL_JITTER, rand: Callable[[], float] = random.random) -> float:
    """`interval` moved by up to ±`spread` of itself, so polls from many machines do not line up."""
    return interval * (1.0 - spread + 2.0 * spread * rand())
