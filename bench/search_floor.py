"""Issue 16 at a million papers: where a query's time goes in papertray's FTS5 index, and what ranking without
FTS5's bm25() would cost (the IDF scan: bm25 counts every row that matches each phrase, once per query).

Over an index built by `python -m bench.search --keep DIR` (DIR/index.sqlite3), the same query sets, CPU time:
    today         IndexFile.search as the daemon runs it (best 20 with a total)
    match only    the newest 4,000 matching rowids (index.WINDOW), no ranking: the floor of any FTS5 ranking
    vocab df      each query word's document count read from an `fts5vocab` table (instead of bm25's scan)
    own BM25      candidates from FTS5, BM25 computed in Python over their stored text and FTS5's stored row
                  lengths, document frequencies from a table (warmed here from fts5vocab, outside the timing);
                  a phrase's IDF is the sum of its words' (Lucene's rule); top 20 compared with today's
    PYTHONPATH=$PWD/daemon:$PWD python -m bench.search_floor --keep DIR --queries 100
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sqlite3
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.search import percentile, query_sets
from papertray.search.index import WEIGHTS, WINDOW, Filters, IndexFile
from papertray.search.query import Term, parse, to_fts

K1, B = 1.2, 0.75  # FTS5's bm25 constants
TEXT_COLUMNS = 8  # pid … notes: the PDF text column is empty in this corpus
_INSIDE, _AFTER = r"(?<![^\W_])", r"(?![^\W_])"  # a word boundary as unicode61 draws it


def cpu_ms(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.thread_time()
    result = call(*args, **kwargs)
    return (time.thread_time() - started) * 1000, result


def fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def varints(blob: bytes) -> list[int]:
    """FTS5's docsize record: one SQLite varint (big-endian, 7 bits a byte) per column."""
    out, value = [], 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            out.append(value)
            value = 0
    return out


class OwnRank:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, papers, row)")
        self.rows = int(conn.execute("SELECT count(*) FROM docs").fetchone()[0])
        sizes = [sum(varints(r[0])) for r in conn.execute("SELECT sz FROM papers_docsize LIMIT 20000")]
        self.avgdl = sum(sizes) / len(sizes)
        self.df: dict[str, int] = {}

    def doc_freq(self, word: str) -> int:
        if word not in self.df:
            row = self.conn.execute("SELECT doc FROM vocab WHERE term=?", (word,)).fetchone()
            self.df[word] = int(row[0]) if row else 0
        return self.df[word]

    def prefix_freq(self, start: str) -> int:
        end = start[:-1] + chr(ord(start[-1]) + 1)
        found = self.conn.execute("SELECT sum(doc) FROM vocab WHERE term>=? AND term<?", (start, end)).fetchone()
        return min(self.rows, int(found[0] or 0))

    def idf(self, count: int) -> float:
        return max(1e-6, math.log((self.rows - count + 0.5) / (count + 0.5)))

    def prepare(self, terms: list[Term]) -> list[tuple[re.Pattern[str], float]]:
        out = []
        for term in terms:
            words = [fold(w) for w in term.words]
            body = r"[\W_]+".join(map(re.escape, words))
            if term.prefix:
                weight = sum(self.idf(self.doc_freq(w)) for w in words[:-1]) + self.idf(self.prefix_freq(words[-1]))
                out.append((re.compile(_INSIDE + body + r"[^\W_]*", re.I), weight))
            else:
                weight = sum(self.idf(self.doc_freq(w)) for w in words)
                out.append((re.compile(_INSIDE + body + _AFTER, re.I), weight))
        return out

    def search(self, expression: str, phrases: list[tuple[re.Pattern[str], float]]) -> list[int]:
        ids = [r[0] for r in newest(self.conn, expression)]
        scored = []
        columns = ", ".join(f"c.c{n}" for n in range(TEXT_COLUMNS))
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            for row in self.conn.execute(
                f"SELECT c.id, {columns}, d.sz FROM papers_content c JOIN papers_docsize d ON d.id = c.id"
                f" WHERE c.id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                norm = K1 * (1 - B + B * sum(varints(row[-1])) / self.avgdl)
                score = 0.0
                for pattern, weight in phrases:
                    hits = sum(WEIGHTS[c] * len(pattern.findall(row[1 + c])) for c in range(TEXT_COLUMNS) if row[1 + c])
                    score += weight * hits * (K1 + 1) / (hits + norm)
                scored.append((-score, -row[0]))
        scored.sort()
        return [-rowid for _, rowid in scored[:20]]


def newest(conn: sqlite3.Connection, expression: str) -> list[Any]:
    sql = "SELECT rowid FROM papers WHERE papers MATCH ? ORDER BY rowid DESC LIMIT ?"
    return conn.execute(sql, (expression, WINDOW)).fetchall()


def vocab_counts(conn: sqlite3.Connection, words: list[str]) -> list[Any]:
    return [conn.execute("SELECT doc FROM vocab WHERE term=?", (w,)).fetchone() for w in words]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, required=True, help="the folder bench.search --keep built")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--slowest", type=int, default=0, help="also list this many slowest queries of each kind")
    args = parser.parse_args()
    index = IndexFile.open(args.keep / "index.sqlite3")
    own = OwnRank(index.conn)

    def line(values: list[float]) -> str:
        return f"{statistics.median(values):6.2f} / {percentile(values, 0.95):6.2f}" if values else "     -"

    print(f"{own.rows:,} papers; CPU p50 / p95 in ms")
    for label, queries in query_sets(random.Random(16), args.queries).items():
        today, match, vocab, mine, overlap, slow = [], [], [], [], [], []
        for query in queries:
            expression = to_fts(query)
            spent, page = cpu_ms(index.search, expression, Filters(), limit=20)
            today.append(spent)
            spent, _ = cpu_ms(newest, index.conn, expression)
            match.append(spent)
            slow.append((today[-1], spent, query, page.total))
            terms = parse(query)
            if not any(t.prefix for t in terms):
                vocab.append(cpu_ms(vocab_counts, index.conn, [fold(w) for t in terms for w in t.words])[0])
            spent, best = cpu_ms(own.search, expression, own.prepare(terms))
            mine.append(spent)
            ids = {r[0] for r in index.conn.execute(f"SELECT id FROM docs WHERE rowid IN ({','.join(map(str, best))})")}
            overlap.append(len(ids & {h.id for h in page.hits}) / max(1, len(page.hits)))
        print(
            f"{label:<11} today {line(today)}  match only {line(match)}  vocab df {line(vocab)}"
            f"  own BM25 {line(mine)}  (top 20 shared with today: {statistics.mean(overlap):.0%})",
            flush=True,
        )
        for total, matching, query, found in sorted(slow, reverse=True)[: args.slowest]:
            print(f"    {total:6.1f} ms (matching {matching:5.1f} ms)  {found:>6} matches  {query}")
    index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
