"""The user's search text → its terms: words, phrases and `word*` prefixes, all of which must match.

Users type anything: `sparse autoencoder`, `"vision transformer"`, `interp*`, `hep-th/9901001`, unbalanced
quotes, query operators, SQL, control characters, pasted pages. None of it is ever handed to the engine as syntax:
only letters and digits are kept, as words; a trailing `*` on a word makes a prefix, and text between double quotes
a phrase (the index builds tantivy queries from these terms itself, never from text). So a query is either a
literal search or a one-sentence `QueryError`, never a syntax error.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from papertray.errors import PapertrayError

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
MIN_PREFIX = 3  # the index keeps 3- and 4-letter prefixes; "a*" would walk a large part of the vocabulary
# What unicode61 keeps inside a token: letters, digits (and marks, folded away). Everything else splits.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class QueryError(PapertrayError):
    """A search that cannot be run, said in one sentence."""


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool = False


def _clean(text: str) -> str:
    # Control and format characters (NUL, escapes, bidi overrides) become spaces: never searched, never echoed.
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def parse(text: str) -> list[Term]:
    """The terms of a query. Raises QueryError when it is too long or has nothing to search for."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"A search is at most {MAX_QUERY_CHARS} characters; this one has {len(text)}.")
    text = _clean(text)
    terms: list[Term] = []
    # Split on double quotes: odd pieces are phrases. An unbalanced quote leaves its tail a phrase too.
    for index, piece in enumerate(text.split('"')):
        if index % 2:
            words = tuple(_WORD.findall(piece))
            if words:
                terms.append(Term(words))
            continue
        for chunk in piece.split():
            words = tuple(_WORD.findall(chunk))
            if not words:
                continue
            # `interp*` is a prefix; `hep-th/9901001` or `2307.12345` is one phrase of its parts.
            prefix = chunk.endswith("*")
            if prefix and len(words[-1]) < MIN_PREFIX:
                raise QueryError(f"A prefix search needs at least {MIN_PREFIX} letters before the * (like interp*).")
            terms.append(Term(words, prefix=prefix))
    if not terms:
        raise QueryError("Type a word to search for (letters or digits).")
    if len(terms) > MAX_TERMS:
        raise QueryError(f"A search has at most {MAX_TERMS} words or phrases; this one has {len(terms)}.")
    return terms
