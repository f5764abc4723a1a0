"""PDF → text for the index, with pypdf (pure Python, well kept; imported only here, on the PDF worker thread)."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

MAX_PAGES = 200  # a thesis or a book: the first 200 pages say what it is about


def extract(path: Path) -> str | None:
    """The text of a PDF, or None when it cannot be read (a damaged or encrypted file is not indexed)."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(path)
        parts = []
        for page in reader.pages[:MAX_PAGES]:
            parts.append(page.extract_text() or "")
        return "\n".join(parts)
    except Exception as exc:  # pypdf raises many kinds on hostile files; none may reach the daemon
        log.warning("pdf text not extracted path=%s error=%s", path.name, type(exc).__name__)
        return None
