"""Markdown, for export: the reading list as a list of links a person reads (papertray does not import it)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from papertray.citations.records import abs_url, year_of

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def _md(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def to_markdown(papers: Iterable[dict[str, Any]]) -> str:
    lines = ["# Reading list", ""]
    for data in papers:
        paper_id = str(data["id"])
        title = _md(data.get("title") or paper_id)
        line = f"- [{title}]({abs_url(paper_id)})"
        authors = [str(a) for a in data.get("authors") or ()]
        if authors:
            shown = ", ".join(authors[:5]) + (" et al." if len(authors) > 5 else "")
            line += f" — {_md(shown)}"
        if year := year_of(data):
            line += f" ({year})"
        if data.get("read"):
            line += " ✓ read"
        lines.append(line)
        if data.get("tags"):
            lines.append(f"  - tags: {_md(', '.join(data['tags']))}")
        for note_line in str(data.get("note") or "").splitlines():
            lines.append(f"  > {_md(note_line)}" if note_line.strip() else "  >")
    return "\n".join(lines) + "\n"
