"""Citations: export the reading list as BibTeX, RIS, CSL-JSON, Markdown or JSON, and read BibTeX and CSL-JSON
(what Zotero, Mendeley and JabRef export) back as `ImportEntry`s with a report of what was skipped and why.

Pure functions only: no files, no store. `library.py` applies imported entries to the store; the CLI and the
API call the same functions.

papertray keeps arXiv papers only: an imported record is kept when any of its fields (eprint, URL, DOI, number,
journal, note, id) holds an arXiv id, otherwise it is skipped with that reason. Tags travel as keywords and the
user's note as `annote` (BibTeX), `N1` (RIS) and `note` (CSL-JSON), so an export imports back to the same list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from papertray import bibtex_scan
from papertray.bibtex_scan import MONTHS
from papertray.latex_text import latex_to_text
from papertray.models import id_month, parse_paper_ref

FORMATS = ("bibtex", "ris", "csljson", "markdown", "json")
IMPORT_FORMATS = ("bibtex", "csljson")
MAX_IMPORT_CHARS = 20 * 1024 * 1024


class PaperLike(Protocol):
    """What an export needs: store.PaperView satisfies it (kept structural so this module stays pure)."""

    @property
    def id(self) -> str: ...

    def to_dict(self, *, full: bool = True) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class ImportEntry:
    id: str
    version: int | None = None
    title: str = ""
    authors: tuple[str, ...] = ()
    summary: str = ""
    published_at: str | None = None  # ISO date (YYYY, YYYY-MM or YYYY-MM-DD)
    tags: tuple[str, ...] = ()
    note: str = ""
    read: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    label: str  # the citation key, the title, or "entry N": how the user recognises it
    reason: str  # one sentence


@dataclass
class ParseResult:
    entries: list[ImportEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    records: int = 0  # records found, read or not: 0 means the text is not in this format at all
    problem: str | None = None  # why the text as a whole is not in this format ("it …" clause), or None


# ------------------------------------------------------------------------------------------------ export


def export(papers: Sequence[PaperLike], fmt: str) -> str:
    """The text of `papers` in `fmt` (one of FORMATS). Raises ValueError for an unknown format."""
    writers = {"bibtex": to_bibtex, "ris": to_ris, "csljson": to_csljson, "markdown": to_markdown, "json": to_json}
    if fmt not in writers:
        raise ValueError(f"Unknown export format {fmt!r} (choose one of {', '.join(FORMATS)}).")
    return writers[fmt]([p.to_dict() for p in papers])


def _year(data: dict[str, Any]) -> str:
    for key in ("published_at", "daily_date"):
        value = data.get(key)
        if isinstance(value, str) and re.match(r"^[0-9]{4}", value):
            return value[:4]
    # Never the day it was saved (a paper saved before its metadata came was exported as this year's): the id
    # itself says the year and month arXiv issued it, which is known; anything else stays unknown (11.20).
    month = id_month(str(data.get("id", "")))
    return month[:4] if month else ""


def _abs_url(paper_id: str) -> str:
    return f"https://arxiv.org/abs/{paper_id}"


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
    if year := _year(data):
        fields.append(("year", year))
    fields += [("eprint", paper_id), ("archiveprefix", "arXiv"), ("url", _abs_url(paper_id))]
    fields.append(("doi", f"10.48550/arXiv.{paper_id}"))
    if data.get("summary"):
        fields.append(("abstract", bibtex_escape(data["summary"])))
    if data.get("tags"):
        fields.append(("keywords", bibtex_escape(", ".join(data["tags"]))))
    if data.get("note"):
        fields.append(("annote", bibtex_escape(data["note"])))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{arXiv:{paper_id},\n{body}\n}}\n"


def _bibtex_name(name: str) -> str:
    """`First Middle Last` → `Last, First Middle`; a one-word or organisation name stays whole in braces."""
    parts = name.split()
    escaped = [bibtex_escape(p) for p in parts]
    if len(parts) < 2 or " and " in f" {name.lower()} ":
        return "{" + bibtex_escape(name) + "}"
    return f"{escaped[-1]}, {' '.join(escaped[:-1])}"


def to_bibtex(papers: Iterable[dict[str, Any]]) -> str:
    return "\n".join(bibtex_entry(p) for p in papers)


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
        if year := _year(data):
            lines.append(_ris_line("PY", year))
        if data.get("summary"):
            lines.append(_ris_line("AB", data["summary"]))
        lines += [
            _ris_line("UR", _abs_url(paper_id)),
            _ris_line("DO", f"10.48550/arXiv.{paper_id}"),
            _ris_line("PB", "arXiv"),
        ]
        lines.append(_ris_line("M1", f"arXiv:{paper_id}"))
        lines += [_ris_line("KW", tag) for tag in data.get("tags") or ()]
        if data.get("note"):
            lines.append(_ris_line("N1", data["note"]))
        lines.append("ER  - ")
        records.append("\n".join(lines))
    return "\n\n".join(records) + ("\n" if records else "")


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
        "URL": _abs_url(paper_id),
        "DOI": f"10.48550/arXiv.{paper_id}",
        "number": f"arXiv:{paper_id}",
        "publisher": "arXiv",
        "genre": "preprint",
    }
    if year := _year(data):
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


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def _md(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def to_markdown(papers: Iterable[dict[str, Any]]) -> str:
    lines = ["# Reading list", ""]
    for data in papers:
        paper_id = str(data["id"])
        title = _md(data.get("title") or paper_id)
        line = f"- [{title}]({_abs_url(paper_id)})"
        authors = [str(a) for a in data.get("authors") or ()]
        if authors:
            shown = ", ".join(authors[:5]) + (" et al." if len(authors) > 5 else "")
            line += f" — {_md(shown)}"
        if year := _year(data):
            line += f" ({year})"
        if data.get("read"):
            line += " ✓ read"
        lines.append(line)
        if data.get("tags"):
            lines.append(f"  - tags: {_md(', '.join(data['tags']))}")
        for note_line in str(data.get("note") or "").splitlines():
            lines.append(f"  > {_md(note_line)}" if note_line.strip() else "  >")
    return "\n".join(lines) + "\n"


def to_json(papers: Iterable[dict[str, Any]]) -> str:
    return json.dumps(list(papers), ensure_ascii=False, indent=2) + "\n"


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


# ------------------------------------------------------------------------------------------------ import


def parse(text: str, fmt: str) -> ParseResult:
    if fmt == "bibtex":
        return parse_bibtex(text)
    if fmt == "csljson":
        return parse_csljson(text)
    raise ValueError(f"Unknown import format {fmt!r} (choose bibtex or csljson).")


def _find_arxiv(values: Iterable[Any]) -> tuple[str, int | None] | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            text = value.strip()
            # The DataCite DOI of an arXiv paper: 10.48550/arXiv.2307.12345
            text = re.sub(r"10\.48550/arxiv\.", "arXiv:", text, flags=re.IGNORECASE)
            found = parse_paper_ref(text)
            if found is not None:
                return found
    return None


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        items = [str(v) for v in value]
    elif isinstance(value, str):
        items = re.split(r"[,;]", value)
    else:
        return ()
    return tuple(dict.fromkeys(t.strip() for t in items if t.strip()))


# BibTeX ---------------------------------------------------------------------------------------------


def parse_bibtex(text: str) -> ParseResult:
    """Entries with an arXiv id, and one `Skipped` (key or title, reason) per record left out. Linear in the
    length of `text` whatever it holds (see bibtex_scan): an import is a request any local program can send."""
    result = ParseResult()
    if len(text) > MAX_IMPORT_CHARS:
        result.problem = "it is larger than 20 MB; split it and import the parts."
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
    found = _find_arxiv(candidates)
    if found is None:
        return Skipped(label, "No arXiv id in it (papertray keeps arXiv papers only).")
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
        tags=_tags(fields.get("keywords", fields.get("tags", ""))),
        note=fields.get("annote", fields.get("annotation", "")).strip(),
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


# CSL-JSON -------------------------------------------------------------------------------------------


def parse_csljson(text: str) -> ParseResult:
    result = ParseResult()
    if len(text) > MAX_IMPORT_CHARS:
        result.problem = "it is larger than 20 MB; split it and import the parts."
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
    found = _find_arxiv(item.get(k) for k in keys)
    if found is None:
        return Skipped(label, "No arXiv id in it (papertray keeps arXiv papers only).")
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
    tags = _tags(ours.get("tags")) if "tags" in ours else _tags(item.get("keyword", ""))
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
