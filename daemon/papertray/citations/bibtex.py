"""BibTeX, both ways: papers written as `@misc` records that every reference manager reads, and records read
back (through the linear `bibtex_scan`) as `ImportEntry`s, each record left out with the reason why."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from papertray.citations import bibtex_scan
from papertray.citations.bibtex_scan import MONTHS
from papertray.citations.keys import valid_key
from papertray.citations.latex import latex_to_text
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
from papertray.models import parse_paper_ref

BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}

# ------------------------------------------------------------------------------------------------ write


def bibtex_escape(text: str) -> str:
    return "".join(BIBTEX_ESCAPES.get(ch, ch) for ch in " ".join(text.split()))


def bibtex_entry(data: dict[str, Any]) -> str:
    paper_id = str(data["id"])
    fields: list[tuple[str, str]] = []
    if data.get("title"):
        fields.append(("title", "{" + bibtex_escape(data["title"]) + "}"))
    authors = [a for a in data.get("authors") or () if isinstance(a, str) and a.strip()]
    if authors:
        fields.append(("author", " and ".join(_bibtex_name(a) for a in authors)))
    if year := year_of(data):
        fields.append(("year", year))
    fields += [("eprint", paper_id), ("archiveprefix", "arXiv"), ("url", abs_url(paper_id))]
    fields.append(("doi", arxiv_doi(paper_id)))
    if data.get("summary"):
        fields.append(("abstract", bibtex_escape(data["summary"])))
    if data.get("tags"):
        fields.append(("keywords", bibtex_escape(", ".join(data["tags"]))))
    if data.get("note"):
        fields.append(("annote", bibtex_escape(data["note"])))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{cite_key(data)},\n{body}\n}}\n"


def cite_key(data: dict[str, Any]) -> str:
    """The key the user's \\cite{} uses: the one stored with the paper (imported or issued), else `arXiv:<id>`
    (a paper whose author and title are not known yet; the library issues its key when they are)."""
    key = data.get("cite_key")
    return key if isinstance(key, str) and valid_key(key) else f"arXiv:{data['id']}"


def _bibtex_name(name: str) -> str:
    """`First Middle Last` → `Last, First Middle`; a one-word or organisation name stays whole in braces."""
    parts = name.split()
    escaped = [bibtex_escape(p) for p in parts]
    if len(parts) < 2 or " and " in f" {name.lower()} ":
        return "{" + bibtex_escape(name) + "}"
    return f"{escaped[-1]}, {' '.join(escaped[:-1])}"


def to_bibtex(papers: Iterable[dict[str, Any]]) -> str:
    return "\n".join(bibtex_entry(p) for p in papers)


# ------------------------------------------------------------------------------------------------ read


def parse_bibtex(text: str) -> ParseResult:
    """Entries with an arXiv id, and one `Skipped` (key or title, reason) per record left out. Linear in the
    length of `text` whatever it holds (see bibtex_scan): an import is a request any local program can send."""
    result = ParseResult()
    if len(text) > MAX_IMPORT_CHARS:
        result.problem = TOO_LARGE
        return result
    for record in bibtex_scan.scan(text):
        result.records += 1
        if isinstance(record, bibtex_scan.Broken):
            result.skipped.append(Skipped(record.label, f"Could not read this record: {record.reason}."))
            continue
        entry = _bib_entry(record.key, record.fields)
        if isinstance(entry, Skipped):
            result.skipped.append(entry)
        else:
            result.entries.append(entry)
    if not result.records:
        result.problem = "it holds no BibTeX record (no @type{key, …} block)."
    return result


def _bib_entry(key: str, raw: dict[str, str]) -> ImportEntry | Skipped:
    fields = {name: latex_to_text(value) for name, value in raw.items()}
    title = " ".join(fields.get("title", "").split())
    label = key or title[:80]
    prefix = fields.get("archiveprefix", fields.get("eprinttype", "")).lower()
    eprint = fields.get("eprint", "")
    candidates: list[str] = []
    if eprint and (prefix in ("arxiv", "") or parse_paper_ref(eprint)):
        candidates.append(eprint)
    candidates += [fields.get(k, "") for k in ("url", "doi", "journal", "number", "note", "howpublished")]
    candidates.append(key)
    found = find_arxiv(candidates)
    if found is None:
        return Skipped(label, NO_ARXIV_ID)
    paper_id, version = found
    authors = tuple(_bib_author(a) for a in _split_authors(raw.get("author", "")))
    published = _bib_date(fields)
    return ImportEntry(
        id=paper_id,
        version=version,
        title=title,
        authors=tuple(a for a in authors if a),
        summary=" ".join(fields.get("abstract", "").split()),
        published_at=published,
        tags=tags_of(fields.get("keywords", fields.get("tags", ""))),
        note=fields.get("annote", fields.get("annotation", "")).strip(),
        key=key if valid_key(key) else "",
    )


def _bib_date(fields: dict[str, str]) -> str | None:
    date = fields.get("date", "").strip()
    if re.match(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?\Z", date):
        return date
    year = fields.get("year", "").strip()
    if not re.match(r"^[0-9]{4}\Z", year):
        return None
    month = fields.get("month", "").strip().lower()[:3]
    numeric = month.isascii() and month.isdigit() and 1 <= int(month) <= 12
    number = MONTHS.get(month) or (int(month) if numeric else None)
    return f"{year}-{number:02d}" if number else year


def _split_authors(raw: str) -> list[str]:
    names: list[str] = []
    depth = 0
    current: list[str] = []
    index = 0
    while index < len(raw):
        ch = raw[index]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if depth == 0 and raw[index : index + 5].lower() == " and " and raw[index].isspace():
            names.append("".join(current))
            current = []
            index += 5
            continue
        current.append(ch)
        index += 1
    names.append("".join(current))
    return [n.strip() for n in names if n.strip()]


def _bib_author(raw: str) -> str:
    if raw.startswith("{") and raw.endswith("}") and bibtex_scan.balanced_end(raw, 0) == len(raw):
        return latex_to_text(raw[1:-1])  # a corporate name kept whole
    parts = [latex_to_text(p).strip() for p in _split_top_level(raw, ",")]
    if len(parts) == 3:  # von Last, Jr, First
        return " ".join(p for p in (parts[2], parts[0], parts[1]) if p)
    if len(parts) == 2:
        return " ".join(p for p in (parts[1], parts[0]) if p)
    return " ".join(latex_to_text(raw).split())


def _split_top_level(raw: str, sep: str) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in raw:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out
