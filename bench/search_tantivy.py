"""Issue 16 at a million papers: the `tantivy` engine (Rust, stored document frequencies, positional phrase
queries) on the same synthesized corpus and the same query sets as bench/search.py, as an alternative to FTS5.

Not a product dependency: install it beside the venv and point PYTHONPATH at it, e.g.
    pip install --target /tmp/tvlib tantivy
    PYTHONPATH=$PWD/daemon:$PWD:/tmp/tvlib python -m bench.search_tantivy --papers 1000000 --queries 100

The index mirrors papertray's FTS5 one: the same nine text fields with the same weights (as per-field boosts of
tantivy's BM25), text folded like `unicode61 remove_diacritics 2` (lower case, ASCII folding), the text stored (for
snippets), and state / day / saved as fast fields for filters. A query is tantivy's form of `query.to_fts`: every
term must match in some field (a term, a phrase, or for `word*` a prefix); best 20 with a count of all matches.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.search import REPO, doc, papers, percentile, query_sets, verdict
from papertray.search.index import COLUMNS, WEIGHTS, clean
from papertray.search.query import parse

FIELDS = dict(zip(COLUMNS, WEIGHTS, strict=True))
BATCH = 500  # the daemon's batch: one commit per 500 papers, as index.py writes one transaction per 500


def _tantivy() -> Any:
    return importlib.import_module("tantivy")


def _open(tv: Any, path: Path) -> Any:
    builder = tv.SchemaBuilder()
    for name in COLUMNS:
        builder.add_text_field(name, stored=True, tokenizer_name="folded")
    builder.add_text_field("key", stored=True, tokenizer_name="raw")  # the paper's id, for deletes on re-index
    builder.add_text_field("state", fast=True, tokenizer_name="raw")
    builder.add_text_field("day", fast=True, tokenizer_name="raw")
    builder.add_boolean_field("saved", indexed=True, fast=True)
    path.mkdir(parents=True, exist_ok=True)
    index = tv.Index(builder.build(), path=str(path))
    analyzer = tv.TextAnalyzerBuilder(tv.Tokenizer.simple()).filter(tv.Filter.lowercase())
    index.register_tokenizer("folded", analyzer.filter(tv.Filter.ascii_fold()).build())
    return index


def _document(tv: Any, paper_doc: Any) -> Any:
    values = {
        "pid": paper_doc.id,
        "title": clean(paper_doc.title),
        "abstract": clean(paper_doc.abstract),
        "authors": clean(paper_doc.authors),
        "categories": clean(paper_doc.categories),
    }
    document = tv.Document()
    for name, text in values.items():
        if text:
            document.add_text(name, text)
    document.add_text("key", paper_doc.id)
    document.add_text("state", paper_doc.state)
    document.add_text("day", paper_doc.day)
    document.add_boolean("saved", paper_doc.saved)
    return document


def child(out: Path, count: int, threads: int, batch: int) -> None:
    tv = _tantivy()
    started = time.perf_counter()
    index = _open(tv, out)
    writer = index.writer(heap_size=50_000_000, num_threads=threads)
    for number, paper in enumerate(papers(count)):
        writer.add_document(_document(tv, doc(paper, saved=number % 250 == 0)))
        if (number + 1) % batch == 0:
            writer.commit()
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    print(json.dumps({"seconds": seconds, "disk_mb": size}))


def run_child(out: Path, count: int, threads: int, batch: int) -> dict[str, float]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.search_tantivy",
            "--child",
            "--out",
            str(out),
            "--papers",
            str(count),
            "--threads",
            str(threads),
            "--batch",
            str(batch),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stdout is not None
    text = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, text
    result: dict[str, float] = json.loads(text)
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


def build_query(tv: Any, index: Any, text: str) -> Any:
    """query.to_fts in tantivy's terms: each term must match in at least one field, boosted by its weight."""
    schema = index.schema
    analyzer = tv.TextAnalyzerBuilder(tv.Tokenizer.simple()).filter(tv.Filter.lowercase())
    analyzer = analyzer.filter(tv.Filter.ascii_fold()).build()
    musts = []
    for term in parse(text):
        words = [token for word in term.words for token in analyzer.analyze(word)]
        per_field = []
        for name, weight in FIELDS.items():
            if term.prefix:
                if len(words) == 1:
                    query = tv.Query.regex_query(schema, name, _regex_literal(words[0]) + ".*")
                else:
                    query = tv.Query.phrase_prefix_query(schema, name, words)
            elif len(words) == 1:
                query = tv.Query.term_query(schema, name, words[0])
            else:
                query = tv.Query.phrase_query(schema, name, words)
            per_field.append((tv.Occur.Should, tv.Query.boost_query(query, weight)))
        musts.append((tv.Occur.Must, tv.Query.boolean_query(per_field)))
    return tv.Query.boolean_query(musts)


def _regex_literal(word: str) -> str:
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in word)


def measure_queries(path: Path, sets: dict[str, list[str]], snippets: bool) -> None:
    tv = _tantivy()
    index = _open(tv, path)
    searcher = index.searcher()
    for label, queries in sets.items():
        times, cpu, hits = [], [], []
        for query_text in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            query = build_query(tv, index, query_text)
            result = searcher.search(query, limit=20, count=True)
            if snippets:
                generator = tv.SnippetGenerator.create(searcher, query, index.schema, "abstract")
                for _, address in result.hits:
                    generator.snippet_from_doc(searcher.doc(address)).fragment()
            cpu.append((time.process_time() - started_cpu) * 1000)
            times.append((time.perf_counter() - started) * 1000)
            hits.append(result.count or 0)
        p95 = percentile(times, 0.95)
        print(
            f"tantivy {label:<11} p50 {statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms  max {max(times):6.1f} ms"
            f"  CPU p95 {percentile(cpu, 0.95):6.2f} ms  (median {statistics.median(hits):.0f} matches)"
            f"  target p95 <= 30 ms: {verdict(p95 <= 30)}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=250_000)
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument("--threads", type=int, default=1, help="indexing threads (the daemon would use one)")
    parser.add_argument("--batch", type=int, default=BATCH, help="papers per commit")
    parser.add_argument("--keep", type=Path, help="build into (or reuse) this folder instead of a temp one")
    parser.add_argument("--snippets", action="store_true", help="also make a snippet of each hit's abstract")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.out, args.papers, args.threads, args.batch)
        return 0
    root = args.keep or Path(tempfile.mkdtemp(prefix="papertray-tantivy-bench-"))
    try:
        path = root / "tantivy"
        if not (path / "meta.json").exists():
            built = run_child(path, args.papers, args.threads, args.batch)
            print(
                f"build tantivy ({args.threads} thread(s), commit every {args.batch:,}) {built['seconds']:6.1f} s"
                f"  CPU {built['cpu_s']:6.1f} s  disk {built['disk_mb']:5.0f} MB  peak RSS {built['peak_mb']:4.0f} MB"
            )
        measure_queries(path, query_sets(random.Random(16), args.queries), args.snippets)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
