"""Where the suite's screenshots go. The tests that take them check each picture for what it must show; they
write into docs/screenshots/ (the README's pictures) only under `make screenshots`
(PAPERTRAY_SCREENSHOTS=docs), so an ordinary test run leaves the working tree clean."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot_path(name: str) -> Path:
    folder = (
        DOCS if os.environ.get("PAPERTRAY_SCREENSHOTS") == "docs" else Path(tempfile.gettempdir()) / "papertray-shots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
