"""BibTeX records read in one linear pass: `scan(text)` yields each record's kind, key and raw (LaTeX) field
values, or why a record could not be read. `citations.parse_bibtex` turns them into imported papers.

Why linear: an import is a request to the daemon, and a parser that goes back to an earlier point after an
error (or a regex that backtracks) lets one crafted 250 KB body hold the CPU for many seconds. Here the text is
first cut, in one regex pass, at every line whose first non-blank character starts a record (`@type{` or
`@type(`). Each piece is read forwards once: a record that cannot be read ends its piece, and reading goes on at
the next record line. So every character is looked at a bounded number of times, and a broken record costs no
more than its own text. Every regex below is possessive (`*+`, `++`): none can backtrack.

The price of this rule: a field value cannot hold a line that itself starts a record (`@article{…` at the start
of a line inside an abstract); such a record is reported as not closed. BibTeX files written by Zotero, JabRef,
Better BibTeX, arXiv and papertray never have one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}

RECORD_LINE = re.compile(r"^[ \t]*+@[ \t]*+[A-Za-z]++[ \t]*+[{(]", re.MULTILINE)
RECORD_HEAD = re.compile(r"@\s*+([A-Za-z]++)\s*+([{(])")
KEY = re.compile(r"\s*+([^\s,{}()=\"#%']++)\s*+,")
NAME = re.compile(r"([A-Za-z][\w\-:.+]*+)\s*+=")
WORD = re.compile(r"[A-Za-z0-9_\-:.+]++")
LABEL = re.compile(r"\s*+([^\s,{}()=]{1,80})")
SPACE = re.compile(r"\s*+")
BRACE = re.compile(r"[{}]")
IN_QUOTES = re.compile(r'[{}"]')


@dataclass(frozen=True, slots=True)
class Record:
    kind: str  # lower case: "article", "misc", …
    key: str
    fields: dict[str, str]  # lower-case names → raw values (LaTeX, @strings expanded)


@dataclass(frozen=True, slots=True)
class Broken:
    label: str  # the citation key when it could be read, else "entry N"
    reason: str  # a sentence fragment: "the file ends inside it"


class _Unreadable(ValueError):
    pass


def record_starts(text: str) -> list[int]:
    """Offsets of the lines that start a record: where reading resumes after a broken one."""
    return [m.start() for m in RECORD_LINE.finditer(text)]


def scan(text: str) -> Iterator[Record | Broken]:
    """Every record of `text` in order (@string definitions applied, @comment and @preamble left out)."""
    strings = {m: str(i) for m, i in MONTHS.items()}
    bounds = [0, *record_starts(text), len(text)]
    count = 0
    for index in range(len(bounds) - 1):
        piece = text[bounds[index] : bounds[index + 1]]
        last = index == len(bounds) - 2
        for item in _scan_piece(piece, strings, last=last, first_number=count + 1):
            count += 1
            yield item


def _scan_piece(piece: str, strings: dict[str, str], *, last: bool, first_number: int) -> Iterator[Record | Broken]:
    ends = "the file ends inside it" if last else "the next record starts inside it"
    number = first_number
    pos = 0
    while True:
        at = piece.find("@", pos)
        if at < 0:
            return
        head = RECORD_HEAD.match(piece, at)
        if head is None:
            pos = at + 1
            continue
        kind = head.group(1).lower()
        opener = head.group(2)
        closer = "}" if opener == "{" else ")"
        start = head.end()
        if kind == "comment":
            pos = (balanced_end(piece, start - 1) or len(piece)) if opener == "{" else start
            continue
        try:
            if kind == "preamble":
                pos = _skip_preamble(piece, start, opener)
                continue
            if kind == "string":
                fields, pos = _fields(piece, start, closer, strings, ends)
                strings.update(fields)
                continue
            key_match = KEY.match(piece, start)
            if key_match is None:
                raise _Unreadable("it has no citation key")
            fields, pos = _fields(piece, key_match.end(), closer, strings, ends)
        except _Unreadable as exc:
            label = LABEL.match(piece, start)
            yield Broken(label.group(1) if label else f"entry {number}", str(exc))
            return  # the rest of this piece belongs to the broken record
        number += 1
        yield Record(kind, key_match.group(1), fields)


def balanced_end(text: str, open_at: int) -> int | None:
    """The offset just after the brace that closes the one at `open_at`, or None when it is never closed."""
    depth = 0
    for match in BRACE.finditer(text, open_at):
        if match.group() == "{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return match.end()
    return None


def _skip_preamble(piece: str, start: int, opener: str) -> int:
    if opener == "{":
        end = balanced_end(piece, start - 1)
    else:
        found = piece.find(")", start)
        end = found + 1 if found >= 0 else None
    if end is None:
        raise _Unreadable("its @preamble is never closed")
    return end


def _fields(piece: str, pos: int, closer: str, strings: dict[str, str], ends: str) -> tuple[dict[str, str], int]:
    fields: dict[str, str] = {}
    size = len(piece)
    while True:
        pos = _space(piece, pos)
        if pos >= size:
            raise _Unreadable(f"{ends} (a missing closing brace?)")
        if piece[pos] == closer:
            return fields, pos + 1
        if piece[pos] == ",":
            pos += 1
            continue
        match = NAME.match(piece, pos)
        if match is None:
            raise _Unreadable(f"unexpected text {piece[pos : pos + 20]!r}")
        name = match.group(1).lower()
        parts: list[str] = []
        pos = match.end()
        while True:
            value, pos = _value(piece, _space(piece, pos), strings, ends)
            parts.append(value)
            pos = _space(piece, pos)
            if pos < size and piece[pos] == "#":
                pos += 1
                continue
            break
        fields[name] = "".join(parts)


def _space(piece: str, pos: int) -> int:
    match = SPACE.match(piece, pos)
    return match.end() if match else pos


def _value(piece: str, pos: int, strings: dict[str, str], ends: str) -> tuple[str, int]:
    if pos >= len(piece):
        raise _Unreadable(ends)
    ch = piece[pos]
    if ch == "{":
        end = balanced_end(piece, pos)
        if end is None:
            raise _Unreadable(f"a value has no closing brace ({ends})")
        return piece[pos + 1 : end - 1], end
    if ch == '"':
        depth = 0
        for match in IN_QUOTES.finditer(piece, pos + 1):
            found = match.group()
            if found == "{":
                depth += 1
            elif found == "}":
                depth -= 1
                if depth < 0:
                    raise _Unreadable("a quoted value closes a brace it never opened")
            elif depth == 0 and piece[match.start() - 1] != "\\":
                return piece[pos + 1 : match.start()], match.end()
        raise _Unreadable(f"a quoted value has no closing quote ({ends})")
    bare = WORD.match(piece, pos)
    if bare is None:
        raise _Unreadable(f"unexpected text {piece[pos : pos + 20]!r}")
    word = bare.group(0)
    if word.isdigit():
        return word, bare.end()
    if word.lower() in strings:
        return strings[word.lower()], bare.end()
    raise _Unreadable(f"it uses the undefined @string {word!r}")
