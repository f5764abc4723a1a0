"""Crash trials in bulk: the same SIGKILL trials as tests/integration/test_store_crash.py, 1000 by default.

    python -m bench.store_crash [--trials 1000] [--seed N]

Prints how many trials ran, how many writes were acknowledged and how many were lost (must be 0), the
trial rate, and the size the store grew to. Numbers only, no assertions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from tests.support.store_driver import CrashHarness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="papertray-crash-"))
    harness = CrashHarness(root / "data", args.seed)
    failures: list[str] = []
    start = time.perf_counter()
    try:
        for index in range(args.trials):
            found = harness.trial(index)
            if found:
                failures.append(f"trial {index}: " + " ".join(found))
    finally:
        harness.close()
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in (root / "data").rglob("*") if p.is_file())
    print(
        f"crash trials: {args.trials} (seed {args.seed}) in {seconds:.1f} s ({args.trials / seconds:.1f}/s); "
        f"acknowledged writes {harness.acked}; acked papers {len(harness.expected.papers)}; "
        f"ids with acked saves {len(harness.expected.notes)}; store {size / 1e6:.1f} MB; "
        f"trials with a loss or a problem: {len(failures)}"
    )
    for line in failures[:20]:
        print("  " + line)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
