"""The one list of citation formats: for each, the word `--format` and `?format=` take, how a sentence names it,
the media type and file ending of an export, how it is written, and how it is read when papertray imports it.
The CLI's choices, the API's checks and answers, and the file detection (detect.py) all read this table; a new
format is one row here and one module beside this one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from papertray.citations.bibtex import parse_bibtex, to_bibtex
from papertray.citations.csljson import parse_csljson, to_csljson
from papertray.citations.markdown import to_markdown
from papertray.citations.records import PaperLike, ParseResult
from papertray.citations.ris import to_ris


def to_json(papers: Iterable[dict[str, Any]]) -> str:
    """papertray's own JSON: each paper as the API shows it."""
    return json.dumps(list(papers), ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # the word on the command line and in the API
    label: str  # how a sentence names it
    media_type: str  # the Content-Type of an export
    extension: str  # the ending of an exported file's suggested name
    write: Callable[[Iterable[dict[str, Any]]], str]
    read: Callable[[str], ParseResult] | None = None  # None: papertray exports it but does not import it
    is_json: bool = False  # control characters are kept as \u escapes, not stripped, when written to a terminal


TABLE = {
    f.name: f
    for f in (
        Format("bibtex", "BibTeX", "application/x-bibtex", "bib", to_bibtex, parse_bibtex),
        Format("ris", "RIS", "application/x-research-info-systems", "ris", to_ris),
        Format(
            "csljson", "CSL-JSON", "application/vnd.citationstyles.csl+json", "json", to_csljson, parse_csljson, True
        ),
        Format("markdown", "Markdown", "text/markdown", "md", to_markdown),
        Format("json", "JSON", "application/json", "json", to_json, is_json=True),
    )
}
FORMATS = tuple(TABLE)  # every export format, the default (bibtex) first
IMPORT_FORMATS = tuple(name for name, f in TABLE.items() if f.read is not None)
NAMES = {name: f.label for name, f in TABLE.items()}


def export(papers: Sequence[PaperLike], fmt: str) -> str:
    """The text of `papers` in `fmt` (one of FORMATS). Raises ValueError for an unknown format."""
    if fmt not in TABLE:
        raise ValueError(f"Unknown export format {fmt!r} (choose one of {', '.join(FORMATS)}).")
    return TABLE[fmt].write([p.to_dict() for p in papers])


def parse(text: str, fmt: str) -> ParseResult:
    """`text` read as `fmt` (one of IMPORT_FORMATS). Raises ValueError for a format papertray does not import."""
    read = TABLE[fmt].read if fmt in TABLE else None
    if read is None:
        raise ValueError(f"Unknown import format {fmt!r} (choose {' or '.join(IMPORT_FORMATS)}).")
    return read(text)
