"""Issue 16 at a million papers: the same FTS5 index ranked without bm25's IDF scan, through `apsw` (a SQLite
binding that bundles a current SQLite and lets Python register FTS5 auxiliary functions; the standard library's
sqlite3 can do neither here: no extension loading, no auxiliary-function API).

`ptrank(papers, idf_1, …, idf_n)` is FTS5's bm25 (same k1, b, column weights, row length over average length) with
each phrase's IDF passed in by the caller, as a document-frequency table kept at index time would give it
(Lucene's rule for a phrase: the sum of its words' IDFs; for `word*` the summed frequency of the words it covers).
The frequencies come from an `fts5vocab` table, warmed outside the timing. Both rankings rank the newest 4,000
matches (index.WINDOW) and keep the best 20; the timing is that ranking pass only (no snippets, no total).

Not a product dependency: `pip install --target /tmp/apswlib apsw`, then
    PYTHONPATH=$PWD/daemon:$PWD:/tmp/apswlib python -m bench.search_apsw --keep DIR --queries 100
over the index `python -m bench.search --keep DIR` built.
"""

from __future__ import annotations

import argparse
import importlib
import math
import random
import sqlite3
import statistics
import sys
from operator import mul
from pathlib import Path
from typing import Any

from bench.search import percentile, query_sets
from bench.search_floor import K1, B, cpu_ms, fold
from papertray.search.index import WEIGHTS, WINDOW
from papertray.search.query import parse, to_fts

_WEIGHTS = ", ".join(map(str, WEIGHTS))


def ptrank(api: Any, *idfs: float) -> float:
    if api.aux_data is None:  # once per query: the average row length FTS5 keeps (no scan)
        api.aux_data = api.column_total_size(-1) / max(1, api.row_count)
    norm = K1 * (1 - B + B * api.column_size(-1) / api.aux_data)
    score = 0.0
    for phrase, idf in enumerate(idfs):
        hits = sum(map(mul, WEIGHTS, map(len, api.phrase_locations(phrase))))
        score += idf * hits / (hits + norm)
    return -score * (K1 + 1)


class Ranker:
    def __init__(self, path: Path) -> None:
        apsw = importlib.import_module("apsw")
        self.version = apsw.sqlite_lib_version()
        self.conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
        self.conn.register_fts5_function("ptrank", ptrank)
        self.conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, papers, row)")
        self.rows = int(self.conn.execute("SELECT count(*) FROM docs").fetchone()[0])
        self.df: dict[str, int] = {}

    def freq(self, word: str, prefix: bool) -> int:
        key = word + "*" * prefix
        if key not in self.df:
            args: tuple[str, ...]
            if prefix:
                end = word[:-1] + chr(ord(word[-1]) + 1)
                sql, args = "SELECT sum(doc) FROM vocab WHERE term>=? AND term<?", (word, end)
            else:
                sql, args = "SELECT doc FROM vocab WHERE term=?", (word,)
            row = self.conn.execute(sql, args).fetchone()
            self.df[key] = min(self.rows, int(row[0] or 0)) if row else 0
        return self.df[key]

    def idfs(self, query: str) -> list[float]:
        out = []
        for term in parse(query):
            words = [fold(w) for w in term.words]
            counts = [self.freq(w, term.prefix and n == len(words) - 1) for n, w in enumerate(words)]
            out.append(sum(max(1e-6, math.log((self.rows - c + 0.5) / (c + 0.5))) for c in counts))
        return out

    def bm25(self, expression: str, conn: Any = None) -> list[Any]:
        return list(
            (conn or self.conn).execute(
                f"SELECT rowid, score FROM (SELECT rowid, bm25(papers, {_WEIGHTS}) AS score FROM papers"
                " WHERE papers MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY score, rowid DESC LIMIT 20",
                (expression, WINDOW),
            )
        )

    def own(self, expression: str, idfs: list[float]) -> list[Any]:
        marks = ",".join("?" * len(idfs))
        return list(
            self.conn.execute(
                f"SELECT rowid, score FROM (SELECT rowid, ptrank(papers, {marks}) AS score FROM papers"
                " WHERE papers MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY score, rowid DESC LIMIT 20",
                (*idfs, expression, WINDOW),
            )
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, required=True, help="the folder bench.search --keep built")
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    ranker = Ranker(args.keep / "index.sqlite3")
    stdlib = sqlite3.connect(f"file:{args.keep / 'index.sqlite3'}?mode=ro", uri=True)
    print(
        f"{ranker.rows:,} papers; the ranking pass's CPU p50 / p95 in ms: built-in bm25 through the standard library"
        f" (SQLite {sqlite3.sqlite_version}) and through apsw (SQLite {ranker.version}), ptrank through apsw"
    )
    for label, queries in query_sets(random.Random(16), args.queries).items():
        old, builtin, own, shared = [], [], [], []
        for query in queries:
            expression = to_fts(query)
            idfs = ranker.idfs(query)  # a table lookup in a product; warmed here, outside the timing
            old.append(cpu_ms(ranker.bm25, expression, stdlib)[0])
            spent, theirs = cpu_ms(ranker.bm25, expression)
            builtin.append(spent)
            spent, ours = cpu_ms(ranker.own, expression, idfs)
            own.append(spent)
            shared.append(len({r[0] for r in theirs} & {r[0] for r in ours}) / max(1, len(theirs)))

        def line(values: list[float]) -> str:
            return f"{statistics.median(values):6.2f} / {percentile(values, 0.95):6.2f}"

        print(
            f"{label:<11} bm25 stdlib {line(old)}   bm25 apsw {line(builtin)}   ptrank {line(own)}"
            f"   top 20 shared {statistics.mean(shared):.0%}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
