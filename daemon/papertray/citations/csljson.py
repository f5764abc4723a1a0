"""CSL-JSON, both ways: what Zotero and Mendeley read and write, and the form in which the CLI sends an import
to the daemon in chunks. papertray's own tags and read mark travel in `custom.papertray`, the note in `note`,
so an export imports back to the same list."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from papertray.citations.keys import valid_key
from papertray.citations.records import (
    MAX_IMPORT_CHARS,
    NO_ARXIV_ID,
    TOO_LARGE,
    ImportEntry,
    ParseResult,
    Skipped,
    abs_url,
    arxiv_doi,
    find_arxiv,
    tags_of,
    year_of,
)
from papertray.models import id_month

# ------------------------------------------------------------------------------------------------ write


def _csl_name(name: str) -> dict[str, str]:
    parts = name.split()
    if len(parts) < 2:
        return {"literal": name}
    return {"family": parts[-1], "given": " ".join(parts[:-1])}


def csl_item(data: dict[str, Any]) -> dict[str, Any]:
    paper_id = str(data["id"])
    item: dict[str, Any] = {
        "id": f"arXiv:{paper_id}",
        "type": "article",
        "title": data.get("title") or "",
        "author": [_csl_name(a) for a in data.get("authors") or () if isinstance(a, str) and a.strip()],
        "URL": abs_url(paper_id),
        "DOI": arxiv_doi(paper_id),
        "number": f"arXiv:{paper_id}",
        "publisher": "arXiv",
        "genre": "preprint",
    }
    if valid_key(key := str(data.get("cite_key") or "")):
        item["citation-key"] = key  # CSL 1.0.2's field, which Zotero 7 reads and writes
    if year := year_of(data):
        published = str(data.get("published_at") or "")
        month = id_month(paper_id)
        if published[:4] == year:
            parts = [int(p) for p in re.findall(r"[0-9]+", published[:10])]
        elif month is not None and month[:4] == year:
            parts = [int(month[:4]), int(month[5:])]  # from the id: year and month, no day
        else:
            parts = [int(year)]
        item["issued"] = {"date-parts": [parts[:3] or [int(year)]]}
    if data.get("summary"):
        item["abstract"] = data["summary"]
    if data.get("tags"):
        item["keyword"] = ", ".join(data["tags"])
    if data.get("note"):
        item["note"] = data["note"]
    item["custom"] = {"papertray": {"tags": list(data.get("tags") or ()), "read": bool(data.get("read"))}}
    return item


def to_csljson(papers: Iterable[dict[str, Any]]) -> str:
    return json.dumps([csl_item(p) for p in papers], ensure_ascii=False, indent=2) + "\n"


def entry_to_csl(entry: ImportEntry) -> dict[str, Any]:
    """An imported entry as a CSL-JSON item that `parse_csljson` reads back unchanged (tags, note, read)."""
    data = {
        "id": entry.id,
        "title": entry.title,
        "authors": list(entry.authors),
        "summary": entry.summary,
        "published_at": entry.published_at,
        "tags": list(entry.tags),
        "note": entry.note,
        "read": entry.read,
        "cite_key": entry.key,
    }
    item = csl_item(data)
    if entry.version:
        item["number"] = f"arXiv:{entry.id}v{entry.version}"
    return item


def csljson_chunks(entries: Sequence[ImportEntry], max_bytes: int = 200_000) -> Iterable[tuple[int, str]]:
    """Split entries into CSL-JSON documents of at most `max_bytes` (one entry may exceed it alone), so a client
    can send a large import in several API requests and move a progress bar: yields (entry count, document)."""
    batch: list[dict[str, Any]] = []
    size = 2
    for entry in entries:
        item = entry_to_csl(entry)
        item_size = len(json.dumps(item, ensure_ascii=False).encode()) + 2
        if batch and size + item_size > max_bytes:
            yield len(batch), json.dumps(batch, ensure_ascii=False)
            batch, size = [], 2
        batch.append(item)
        size += item_size
    if batch:
        yield len(batch), json.dumps(batch, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------ read


def parse_csljson(text: str) -> ParseResult:
    result = ParseResult()
    if len(text) > MAX_IMPORT_CHARS:
        result.problem = TOO_LARGE
        return result
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        result.problem = f"it is not valid JSON ({str(exc)[:120]})."
        return result
    if not isinstance(data, list | dict):
        result.problem = "it is JSON but not CSL-JSON (a list of items, or one item)."
        return result
    items = data if isinstance(data, list) else [data]
    result.records = len(items)
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            result.skipped.append(Skipped(f"entry {index}", "It is not a CSL-JSON object."))
            continue
        entry = _csl_entry(item, index)
        if isinstance(entry, Skipped):
            result.skipped.append(entry)
        else:
            result.entries.append(entry)
    return result


def _csl_text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _csl_entry(item: dict[str, Any], index: int) -> ImportEntry | Skipped:
    title = _csl_text(item.get("title"))
    label = str(item.get("id") or title[:80] or f"entry {index}")[:120]
    keys = ("number", "URL", "DOI", "id", "archive_location", "container-title", "note", "source")
    found = find_arxiv(item.get(k) for k in keys)
    if found is None:
        return Skipped(label, NO_ARXIV_ID)
    paper_id, version = found
    authors: list[str] = []
    for person in item.get("author") or ():
        if not isinstance(person, dict):
            continue
        literal = _csl_text(person.get("literal"))
        name = literal or " ".join(p for p in (_csl_text(person.get("given")), _csl_text(person.get("family"))) if p)
        if name:
            authors.append(name)
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
    ours = custom.get("papertray") if isinstance(custom, dict) else None
    ours = ours if isinstance(ours, dict) else {}
    tags = tags_of(ours.get("tags")) if "tags" in ours else tags_of(item.get("keyword", ""))
    raw_note = item.get("note")
    note = raw_note if isinstance(raw_note, str) else ""
    # Zotero keeps "arXiv: 2307.12345" in `note` (its Extra field): that is not the user's note.
    if note and re.fullmatch(r"\s*arxiv:?\s*\S+(\s*\[[^\]]*\])?\s*", note, flags=re.IGNORECASE):
        note = ""
    return ImportEntry(
        id=paper_id,
        version=version,
        title=title,
        authors=tuple(authors),
        summary=_csl_text(item.get("abstract")),
        published_at=_csl_date(item.get("issued")),
        tags=tags,
        note=note.strip(),
        read=ours.get("read") is True,
        key=key if valid_key(key := str(item.get("citation-key") or "")) else "",
    )


def _csl_date(issued: Any) -> str | None:
    if not isinstance(issued, dict):
        return None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        try:
            numbers = [int(p) for p in parts[0][:3]]
        except (TypeError, ValueError):
            return None
        if not 1000 <= numbers[0] <= 9999:
            return None
        return "-".join([f"{numbers[0]:04d}", *(f"{n:02d}" for n in numbers[1:])])
    raw = issued.get("raw")
    if isinstance(raw, str) and re.match(r"^[0-9]{4}", raw):
        return raw[:10]
    return None
