"""`papertray import FILE`: BibTeX or CSL-JSON into the reading list, with a progress bar and a report of what was
changed or skipped, and why.

The file's format is read from its content (then its name); a file that is neither is refused in one sentence
(exit 1) instead of "Imported 0 papers". Records are checked here against the rules for tags and notes
(`user_fields`) before they are sent, so that no request is refused for one oversized record; the daemon checks
them again (it is the one that knows each paper's current tags) and reports what it changed too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Protocol

from papertray import citation_formats, citations, user_fields
from papertray.client import DaemonClient
from papertray.config import Paths
from papertray.errors import PapertrayError
from papertray.wording import counted


class Output(Protocol):
    def out(self, text: str = "") -> None: ...


def cmd_import(args: argparse.Namespace, paths: Paths, console: Output) -> int:
    from tqdm import tqdm

    source = Path(args.file)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PapertrayError(f"Could not read {source} ({getattr(exc, 'strerror', None) or exc}).") from None
    fmt = citation_formats.import_format(source, text, args.format)
    parsed = citations.parse(text, fmt)
    if parsed.problem is not None:
        name = citation_formats.NAMES[fmt]
        raise PapertrayError(f"{source.name} cannot be imported as {name}: {parsed.problem}")
    checked = user_fields.check_import(parsed.entries, lambda _paper_id: ())
    skipped = [(s.label, s.reason) for s in [*parsed.skipped, *checked.skipped]]
    adjusted = [(a.label, a.reason) for a in checked.adjusted]
    client = DaemonClient.connect(paths)
    imported = already = 0
    with tqdm(total=len(checked.entries), unit="paper", desc="import", file=sys.stderr, dynamic_ncols=True) as bar:
        for count, document in citations.csljson_chunks(checked.entries):
            report = client.post("import", {"format": "csljson", "content": document})
            imported += int(report.get("imported", 0))
            already += int(report.get("already_saved", 0))
            skipped += [(s["label"], s["reason"]) for s in report.get("skipped", ())]
            adjusted += [(a["label"], a["change"]) for a in report.get("adjusted", ())]
            bar.update(count)
    there = counted(already, "was", "were")
    console.out(f"Imported {counted(imported, 'paper')} into the reading list; {there} already there.")
    if adjusted:
        console.out(f"Changed {counted(len(adjusted), 'record')} to fit papertray's rules for tags:")
        for label, change in adjusted:
            console.out(f"  {label}: {change}")
    if skipped:
        console.out(f"Skipped {counted(len(skipped), 'record')}:")
        for label, reason in skipped:
            console.out(f"  {label}: {reason}")
    return 0
