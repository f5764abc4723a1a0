"""The index: what search answers from, in `<cache>/search/`, used from one worker thread (service.py's).

    index.sqlite3  meta (schema version, the papertray version that built it) and `docs`: one row per paper
                   with a stamp of what was indexed, so a start compares stamps with the store and re-indexes
                   only what changed, and the name of the PDF whose text is indexed
    text/          the text itself, in tantivy (engine.py): titles, abstracts, authors, keywords, categories,
                   tags, notes, PDF text, ranked by BM25

The text is committed first, the stamps after: a kill -9 between the two leaves stamps that do not match, so the
next start indexes those papers again (replacing, never duplicating). SQLite runs in WAL mode with
synchronous=NORMAL; tantivy's commits are atomic (a new meta.json). The index is derived and disposable: files
that are unreadable or from another schema are moved aside or dropped and rebuilt (service.py).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from papertray import __version__
from papertray.safe_text import UNSAFE
from papertray.search.engine import COLUMNS, Entry, TextIndex, TextIndexError, fold, narrowing
from papertray.search.query import Term
from papertray.search.snippets import snippet, wanted

log = logging.getLogger(__name__)

SCHEMA_VERSION = 7  # 5: FTS5 with the reading list's own table; 6: the text in tantivy; 7: docs keeps stamps only
TEXT_FOLDER = "text"
MAX_FIELD_CHARS = 2_000_000  # PDF text beyond this (a 500-page book) adds nothing a search needs


# SQLite's own words for a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB); a full disk, an I/O error or a lock is not
# damage, and the index is kept for a later try. tantivy says which in TextIndexError.damaged.
DAMAGE_CODES = {11, 26}


def is_damage(exc: BaseException) -> bool:
    """Whether an error says the index files themselves are damaged (not the disk full or busy)."""
    if isinstance(exc, TextIndexError):
        return exc.damaged
    if not isinstance(exc, sqlite3.Error):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in DAMAGE_CODES
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


class IndexUnusable(Exception):
    """The files are not a usable index (corrupt, or another schema): `kind` is "corrupt" or "stale"."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Doc:
    id: str
    title: str = ""
    abstract: str = ""
    authors: str = ""
    keywords: str = ""
    categories: str = ""
    tags: str = ""
    notes: str = ""
    state: str = "new"
    source: str = ""
    day: str = ""
    saved: bool = False
    stamp: str = ""


@dataclass(frozen=True, slots=True)
class Filters:
    states: tuple[str, ...] = ()
    source: str | None = None
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None
    saved_only: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    state: str
    day: str
    score: float  # BM25, negated (lower is better, as SQLite's bm25 gave it): the seam for "why it ranks here"
    snippet: str  # with HIT_START/HIT_END around matched words


@dataclass(slots=True)
class Page:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    more: bool = False  # total was capped


def clean(text: str) -> str:
    """Text as it is indexed: control and format characters become spaces (so snippet markers are unambiguous
    and nothing can steer a terminal), and it is bounded."""
    return UNSAFE.sub(" ", text[:MAX_FIELD_CHARS]) if text else ""


class IndexFile:
    def __init__(self, conn: sqlite3.Connection, path: Path, text: TextIndex, fresh: bool) -> None:
        self.conn = conn
        self.path = path
        self.text = text
        self.fresh = fresh  # created empty just now: everything must be indexed

    @staticmethod
    def parts(path: Path) -> list[Path]:
        """Every file and folder of the index at `path` (to move aside or drop together)."""
        return [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm")), path.parent / TEXT_FOLDER]

    @classmethod
    def open(cls, path: Path) -> IndexFile:
        """Open or create the index; IndexUnusable when its files are damaged or from another schema."""
        path.parent.mkdir(parents=True, exist_ok=True)
        folder = path.parent / TEXT_FOLDER
        fresh = not path.exists()
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            if not is_damage(exc):
                raise
            raise IndexUnusable("corrupt", str(exc)) from None
        text = TextIndex(folder)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if fresh or not _has_tables(conn):
                _create(conn)
                shutil.rmtree(folder, ignore_errors=True)  # text without its stamps cannot be trusted
                TextIndex.create(folder)
                fresh = True
            else:
                row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                if row is None or str(row[0]) != str(SCHEMA_VERSION):
                    raise IndexUnusable("stale", f"schema {row[0] if row else 'none'}, not {SCHEMA_VERSION}")
                if not (folder / "meta.json").exists():
                    raise IndexUnusable("stale", "the text folder is missing")
            text.check()
        except IndexUnusable:
            conn.close()
            raise
        except (sqlite3.Error, TextIndexError) as exc:
            conn.close()
            if not is_damage(exc):  # a full disk or an I/O error: the files are kept, the caller says what happened
                raise
            raise IndexUnusable("corrupt", str(exc)) from None
        return cls(conn, path, text, fresh)

    def close(self) -> None:
        """Close both files; the text's last commit failing (a damaged or full disk) loses nothing: stamps are
        written only after a commit, so whatever it held is indexed again at the next start."""
        try:
            self.text.close()
        except TextIndexError as exc:
            log.warning("search index text closed with an error=%s", exc)
        finally:
            self.conn.close()

    def rest(self) -> None:
        """Let go of tantivy's threads and mapped files while nothing is asked (reopened on the next use)."""
        self.text.close()

    def stamps(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, stamp FROM docs"))

    def stamps_of(self, ids: Sequence[str]) -> dict[str, str]:
        marks = ",".join("?" * len(ids))
        return dict(self.conn.execute(f"SELECT id, stamp FROM docs WHERE id IN ({marks})", tuple(ids)))  # noqa: S608

    def pdf_names(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, pdf FROM docs WHERE pdf != ''"))

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM docs").fetchone()[0])

    def upsert(self, docs: Sequence[Doc]) -> None:
        """Index or re-index papers in one commit, keeping the PDF text already indexed for each."""
        docs = list({doc.id: doc for doc in docs}.values())  # the last word on each paper
        if not docs:
            return
        marks = ",".join("?" * len(docs))
        with_pdf = [
            row[0]
            for row in self.conn.execute(
                f"SELECT id FROM docs WHERE pdf != '' AND id IN ({marks})",  # noqa: S608
                [doc.id for doc in docs],
            )
        ]
        kept = self.text.texts_of(with_pdf) if with_pdf else {}
        self._write(docs, {pid: texts.get("fulltext", "") for pid, texts in kept.items()}, pdf_name="")

    def set_fulltext(self, doc: Doc, pdf_name: str, text: str) -> None:
        """Index a paper with its PDF's text (the name is kept, so a start knows which PDF's text is in)."""
        self._write([doc], {doc.id: clean(text)}, pdf_name=pdf_name)

    def _write(self, docs: Sequence[Doc], fulltexts: dict[str, str], *, pdf_name: str) -> None:
        """The text in one commit, then the stamps (and a new PDF's name; "" keeps the one indexed)."""
        entries = []
        for doc in docs:
            texts = {name: clean(getattr(doc, name)) for name in COLUMNS if name not in ("pid", "fulltext")}
            texts["pid"] = doc.id
            texts["fulltext"] = fulltexts.get(doc.id, "")
            entries.append(Entry(doc.id, texts, doc.state, doc.source, doc.day, doc.saved, recency_key(doc.id)))
        self.text.replace(entries)
        with _transaction(self.conn):
            self.conn.executemany(
                "INSERT INTO docs(id, stamp, pdf) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " stamp=excluded.stamp, pdf=CASE WHEN excluded.pdf != '' THEN excluded.pdf ELSE docs.pdf END",
                [(doc.id, doc.stamp, pdf_name) for doc in docs],
            )

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        self.text.delete(ids)
        with _transaction(self.conn):
            self.conn.executemany("DELETE FROM docs WHERE id=?", [(pid,) for pid in ids])

    def search(
        self, terms: Sequence[Term], filters: Filters, *, limit: int, offset: int = 0, cap: int = 10_000
    ) -> Page:
        """Matches best first, equal scores newest first; `total` counts at most `cap` of them (then `more`)."""
        folded = [(words, term.prefix) for term in terms if (words := tuple(t for w in term.words for t in fold(w)))]
        if not folded:
            return Page()
        schema = self.text.schema()
        narrow = list(
            narrowing(schema, filters.states, filters.source, filters.since, filters.until, filters.saved_only)
        )
        found, count = self.text.search(folded, narrow, offset, limit)
        want = wanted(folded)
        hits = [Hit(f.key, f.state, f.day, -f.score, snippet(f.texts, want)) for f in found]
        return Page(hits, min(count, cap), count > cap)


def recency_key(paper_id: str) -> int:
    """A number that grows with an arXiv id's month and number (`2307.12345` → 202307_12345; old-style ids, which
    end in March 2007, sort before every new-style one): papers with equal scores list newest first by it."""
    try:
        if "/" in paper_id:
            archive, rest = paper_id.split("/", 1)
            yy, month, number = int(rest[:2]), int(rest[2:4]), int(rest[4:7])
            year = 1900 + yy if yy >= 91 else 2000 + yy
            return (year * 100 + month) * 100_000 + (zlib.crc32(archive.encode()) % 90) * 1000 + number
        yy, month, number = int(paper_id[:2]), int(paper_id[2:4]), int(paper_id[5:])
        return ((2000 + yy) * 100 + month) * 100_000 + number % 100_000
    except ValueError:
        return 0


def _has_tables(conn: sqlite3.Connection) -> bool:
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {"meta", "docs"} <= names


def _create(conn: sqlite3.Connection) -> None:
    with _transaction(conn):
        for table in ("papers", "reading", "docs", "meta"):  # an older schema's tables, if any
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("CREATE TABLE docs(id TEXT PRIMARY KEY, stamp TEXT NOT NULL, pdf TEXT NOT NULL)")
        conn.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?)",
            [("schema", str(SCHEMA_VERSION)), ("built_by", __version__)],
        )


class _transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error (the connection is in autocommit mode)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
