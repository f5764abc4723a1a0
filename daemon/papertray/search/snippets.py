"""A hit's snippet: the few words of its best field around the query's words, each matched word between
HIT_START and HIT_END.

Words are matched after the same folding as the index (engine.fold), so `Scholkopf` marks `Schölkopf` in the text
as written. The field shown is the one whose window of SIZE words holds the most of the query's distinct words
(then the most matches), preferring, on a tie, the fields a reader scans first.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import tantivy

from papertray.search.engine import ANALYZER, fold

HIT_START, HIT_END = "\x02", "\x03"  # control characters never survive into indexed text (index.clean)
SIZE = 24  # words
ORDER = ("title", "abstract", "notes", "tags", "keywords", "authors", "categories", "pid", "fulltext")
MAX_SCAN_CHARS = 200_000  # of a PDF's text: where its first matches are; a snippet needs no more


@dataclass(frozen=True, slots=True)
class Wanted:
    words: frozenset[str]  # folded words of the query's words and phrases
    prefixes: tuple[str, ...]  # folded stems of its `word*` terms
    pairs: frozenset[tuple[str, str]] = frozenset()  # adjacent words of its phrases: marked as one piece

    @property
    def size(self) -> int:
        return len(self.words) + len(self.prefixes)

    def which(self, token: str) -> str | None:
        """The query word this folded token matches, if any (its prefix for a prefix term)."""
        if token in self.words:
            return token
        if self.prefixes and token.startswith(self.prefixes):
            return next(p for p in self.prefixes if token.startswith(p))
        return None


def wanted(terms: Sequence[tuple[tuple[str, ...], bool]]) -> Wanted:
    words: set[str] = set()
    prefixes: list[str] = []
    pairs = {pair for folded, _ in terms for pair in itertools.pairwise(folded)}
    for folded, prefix in terms:
        if prefix:
            words.update(folded[:-1])
            prefixes.append(folded[-1])
        else:
            words.update(folded)
    return Wanted(frozenset(words), tuple(prefixes), frozenset(pairs))


def snippet(texts: dict[str, str], want: Wanted) -> str:
    best: tuple[int, int, int] | None = None
    shown = ""
    for rank, name in enumerate(ORDER):
        text = texts.get(name, "")[:MAX_SCAN_CHARS]
        if not text:
            continue
        # Folded words first (one call into tantivy, plain strings); offsets only for a field that matches.
        folded = fold(text)
        matched = [(i, which) for i, word in enumerate(folded) if (which := want.which(word)) is not None]
        if not matched:
            continue
        start, distinct, count = _best_window(matched)
        key = (distinct, count, -rank)
        if best is None or key > best:
            best = key
            tokens = ANALYZER.pre_tokenize(text).tokens
            shown = _draw(text, tokens, start, {i for i, _ in matched}, want)
        if distinct == want.size:
            break  # every word of the query in one window: a later field cannot show more
    return shown


def _best_window(matched: list[tuple[int, str]]) -> tuple[int, int, int]:
    """The first token of the SIZE-word window with the most distinct query words, then the most matches
    (a sliding window: a PDF's text can match a common word thousands of times)."""
    best = (0, 0, 0)
    inside: Counter[str] = Counter()
    right = 0
    for left, (position, which) in enumerate(matched):
        while right < len(matched) and matched[right][0] < position + SIZE:
            inside[matched[right][1]] += 1
            right += 1
        score = (len(inside), right - left)
        if score > best[1:]:
            best = (position, *score)
        inside[which] -= 1
        if not inside[which]:
            del inside[which]
    return max(0, best[0] - 3), best[1], best[2]  # a few words of context before the first match


def _draw(text: str, tokens: Sequence[tantivy.Token], start: int, hits: set[int], want: Wanted) -> str:
    """The window's text as written, matched words marked; a phrase's words one space apart are one mark."""
    end = min(len(tokens), start + SIZE)
    pieces: list[str] = ["…"] if start > 0 else []
    cursor = tokens[start].char_offset_from
    marking = False
    for i in range(start, end):
        token = tokens[i]
        begin, finish = token.char_offset_from, token.char_offset_to
        gap, word = text[cursor:begin], text[begin:finish]
        hit = i in hits
        joined = hit and gap.isspace() and (tokens[i - 1].text, token.text) in want.pairs
        if marking and not joined:
            pieces.append(HIT_END)
            marking = False
        pieces.append(gap)
        if hit and not marking:
            pieces.append(HIT_START)
            marking = True
        pieces.append(word)
        cursor = finish
    if marking:
        pieces.append(HIT_END)
    pieces.append("…" if end < len(tokens) else text[cursor:])
    return "".join(pieces).strip()
