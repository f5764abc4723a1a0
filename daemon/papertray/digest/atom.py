"""Atom 1.0 (RFC 4287) from a digest's items, built with xml.etree so every title and abstract is escaped by
the serializer. Entry ids are `tag:` URIs of the bare arXiv id (RFC 4151): the same paper keeps the same id
across polls, versions and sources, so a reader never shows it twice; a new version's entry is the paper's id and
that version (`…:paper/2307.12345/v3`), so each version is shown once."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from papertray.digest.selection import Item
from papertray.models import Paper

ATOM = "http://www.w3.org/2005/Atom"
TAG_AUTHORITY = "tag:papertray.local,2026"
ABSTRACT_CHARS = 600
EPOCH = "1970-01-01T00:00:00Z"
ET.register_namespace("", ATOM)


def links(paper: Paper, version: int | None = None) -> dict[str, str]:
    """The paper's pages: arXiv abstract, PDF (of that version, when given) and the Hugging Face page."""
    tail = f"v{version}" if version else ""
    return {
        "arXiv": f"https://arxiv.org/abs/{paper.id}{tail}",
        "PDF": f"https://arxiv.org/pdf/{paper.id}{tail}",
        "Hugging Face": f"https://huggingface.co/papers/{paper.id}",
    }


def one_line(text: str) -> str:
    """arXiv hard-wraps titles and abstracts; control characters (a `\\r\\n` in a title) become spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def short_abstract(paper: Paper, limit: int = ABSTRACT_CHARS) -> str:
    text = one_line(paper.summary or paper.ai_summary)
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def entry_title(item: Item) -> str:
    """The paper's title on one line; a new version's is "v3 of <title>"."""
    text = one_line(item.paper.title) or item.paper.id
    return f"v{item.version} of {text}" if item.version else text


def entry_id(paper_id: str, version: int | None = None) -> str:
    return f"{TAG_AUTHORITY}:paper/{paper_id}" + (f"/v{version}" if version else "")


def _stamp(value: str | None) -> str:
    """An RFC 3339 date-time for <updated>; a bare date becomes its midnight UTC."""
    if not value:
        return EPOCH
    if len(value) == 10:
        return value + "T00:00:00Z"
    return value.replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        child.text = text
    return child


def build(name: str, title: str, items: Sequence[Item]) -> bytes:
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", f"{TAG_AUTHORITY}:feed/{name}")
    _sub(feed, "title", title)
    stamps = [_stamp(item.updated or item.paper.first_seen_at or item.paper.submitted_at) for item in items]
    _sub(feed, "updated", max(stamps, default=EPOCH))
    _sub(feed, "generator", "papertray")
    for item, stamp in zip(items, stamps, strict=True):
        paper = item.paper
        entry = _sub(feed, "entry")
        _sub(entry, "id", entry_id(paper.id, item.version))
        _sub(entry, "title", entry_title(item))
        _sub(entry, "updated", stamp)
        if paper.submitted_at or paper.published_at:
            _sub(entry, "published", _stamp(paper.submitted_at or paper.published_at))
        for author in paper.authors or ("unknown",):
            _sub(_sub(entry, "author"), "name", one_line(author))
        pages = links(paper, item.version)
        home = pages["arXiv"] if item.version else pages["Hugging Face"]  # a version's own abstract page
        _sub(entry, "link", href=home, rel="alternate", type="text/html")
        _sub(entry, "link", href=pages["arXiv"], rel="related", type="text/html", title="arXiv abstract")
        _sub(entry, "link", href=pages["PDF"], rel="related", type="application/pdf", title="PDF")
        for why in item.why:
            _sub(entry, "category", term=one_line(why)[:120], label=one_line(why)[:120])
        why = "; ".join(one_line(w) for w in item.why)
        upvotes = f" · {paper.upvotes} upvotes" if paper.upvotes else ""
        _sub(entry, "summary", f"Why: {why}{upvotes}\n\n{short_abstract(paper)}", type="text")
    xml: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return xml
