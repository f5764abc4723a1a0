"""A paper folder's `meta.json`, read with care: its `pdfs` list is the only record of each PDF's sha256, so an
unreadable file (torn, garbage, not an object) is never silently replaced by an empty list. It is kept aside as
`meta.json.corrupt-<stamp>` (atomic.move_aside), the records are rebuilt from the PDFs on disk (the sha256 and size
of each `<key>v<N>.pdf`), and the caller gets one sentence to report.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from papertray.atomic import move_aside
from papertray.timestamps import now_iso

log = logging.getLogger(__name__)

META = "meta.json"
PDF_NAME = re.compile(r"^(?P<key>.+?)(?:v(?P<v>[0-9]+))?\.pdf$")


def pdf_files(folder: Path, key: str) -> list[tuple[int | None, str]]:
    """(version, file name) of every complete PDF in the folder, oldest version first."""
    found: list[tuple[int | None, str]] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        match = PDF_NAME.match(name)
        if match and match["key"] == key:
            found.append((int(match["v"]) if match["v"] else None, name))
    found.sort(key=lambda item: item[0] or 0)
    return found


def read_meta(folder: Path) -> dict[str, Any] | None:
    """The parsed meta.json; {} when there is none; None when there is one that cannot be used. OSError when
    it cannot be read at all (that is not damage: nothing is moved)."""
    try:
        raw = (folder / META).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("pdfs", []), list):
        return None
    return data


def pdf_records(folder: Path, key: str, paper_id: str) -> tuple[list[dict[str, Any]], str | None]:
    """The PDF records of the folder, and a problem sentence when meta.json had to be kept aside and rebuilt."""
    meta = read_meta(folder)
    if meta is not None:
        return [f for f in meta.get("pdfs") or [] if isinstance(f, dict)], None
    kept = move_aside(folder / META)  # OSError: it stays where it is, and nothing is written over it
    records = [_record(folder / name, version) for version, name in pdf_files(folder, key)]
    problem = (
        f"The meta.json of {paper_id} in {folder} was unreadable: papertray kept it as {kept.name} and rebuilt "
        f"the record of its {len(records)} PDF{'' if len(records) == 1 else 's'} from the files."
    )
    log.warning("library meta.json unreadable id=%s kept=%s pdfs=%d", paper_id, kept.name, len(records))
    return records, problem


def sha256_of(path: Path) -> tuple[str, int]:
    """The hex sha256 and the size of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _record(path: Path, version: int | None) -> dict[str, Any]:
    sha, size = sha256_of(path)
    stamp = now_iso("seconds")
    return {"file": path.name, "version": version, "sha256": sha, "bytes": size, "rebuilt_at": stamp}
