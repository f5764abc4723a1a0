"""The text half of the index: a tantivy index (Rust, BM25 with document frequencies kept at index time) in
`<cache>/search/text/`, used from the index's one worker thread.

Each paper is one tantivy document: the nine text fields of `COLUMNS` (stored, for snippets and for re-indexing
a paper with its PDF text kept), its id as the `key` term that replaces it, and the filter fields (state, source,
day as yyyymmdd, saved). Text is folded as search folds a query: split on anything but letters and digits, lower
case, ASCII-folded (Schölkopf = scholkopf).

Phrases are what made FTS5 miss its target at a million papers: `"in a"` intersects two position lists of nearly
every paper. So the fields where phrases are typed also index each pair of adjacent words as one term (`in_a`,
Lucene's shingles, no positions): a phrase is the intersection of its pairs' short postings, with a positional
check only for phrases of three words or more (docs/benchmarks.md, "tantivy side by side").

tantivy's own threads (a meta.json watcher that polls twice a second, the writer's merge threads) exist only while
the index is open, so the search service closes it once writes are done and searches have been quiet for a while
(service.REST_SECONDS), and an idle daemon has none (`close`; the next use opens it again in about a millisecond).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

import tantivy

P = ParamSpec("P")
R = TypeVar("R")

COLUMNS = ("pid", "title", "abstract", "authors", "keywords", "categories", "tags", "notes", "fulltext")
# BM25 boosts, in COLUMNS order: a word in the title or the id says far more than one in a 20-page PDF.
WEIGHTS = (8.0, 10.0, 1.0, 4.0, 3.0, 2.0, 6.0, 4.0, 0.3)
PAIRED = ("pid", "title", "abstract", "authors", "keywords")  # long or common-worded: their word pairs are indexed
PAIRS = "_pairs"  # the pair field of `title` is `title_pairs`
WRITER_HEAP = 20_000_000  # bytes; tantivy's floor is 15 MB a thread, and a 500-paper batch needs far less
FOLDED, SPACED = "folded", "spaced"
TIE_LIMIT = 5_000  # matches read to order papers with equal scores at a page's edge
TIE_MARGIN = 32  # matches read past the page, so that a small group of equal scores at its edge costs no re-search


class TextIndexError(Exception):
    """tantivy could not do what was asked; `damaged` when the files themselves are unreadable."""

    def __init__(self, detail: str, *, damaged: bool) -> None:
        super().__init__(detail)
        self.damaged = damaged


# tantivy reports everything as ValueError; a full disk, an I/O error or a lock is said in the OS's words (kept for
# a later try), damage in its own (moved aside).
_NOT_DAMAGE = re.compile(
    r"os error (4|5|11|13|16|28|30|122)\b|no space|permission denied|read-only|\block", re.IGNORECASE
)


def _failure(exc: BaseException) -> TextIndexError:
    text = str(exc) or type(exc).__name__
    return TextIndexError(text, damaged=not _NOT_DAMAGE.search(text))


def _translated(method: Callable[P, R]) -> Callable[P, R]:
    """tantivy's errors as TextIndexError. Damaged files can also make its Rust code panic, which pyo3 raises as
    a PanicException (a BaseException, so that `except Exception` misses it): that is damage too."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except TextIndexError:
            raise
        except BaseException as exc:
            if isinstance(exc, ValueError) or type(exc).__name__ == "PanicException":
                raise _failure(exc) from None
            raise

    return call


def _analyzer() -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
    return builder.filter(tantivy.Filter.ascii_fold()).build()


ANALYZER = _analyzer()  # the same folding for documents, queries and snippets


def fold(text: str) -> list[str]:
    return ANALYZER.analyze(text)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in COLUMNS:
        builder.add_text_field(name, stored=True, tokenizer_name=FOLDED)
        if name in PAIRED:
            builder.add_text_field(name + PAIRS, tokenizer_name=SPACED, index_option="freq")
    builder.add_text_field("key", stored=True, tokenizer_name="raw")
    builder.add_text_field("state", stored=True, tokenizer_name="raw")
    builder.add_text_field("source", tokenizer_name="raw")
    builder.add_unsigned_field("day", stored=True, indexed=True, fast=True)
    builder.add_boolean_field("saved", indexed=True)
    builder.add_unsigned_field("recency", fast=True)  # index.recency_key of the id: equal scores, newest first
    return builder.build()


def day_number(day: str | None) -> int:
    """`2024-02-05` → 20240205; anything else → 0 (no day known)."""
    if not day or len(day) < 10 or not day[:4].isdigit() or not day[5:7].isdigit() or not day[8:10].isdigit():
        return 0
    return int(day[:4]) * 10_000 + int(day[5:7]) * 100 + int(day[8:10])


def day_text(number: int) -> str:
    return f"{number // 10_000:04d}-{number // 100 % 100:02d}-{number % 100:02d}" if number else ""


@dataclass(frozen=True, slots=True)
class Entry:
    """One paper as the text index holds it (text already cleaned by index.clean)."""

    key: str
    texts: dict[str, str]  # COLUMNS → text
    state: str
    source: str
    day: str
    saved: bool
    recency: int


@dataclass(frozen=True, slots=True)
class Found:
    key: str
    state: str
    day: str
    score: float  # BM25 (a prefix alone: its field's weight), higher is better
    texts: dict[str, str]


def _document(entry: Entry) -> tantivy.Document:
    document = tantivy.Document()
    for name in COLUMNS:
        text = entry.texts.get(name, "")
        if not text:
            continue
        document.add_text(name, text)
        if name in PAIRED:
            document.add_text(name + PAIRS, " ".join(f"{a}_{b}" for a, b in itertools.pairwise(fold(text))))
    document.add_text("key", entry.key)
    document.add_text("state", entry.state)
    if entry.source:
        document.add_text("source", entry.source)
    document.add_unsigned("day", day_number(entry.day))
    document.add_boolean("saved", entry.saved)
    document.add_unsigned("recency", entry.recency)
    return document


class TextIndex:
    """The tantivy index in `folder`: every method raises TextIndexError for whatever tantivy could not do."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index: tantivy.Index | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._stale = True  # the searcher must be reloaded before it sees the last commit

    @staticmethod
    @_translated
    def create(folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tantivy.Index(_schema(), path=str(folder), reuse=False)

    @_translated
    def _open(self) -> tantivy.Index:
        if self._index is None:
            index = tantivy.Index.open(str(self.folder))
            if not _same_fields(index.schema):
                raise TextIndexError("the text index has other fields than this version's", damaged=True)
            index.register_tokenizer(FOLDED, _analyzer())
            index.register_tokenizer(SPACED, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
            index.config_reader("manual")
            self._index = index
            self._stale = True
        return self._index

    @_translated
    def check(self) -> int:
        """Open the files and read every segment's term dictionary once (damage shows here, not mid-search);
        the number of papers held."""
        searcher = self._searcher()
        searcher.search(tantivy.Query.term_query(self._open().schema, "pid", "0"), 1, count=True)
        return int(searcher.num_docs)

    @_translated
    def close(self) -> None:
        """Commit what is pending and let go of every tantivy thread and mapped file (reopened on next use)."""
        writer, self._writer, self._index = self._writer, None, None
        if writer is not None:
            writer.commit()
            writer.wait_merging_threads()

    @_translated
    def replace(self, entries: Sequence[Entry]) -> None:
        """Index these papers in one commit, replacing whatever was indexed under their ids (a re-index after a
        kill -9 between this commit and the docs table's never leaves two copies)."""
        writer = self._writing()
        try:
            for entry in entries:
                writer.delete_documents_by_term("key", entry.key)
                writer.add_document(_document(entry))
            writer.commit()
        except BaseException:
            self._abandon_writer()
            raise
        self._stale = True

    @_translated
    def delete(self, keys: Iterable[str]) -> None:
        writer = self._writing()
        try:
            for key in keys:
                writer.delete_documents_by_term("key", key)
            writer.commit()
        except BaseException:
            self._abandon_writer()
            raise
        self._stale = True

    def _writing(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._open().writer(heap_size=WRITER_HEAP, num_threads=1)
        return self._writer

    def _abandon_writer(self) -> None:
        """Drop a writer whose commit failed. wait_merging_threads ends the Rust writer and frees its lock even
        while the failure's traceback still holds the Python object (or the next writer would find it busy)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(BaseException):
                writer.rollback()
            with contextlib.suppress(BaseException):
                writer.wait_merging_threads()

    def _searcher(self) -> tantivy.Searcher:
        index = self._open()
        if self._stale:
            index.reload()
            self._stale = False
        return index.searcher()

    @_translated
    def texts_of(self, keys: Sequence[str]) -> dict[str, dict[str, str]]:
        """The stored text of these papers (to re-index one with its PDF text kept)."""
        found: dict[str, dict[str, str]] = {}
        searcher = self._searcher()
        schema = self._open().schema
        for key in keys:
            hits = searcher.search(tantivy.Query.term_query(schema, "key", key), 1, count=False).hits
            if hits:
                found[key] = _texts(searcher.doc(hits[0][1]))
        return found

    @_translated
    def search(
        self, terms: Sequence[tuple[tuple[str, ...], bool]], narrow: Sequence[tantivy.Query], offset: int, limit: int
    ) -> tuple[list[Found], int]:
        """A page of matches for these terms (folded words and whether each is a prefix), and how many match."""
        if len(terms) == 1 and terms[0][1] and len(terms[0][0]) == 1:  # `interp*` alone
            return self._newest_by_field(terms[0][0][0], narrow, offset, limit)
        return self._ranked(self._query(terms, narrow), offset, limit)

    def _ranked(self, query: tantivy.Query, offset: int, limit: int) -> tuple[list[Found], int]:
        """A page of matches, best first and equal scores newest first, and how many match in all.

        Scores are BM25 times log2(2 + recency key), tantivy's `weight_by_field`: over the 35 years of arXiv ids
        that factor varies by 0.08 %, so it never reorders papers whose relevance differs by more, and papers of
        equal relevance (the same text under two ids, a prefix matching the same fields) come newest first.
        """
        searcher = self._searcher()
        wanted = offset + limit
        fetch = wanted + TIE_MARGIN
        result = searcher.search(query, fetch + 1, count=True, weight_by_field="recency")
        count, hits = _count(result), result.hits
        # Papers whose weighted scores are still equal (ids close together) must all be here to be ordered by
        # id at the page's edge; past TIE_LIMIT of them, tantivy's order decides.
        while len(hits) > fetch and hits[fetch][0] == hits[min(wanted, len(hits)) - 1][0] and fetch < TIE_LIMIT:
            fetch = min(TIE_LIMIT, fetch * 4)
            hits = searcher.search(query, fetch + 1, count=False, weight_by_field="recency").hits
        addresses = [address for _, address in hits]
        recency = searcher.fast_field_values("recency", addresses) if addresses else []
        order = sorted(range(len(hits)), key=lambda i: (-hits[i][0], -(recency[i] or 0)))
        page = [(addresses[i], float(hits[i][0]) / math.log2(2 + (recency[i] or 0))) for i in order[offset:wanted]]
        return [_found(searcher, address, score) for address, score in page], count  # BM25 again

    def _newest_by_field(
        self, stem: str, narrow: Sequence[tantivy.Query], offset: int, limit: int
    ) -> tuple[list[Found], int]:
        """`stem*` alone: papers where it matches in the title first, newest first, then those where it matches
        in the id but not the title, and so on down the fields' weights (its score is that field's weight).

        A prefix scores the same for every paper it matches in the same fields, so ranking it by score would
        order thousands of ties; read by recency within each field instead, the page costs one short search
        per field it reaches (the title usually fills it) and one count.
        """
        searcher = self._searcher()
        schema = self._open().schema
        wanted = offset + limit
        fields = sorted(zip(WEIGHTS, COLUMNS, strict=True), reverse=True)
        regexes = [_field_query(schema, name, (stem,), True) for _, name in fields]
        filters = [(tantivy.Occur.Must, tantivy.Query.const_score_query(query, 0.0)) for query in narrow]
        page: list[tuple[tantivy.DocAddress, float]] = []
        for rank, (weight, _) in enumerate(fields):
            if len(page) >= wanted:
                break
            higher = [(tantivy.Occur.MustNot, regex) for regex in regexes[:rank]]
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, regexes[rank]), *higher, *filters])
            hits = searcher.search(query, wanted - len(page), count=False, order_by_field="recency").hits
            page.extend((address, weight) for _, address in hits)
        anywhere = tantivy.Query.boolean_query([(tantivy.Occur.Should, regex) for regex in regexes])
        every = tantivy.Query.boolean_query([(tantivy.Occur.Must, anywhere), *filters])
        count = _count(searcher.search(every, 1, count=True))
        return [_found(searcher, address, score) for address, score in page[offset:wanted]], count

    def _query(self, terms: Sequence[tuple[tuple[str, ...], bool]], narrow: Sequence[tantivy.Query]) -> tantivy.Query:
        """Every term (a word, a phrase, a `word*` prefix: folded words and whether it is a prefix) must match in
        some field, each field's match boosted by its weight; `narrow` are filters that add nothing to the score."""
        schema = self._open().schema
        musts: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for words, prefix in terms:
            fields = []
            for name, weight in zip(COLUMNS, WEIGHTS, strict=True):
                query = _field_query(schema, name, words, prefix)
                fields.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, weight)))
            musts.append((tantivy.Occur.Must, tantivy.Query.boolean_query(fields)))
        musts.extend((tantivy.Occur.Must, tantivy.Query.const_score_query(query, 0.0)) for query in narrow)
        return tantivy.Query.boolean_query(musts)

    @_translated
    def schema(self) -> tantivy.Schema:
        return self._open().schema


def _field_query(schema: tantivy.Schema, name: str, words: tuple[str, ...], prefix: bool) -> tantivy.Query:
    if prefix:
        # `stem*` scores its field's weight, whatever word it matched (as Lucene's prefix queries do): ranking
        # its commonest words by BM25 instead doubled its p95 at a million papers (docs/benchmarks.md).
        if len(words) == 1:
            return tantivy.Query.regex_query(schema, name, re.escape(words[0]) + ".*")
        return tantivy.Query.phrase_prefix_query(schema, name, list(words))
    if len(words) == 1:
        return tantivy.Query.term_query(schema, name, words[0])
    if name not in PAIRED:
        return tantivy.Query.phrase_query(schema, name, list(words))
    pairs: list[tuple[tantivy.Occur, tantivy.Query]] = [
        (tantivy.Occur.Must, tantivy.Query.term_query(schema, name + PAIRS, f"{a}_{b}", index_option="freq"))
        for a, b in itertools.pairwise(words)
    ]
    if len(words) > 2:  # its pairs in a paper do not make the phrase ("a b … b c"): positions decide
        phrase = tantivy.Query.phrase_query(schema, name, list(words))
        pairs.append((tantivy.Occur.Must, tantivy.Query.const_score_query(phrase, 0.0)))
    return tantivy.Query.boolean_query(pairs)


def narrowing(
    schema: tantivy.Schema, states: Sequence[str], source: str | None, since: str | None, until: str | None, saved: bool
) -> Iterator[tantivy.Query]:
    if states:
        yield tantivy.Query.term_set_query(schema, "state", list(states))
    if source:
        yield tantivy.Query.term_query(schema, "source", source)
    if since or until:
        low, high = day_number(since) or None, day_number(until) or None
        yield tantivy.Query.range_query(schema, "day", tantivy.FieldType.Unsigned, low, high)
    if saved:
        yield tantivy.Query.term_query(schema, "saved", True)


def _count(result: tantivy.SearchResult) -> int:
    return int(getattr(result, "count", 0) or 0)  # in tantivy-py's result, not in its stubs


def _found(searcher: tantivy.Searcher, address: tantivy.DocAddress, score: float) -> Found:
    document = searcher.doc(address)
    return Found(
        key=str(document.get_first("key") or ""),
        state=str(document.get_first("state") or ""),
        day=day_text(int(document.get_first("day") or 0)),
        score=score,
        texts=_texts(document),
    )


def _texts(document: tantivy.Document) -> dict[str, str]:
    values = document.to_dict()
    return {name: str(values[name][0]) for name in COLUMNS if values.get(name)}


def _same_fields(schema: tantivy.Schema) -> bool:
    """Whether a text index on disk has this version's fields (tantivy-py shows a schema only by using it)."""
    try:
        for name in ("key", "state", "source", *COLUMNS, *(n + PAIRS for n in PAIRED)):
            tantivy.Query.term_query(schema, name, "x")
        tantivy.Query.term_query(schema, "day", 0)
        tantivy.Query.term_query(schema, "saved", True)
        tantivy.Query.term_query(schema, "recency", 0)
    except ValueError:
        return False
    return True
