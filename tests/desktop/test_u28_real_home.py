"""Item 28: the browser and desktop tests write nothing into the user's real home.

A child pytest runs one Chromium test, one Firefox test and one desktop test with HOME pointing at a fresh,
empty folder and no XDG_* variables (as in a user's shell); afterwards that folder must still be empty.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.desktop_session import missing_tools
from tests.support.firefox import FIREFOX

REPO = Path(__file__).resolve().parents[2]
TESTS = [
    "tests/browser/test_offline.py::test_popup_says_papertray_is_not_running_and_how_to_start_it",
    "tests/browser_firefox/test_extension.py::test_pairing_through_the_options_page",
    "tests/desktop/test_notifications.py::test_single_match_click_opens_the_paper_and_save_saves_it",
]

pytestmark = [pytest.mark.desktop, pytest.mark.browser]


def test_u28_browser_and_desktop_tests_leave_the_real_home_untouched(tmp_path: Path) -> None:
    if missing_tools() or not shutil.which("chromium") or not FIREFOX.exists():
        pytest.skip("needs Chromium, Firefox ESR and the desktop tools")
    real_home = tmp_path / "real-home"
    real_home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(real_home)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--basetemp", str(tmp_path / "t"), *TESTS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"{len(TESTS)} passed" in result.stdout, result.stdout[-2000:]
    written = sorted(str(p.relative_to(real_home)) for p in real_home.rglob("*"))
    assert written == []
