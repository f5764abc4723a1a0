"""Citation keys: the one rule for what a key may hold, and the readable key papertray gives a paper that has
none (first author's family name, year, first significant title word: `lovelace2023sparse`), made unique against
the keys already given by adding a, b, … (as Zotero's Better BibTeX does).

A key, once given, is never recomputed: the library stores it with the paper's user data (`library/cite_keys.py`)
and every export, `library.bib` and "Copy BibTeX" write that stored key. Pure functions only."""

from __future__ import annotations

import itertools
import re
import string
import unicodedata
from collections.abc import Collection, Iterator
from typing import Any

from papertray.citations.records import year_of

# What BibTeX, biber and Zotero all accept in a key: no space, comma, brace, quote, `%`, `#`, `~` or backslash.
KEY = re.compile(r"^[^\s,{}()%#~\\\"'=]{1,120}\Z")
STOP_WORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "with", "and", "or", "is", "are", "be", "from", "by", "at"}
    | {"as", "via", "into", "towards", "toward", "do", "does", "can", "we", "our", "how", "what", "why", "when"}
    | {"which", "who", "not", "no", "beyond", "using", "use"}
)


def valid_key(key: str) -> bool:
    return bool(KEY.match(key))


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _family_name(author: str) -> str:
    # Stored authors are "First Middle Last"; "von"-style particles are kept off the key, like Zotero does.
    words = [w for w in author.split() if _ascii_word(w)]
    return _ascii_word(words[-1]) if words else ""


def _title_word(title: str) -> str:
    for raw in title.split():
        word = _ascii_word(raw)
        if word and word not in STOP_WORDS and not word.isdigit():
            return word
    return ""


def base_key(data: dict[str, Any]) -> str:
    """`family` + `year` + `word` of a paper as the API shows it ("arxiv" when no author is known)."""
    authors = [a for a in data.get("authors") or () if isinstance(a, str)]
    family = (_family_name(authors[0]) if authors else "")[:30] or "arxiv"
    return f"{family}{year_of(data)}{_title_word(str(data.get('title') or ''))[:20]}"


def new_key(data: dict[str, Any], taken: Collection[str]) -> str:
    """A key for `data` no paper has (`taken` holds the casefolded keys already given)."""
    base = base_key(data)
    for suffix in itertools.chain([""], _letters()):
        key = base + suffix
        if key.casefold() not in taken:
            return key
    raise AssertionError("unreachable: the suffixes never run out")


def _letters() -> Iterator[str]:
    for length in itertools.count(1):
        for letters in itertools.product(string.ascii_lowercase, repeat=length):
            yield "".join(letters)
