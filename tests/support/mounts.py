"""A real small filesystem for full-disk and read-only tests: a tmpfs, where the test runs as root and may mount."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def try_mount(target: Path, options: str) -> bool:
    # PAPERTRAY_TEST_NO_MOUNT=1 exercises the fallbacks on a machine that could mount.
    if os.geteuid() != 0 or os.environ.get("PAPERTRAY_TEST_NO_MOUNT"):
        return False
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True)
    return done.returncode == 0


def remount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(target)], check=True, capture_output=True)


def umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], capture_output=True)
