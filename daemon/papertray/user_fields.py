"""The user's own fields of a paper, its tags and its note, and the one set of rules for them that every way in
applies: PATCH from the extension or a script and the reading-list page (through `api.bodies.PATCH_PAPER`, built
from the limits below) and import (`check_import`).

A request that breaks a rule is refused whole (400), since its sender can fix it and send it again. An import is
a file of many records from another program, so it is not refused whole; per field:
- a note longer than MAX_NOTE_CHARS: the record is skipped, with why (cutting it would lose the user's text);
- a tag with control characters: whitespace ones become spaces (as the page does), the others are removed;
- a tag longer than MAX_TAG_CHARS is dropped (it is some other field mapped to keywords, not a tag);
- tags beyond MAX_TAGS (counting those the paper already has) are dropped;
each change is reported with the record's label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from papertray.citations import ImportEntry, Skipped
from papertray.wording import counted

MAX_TAGS = 50
MAX_TAG_CHARS = 64
MAX_NOTE_CHARS = 10_000
TAG = re.compile(rf"^[^\x00-\x1f\x7f]{{1,{MAX_TAG_CHARS}}}\Z")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_tag(tag: str) -> str:
    """Runs of whitespace (tabs and newlines included) as one space, no leading or trailing space."""
    return " ".join(tag.split())


def normalize_tags(tags: Iterable[str]) -> list[str]:
    return [normalize_tag(t) for t in tags]


@dataclass
class CheckedImport:
    entries: list[ImportEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # records left out, and why
    adjusted: list[Skipped] = field(default_factory=list)  # records kept with a change, and which


def check_import(entries: Sequence[ImportEntry], existing_tags: Callable[[str], Sequence[str]]) -> CheckedImport:
    """`entries` made to follow the rules PATCH enforces; `existing_tags(id)` gives a paper's current tags, which
    an import adds to."""
    checked = CheckedImport()
    for entry in entries:
        label = entry.title[:80] or entry.id
        if len(entry.note) > MAX_NOTE_CHARS:
            checked.skipped.append(
                Skipped(
                    label,
                    f"Its note is {len(entry.note):,} characters long and papertray keeps notes of up to "
                    f"{MAX_NOTE_CHARS:,}; shorten it and import again.",
                )
            )
            continue
        tags, changes = _check_tags(entry.tags, existing_tags(entry.id))
        if changes:
            checked.adjusted.append(Skipped(label, "; ".join(changes).capitalize() + "."))
        checked.entries.append(replace(entry, tags=tags) if tags != entry.tags else entry)
    return checked


def _check_tags(tags: Sequence[str], existing: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    cleaned = too_long = 0
    kept: dict[str, None] = {}
    for raw in tags:
        tag = normalize_tag(raw)
        without = CONTROL.sub("", tag)
        if without != tag:
            cleaned += 1
            tag = normalize_tag(without)
        if len(tag) > MAX_TAG_CHARS:
            too_long += 1
        elif tag:
            kept[tag] = None
    have = set(existing)
    room = max(0, MAX_TAGS - len(have))
    new = [t for t in kept if t not in have]
    over = max(0, len(new) - room)
    if over:
        allowed = set(new[:room])
        kept = {t: None for t in kept if t in have or t in allowed}
    changes = []
    if cleaned:
        changes.append(f"removed control characters from {counted(cleaned, 'tag')}")
    if too_long:
        changes.append(f"dropped {counted(too_long, 'tag')} longer than {MAX_TAG_CHARS} characters")
    if over:
        changes.append(f"dropped {counted(over, 'tag')} beyond the {MAX_TAGS} a paper can have")
    return tuple(kept), changes
