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
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.daemon import REPO

from bench.search import doc, papers, percentile, poll_docs, query_sets, rss_kb, verdict
from papertray.search.index import COLUMNS, WEIGHTS, WINDOW, Filters, IndexFile, clean
from papertray.search.query import parse, to_fts

FIELDS = dict(zip(COLUMNS, WEIGHTS, strict=True))
BATCH = 500  # the daemon's batch: one commit per 500 papers, as index.py writes one transaction per 500
# --pairs: each field also indexes its adjacent word pairs ("of the" -> one term `of_the`, Lucene's shingles), so a
# two-word phrase is one term lookup with its own stored document frequency instead of two long position lists.
PAIRS_ENV = "PAPERTRAY_BENCH_PAIRS"


def _pairs() -> bool:
    return os.environ.get(PAIRS_ENV) == "1"


def _tantivy() -> Any:
    return importlib.import_module("tantivy")


def _open(tv: Any, path: Path) -> Any:
    builder = tv.SchemaBuilder()
    for name in COLUMNS:
        builder.add_text_field(name, stored=True, tokenizer_name="folded")
        if _pairs():
            builder.add_text_field(name + "2", tokenizer_name="pairs", index_option="freq")
    builder.add_text_field("key", stored=True, tokenizer_name="raw")  # the paper's id, for deletes on re-index
    builder.add_text_field("state", fast=True, tokenizer_name="raw")
    builder.add_text_field("day", fast=True, tokenizer_name="raw")
    builder.add_boolean_field("saved", indexed=True, fast=True)
    path.mkdir(parents=True, exist_ok=True)
    index = tv.Index(builder.build(), path=str(path))
    analyzer = tv.TextAnalyzerBuilder(tv.Tokenizer.simple()).filter(tv.Filter.lowercase())
    index.register_tokenizer("folded", analyzer.filter(tv.Filter.ascii_fold()).build())
    index.register_tokenizer("pairs", tv.TextAnalyzerBuilder(tv.Tokenizer.whitespace()).build())
    return index


def _analyzer(tv: Any) -> Any:
    analyzer = tv.TextAnalyzerBuilder(tv.Tokenizer.simple()).filter(tv.Filter.lowercase())
    return analyzer.filter(tv.Filter.ascii_fold()).build()


def _document(tv: Any, paper_doc: Any, analyzer: Any = None) -> Any:
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
            if analyzer is not None:
                tokens = analyzer.analyze(text)
                document.add_text(name + "2", " ".join(f"{a}_{b}" for a, b in itertools.pairwise(tokens)))
    document.add_text("key", paper_doc.id)
    document.add_text("state", paper_doc.state)
    document.add_text("day", paper_doc.day)
    document.add_boolean("saved", paper_doc.saved)
    return document


def child(out: Path, count: int, threads: int, batch: int) -> None:
    tv = _tantivy()
    started = time.perf_counter()
    index = _open(tv, out)
    analyzer = _analyzer(tv) if _pairs() else None
    writer = index.writer(heap_size=50_000_000, num_threads=threads)
    for number, paper in enumerate(papers(count)):
        writer.add_document(_document(tv, doc(paper, saved=number % 250 == 0), analyzer))
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
    # ru_maxrss counts the memory-mapped segment files a merge reads; RssAnon is the engine's own memory.
    anon = [0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample_anon, args=(proc.pid, done, anon), daemon=True)
    sampler.start()
    text = proc.stdout.read()
    done.set()
    sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, text
    result: dict[str, float] = json.loads(text)
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["anon_mb"] = anon[0] / 1024
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


def _sample_anon(pid: int, done: threading.Event, peak: list[int]) -> None:
    while not done.wait(0.2):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        except OSError:
            return


def build_query(tv: Any, index: Any, text: str) -> Any:
    """query.to_fts in tantivy's terms: each term must match in at least one field, boosted by its weight."""
    schema = index.schema
    analyzer = _analyzer(tv)
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
            elif _pairs():
                pairs = [
                    (tv.Occur.Must, tv.Query.term_query(schema, name + "2", f"{a}_{b}"))
                    for a, b in itertools.pairwise(words)
                ]
                if len(words) > 2:  # adjacent pairs do not make the phrase: its positions are checked too
                    pairs.append(
                        (tv.Occur.Must, tv.Query.const_score_query(tv.Query.phrase_query(schema, name, words), 0.0))
                    )
                query = tv.Query.boolean_query(pairs)
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


def measure_poll(path: Path, count: int) -> None:
    """1,000 new papers as two 500-paper commits (the daemon's batches), then a fresh searcher sees them; the
    papers are deleted again afterwards so that a kept index stays as it was built."""
    tv = _tantivy()
    index = _open(tv, path)
    new = poll_docs()
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    started = time.perf_counter()
    for part in (new[:500], new[500:]):
        for paper_doc in part:
            writer.delete_documents_by_term("key", paper_doc.id)  # a re-index replaces: the daemon's upsert
            writer.add_document(_document(tv, paper_doc, _analyzer(tv) if _pairs() else None))
        writer.commit()
    index.reload()
    seen = index.searcher().search(tv.Query.term_query(index.schema, "day", "2030-01-01"), limit=1).count
    spent = time.perf_counter() - started
    print(
        f"tantivy poll of 1,000 new papers into {count:,}: {spent * 1000:.0f} ms (two commits and a reload; {seen}"
        f" found after it)  target <= 1 s: {verdict(spent <= 1)}"
    )
    for paper_doc in new:
        writer.delete_documents_by_term("key", paper_doc.id)
    writer.commit()
    writer.wait_merging_threads()


def compare(path: Path, fts: Path, sets: dict[str, list[str]]) -> None:
    """Totals and top 20 against papertray's FTS5 index of the same papers (`bench.search --keep` built it)."""
    tv = _tantivy()
    index = _open(tv, path)
    searcher = index.searcher()
    ours = IndexFile.open(fts)
    for label, queries in sets.items():
        totals = 0
        plain: list[float] = []
        windowed: list[float] = []
        for query_text in queries:
            page = ours.search(to_fts(query_text), Filters(), limit=20)
            result = searcher.search(build_query(tv, index, query_text), limit=20)
            ids = {searcher.doc(address)["key"][0] for _, address in result.hits}
            totals += page.total == result.count or (page.more and result.count > page.total)
            shared = len(ids & {hit.id for hit in page.hits}) / max(1, len(page.hits))
            (plain if page.window is None else windowed).append(shared)

        def mean(values: list[float]) -> str:
            return f"{statistics.mean(values):.0%} of {len(values)}" if values else "none"

        print(
            f"tantivy vs FTS5 {label:<11} totals agree {totals}/{len(queries)}; top 20 shared: {mean(plain)} queries"
            f" ranked over all matches, {mean(windowed)} FTS5 ranked among the newest {WINDOW:,}"
        )
    ours.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=250_000)
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument("--threads", type=int, default=1, help="indexing threads (the daemon would use one)")
    parser.add_argument("--batch", type=int, default=BATCH, help="papers per commit")
    parser.add_argument("--keep", type=Path, help="build into (or reuse) this folder instead of a temp one")
    parser.add_argument("--snippets", action="store_true", help="also make a snippet of each hit's abstract")
    parser.add_argument("--pairs", action="store_true", help="index adjacent word pairs for phrase queries")
    parser.add_argument("--compare", type=Path, help="a folder bench.search --keep built: compare results with it")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pairs:
        os.environ[PAIRS_ENV] = "1"  # the build child reads it too
    if args.child:
        child(args.out, args.papers, args.threads, args.batch)
        return 0
    root = args.keep or Path(tempfile.mkdtemp(prefix="papertray-tantivy-bench-"))
    try:
        path = root / "tantivy"
        if not (path / "meta.json").exists():
            built = run_child(path, args.papers, args.threads, args.batch)
            print(
                f"build tantivy{' with pairs' if args.pairs else ''} ({args.threads} thread(s),"
                f" commit every {args.batch:,})"
                f" {built['seconds']:6.1f} s"
                f"  CPU {built['cpu_s']:6.1f} s  disk {built['disk_mb']:5.0f} MB  peak RSS {built['peak_mb']:4.0f} MB"
                f" (anonymous {built['anon_mb']:.0f} MB)"
            )
        opened = time.perf_counter()
        measure_queries(path, query_sets(random.Random(16), args.queries), args.snippets)
        print(
            f"tantivy: open + queries in {time.perf_counter() - opened:.1f} s; process RSS after them"
            f" {rss_kb() / 1024:.0f} MB (the index is memory-mapped: its pages touched count in RSS)"
        )
        measure_poll(path, args.papers)
        if args.compare:
            compare(path, args.compare / "index.sqlite3", query_sets(random.Random(16), args.queries))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
