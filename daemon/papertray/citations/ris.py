"""RIS, for export: the tagged lines EndNote, Mendeley and Zotero read (papertray does not import RIS)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from papertray.citations.records import abs_url, arxiv_doi, year_of

RECORD_LINE = re.compile(r"^TY  - ", re.MULTILINE)  # how a RIS record starts: what tells a RIS file apart


def _ris_line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(value.split())}"


def to_ris(papers: Iterable[dict[str, Any]]) -> str:
    records = []
    for data in papers:
        paper_id = str(data["id"])
        lines = [_ris_line("TY", "GEN")]
        if data.get("title"):
            lines.append(_ris_line("TI", data["title"]))
        for author in data.get("authors") or ():
            parts = str(author).split()
            lines.append(_ris_line("AU", f"{parts[-1]}, {' '.join(parts[:-1])}" if len(parts) > 1 else str(author)))
        if year := year_of(data):
            lines.append(_ris_line("PY", year))
        if data.get("summary"):
            lines.append(_ris_line("AB", data["summary"]))
        lines += [
            _ris_line("UR", abs_url(paper_id)),
            _ris_line("DO", arxiv_doi(paper_id)),
            _ris_line("PB", "arXiv"),
        ]
        lines.append(_ris_line("M1", f"arXiv:{paper_id}"))
        lines += [_ris_line("KW", tag) for tag in data.get("tags") or ()]
        if data.get("note"):
            lines.append(_ris_line("N1", data["note"]))
        lines.append("ER  - ")
        records.append("\n".join(lines))
    return "\n\n".join(records) + ("\n" if records else "")
