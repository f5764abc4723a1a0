"""The index file: one SQLite database with an FTS5 table, used from one thread only (service.py's worker).

Layout of `<cache>/search/index.sqlite3`:
    meta    key/value: schema version, the papertray version that built it
    docs    one row per paper: its id and the filter columns (state, source, day, saved) and a stamp of what
            was indexed, so a start compares stamps with the store and re-indexes only what changed
    papers  FTS5 over id, title, abstract, authors, keywords, categories, tags, notes and PDF text, with
            `unicode61 remove_diacritics 2` (Schölkopf = Scholkopf); its rowid is the docs row's
    reading the same for the papers in the reading list only (saved or read), so that searching it stays fast
            however common a word is among all papers

WAL journal with synchronous=NORMAL: a kill -9 mid-update loses at most the last batch, never the file, and the
next start's stamp comparison re-indexes whatever the lost batch held. The index is derived and disposable:
a file that is unreadable or from another schema is moved aside and rebuilt (service.py).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from papertray import __version__
from papertray.safe_text import UNSAFE

SCHEMA_VERSION = 5  # 3: rowids in arXiv-id order; 4: prefix index; 5: the reading list's own table
SLOTS = 8
# A query matching more papers than this is ranked among its newest WINDOW matches (by arXiv id): bm25 costs
# ~2 us a match, so "model" over 250k papers (110k matches) would take 0.25 s; 4,000 keep a search near 10 ms.
WINDOW = 4000
COLUMNS = ("pid", "title", "abstract", "authors", "keywords", "categories", "tags", "notes", "fulltext")
# bm25 weights, in COLUMNS order: a word in the title or the id says far more than one in a 20-page PDF.
WEIGHTS = (8.0, 10.0, 1.0, 4.0, 3.0, 2.0, 6.0, 4.0, 0.3)
HIT_START, HIT_END = "\x02", "\x03"  # snippet markers: control characters never survive into indexed text
MAX_FIELD_CHARS = 2_000_000  # PDF text beyond this (a 500-page book) adds nothing a search needs


# SQLite's own words for a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB); a full disk, an I/O error or a lock is not
# damage, and the index is kept for a later try.
DAMAGE_CODES = {11, 26}


def is_damage(exc: BaseException) -> bool:
    """Whether an sqlite3 error says the file itself is damaged (not the disk full or busy)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in DAMAGE_CODES
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


class IndexUnusable(Exception):
    """The file is not a usable index (corrupt, or another schema): `kind` is "corrupt" or "stale"."""

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
    score: float  # bm25 (lower is better, as SQLite gives it): the seam for "why it ranks here"
    snippet: str  # with HIT_START/HIT_END around matched words


@dataclass(slots=True)
class Page:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    more: bool = False  # total was capped
    window: int | None = None  # ranked among only the newest this many matches (a very common word)


def clean(text: str) -> str:
    """Text as it is indexed: control and format characters become spaces (so snippet markers are unambiguous
    and nothing can steer a terminal), and it is bounded."""
    return UNSAFE.sub(" ", text[:MAX_FIELD_CHARS]) if text else ""


class IndexFile:
    def __init__(self, conn: sqlite3.Connection, path: Path, fresh: bool) -> None:
        self.conn = conn
        self.path = path
        self.fresh = fresh  # created empty just now: everything must be indexed

    @classmethod
    def open(cls, path: Path) -> IndexFile:
        """Open or create the index; IndexUnusable when the file is damaged or from another schema."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            if not is_damage(exc):
                raise
            raise IndexUnusable("corrupt", str(exc)) from None
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if fresh or not _has_tables(conn):
                _create(conn)
                fresh = True
            else:
                row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                if row is None or str(row[0]) != str(SCHEMA_VERSION):
                    raise IndexUnusable("stale", f"schema {row[0] if row else 'none'}, not {SCHEMA_VERSION}")
                # A cheap structural read of the FTS table: damage inside it shows up here, not mid-search.
                conn.execute("INSERT INTO papers(papers, rank) VALUES('integrity-check', 0)")
        except IndexUnusable:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            if not is_damage(exc):  # a full disk or an I/O error: the file is kept, the caller says what happened
                raise
            raise IndexUnusable("corrupt", str(exc)) from None
        return cls(conn, path, fresh)

    def close(self) -> None:
        self.conn.close()

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
        """Index or re-index papers in one transaction, keeping the PDF text already indexed for each."""
        conn = self.conn
        docs = list({doc.id: doc for doc in docs}.values())  # the last word on each paper
        with _transaction(conn):
            existing = dict(
                conn.execute(
                    f"SELECT id, rowid FROM docs WHERE id IN ({','.join('?' * len(docs))})",  # noqa: S608
                    [doc.id for doc in docs],
                )
            )
            fulltext: dict[int, str] = {}
            if existing:
                marks = ",".join("?" * len(existing))
                rowids = list(existing.values())
                fulltext = dict(
                    conn.execute(f"SELECT rowid, fulltext FROM papers WHERE rowid IN ({marks})", rowids)  # noqa: S608
                )
                conn.execute(f"DELETE FROM papers WHERE rowid IN ({marks})", rowids)  # noqa: S608
                conn.execute(f"DELETE FROM reading WHERE rowid IN ({marks})", rowids)  # noqa: S608
            rows = []
            reading = []
            for doc in docs:
                rowid = existing.get(doc.id)
                if rowid is not None:
                    conn.execute(
                        "UPDATE docs SET state=?, source=?, day=?, saved=?, stamp=? WHERE rowid=?",
                        (doc.state, doc.source, doc.day, int(doc.saved), doc.stamp, rowid),
                    )
                else:
                    rowid = _insert_doc(conn, doc)
                rows.append(
                    (
                        rowid,
                        doc.id,
                        clean(doc.title),
                        clean(doc.abstract),
                        clean(doc.authors),
                        clean(doc.keywords),
                        clean(doc.categories),
                        clean(doc.tags),
                        clean(doc.notes),
                        fulltext.get(rowid or 0, ""),
                    )
                )
                if _in_reading_list(doc.state, doc.saved):
                    reading.append(rows[-1])
            for table, values in (("papers", rows), ("reading", reading)):
                conn.executemany(
                    f"INSERT INTO {table}(rowid, {', '.join(COLUMNS)}) VALUES (?{',?' * len(COLUMNS)})",  # noqa: S608
                    values,
                )

    def set_fulltext(self, paper_id: str, pdf_name: str, text: str) -> bool:
        """Index a PDF's text for a paper already indexed; False when the paper is not (yet) in the index."""
        conn = self.conn
        with _transaction(conn):
            row = conn.execute("SELECT rowid FROM docs WHERE id=?", (paper_id,)).fetchone()
            if row is None:
                return False
            old = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM papers WHERE rowid=?", row).fetchone()  # noqa: S608
            if old is None:
                return False
            values = [*old[:-1], clean(text)]
            in_list = conn.execute("SELECT state, saved FROM docs WHERE rowid=?", row).fetchone()
            for table in ("papers", "reading"):
                conn.execute(f"DELETE FROM {table} WHERE rowid=?", row)  # noqa: S608
                if table == "papers" or _in_reading_list(in_list[0], bool(in_list[1])):
                    conn.execute(
                        f"INSERT INTO {table}(rowid, {', '.join(COLUMNS)}) VALUES (?{',?' * len(COLUMNS)})",  # noqa: S608
                        (row[0], *values),
                    )
            conn.execute("UPDATE docs SET pdf=? WHERE rowid=?", (pdf_name, row[0]))
        return True

    def delete(self, ids: Iterable[str]) -> None:
        conn = self.conn
        with _transaction(conn):
            for paper_id in ids:
                row = conn.execute("SELECT rowid FROM docs WHERE id=?", (paper_id,)).fetchone()
                if row is not None:
                    conn.execute("DELETE FROM papers WHERE rowid=?", row)
                    conn.execute("DELETE FROM reading WHERE rowid=?", row)
                    conn.execute("DELETE FROM docs WHERE rowid=?", row)

    def search(self, expression: str, filters: Filters, *, limit: int, offset: int = 0, cap: int = 10_000) -> Page:
        """Matches best first; `total` counts at most `cap` of them (then `more` is set)."""
        narrow: list[str] = []
        narrow_args: list[Any] = []
        if filters.states:
            narrow.append(f"d.state IN ({','.join('?' * len(filters.states))})")
            narrow_args.extend(filters.states)
        if filters.source:
            narrow.append("d.source = ?")
            narrow_args.append(filters.source)
        if filters.since:
            narrow.append("d.day >= ?")
            narrow_args.append(filters.since)
        if filters.until:
            narrow.append("d.day <= ?")
            narrow_args.append(filters.until)
        if filters.saved_only:
            narrow.append("d.saved = 1")
        # The reading list has its own small FTS table: "saved papers about <a common word>" never walks the
        # 100k matches of that word among every paper.
        table = "papers"
        if filters.saved_only or (filters.states and set(filters.states) <= {"saved", "read"}):
            table = "reading"
        clause = f"{table} MATCH ?"
        args: list[Any] = [expression]
        join = ""
        if narrow:
            join = f" JOIN docs d ON d.rowid = {table}.rowid"
            clause += " AND " + " AND ".join(narrow)
            args.extend(narrow_args)
        # One pass ranks the newest WINDOW matches and counts them. bm25() in the select list, not `ORDER BY
        # rank`: with `rank` FTS5 sorts every match itself with its position lists copied into the sort, and
        # sorts them all; here SQLite keeps only the best `limit + offset` (measured 1.5x faster, same scores).
        weights = ", ".join(map(str, WEIGHTS))
        top = self.conn.execute(
            f"SELECT rowid, score, count(*) OVER () FROM (SELECT {table}.rowid AS rowid,"  # noqa: S608
            f" bm25({table}, {weights}) AS score FROM {table}{join} WHERE {clause}"
            f" ORDER BY {table}.rowid DESC LIMIT ?) ORDER BY score, rowid DESC LIMIT ? OFFSET ?",
            (*args, WINDOW, limit, offset),
        ).fetchall()
        counted = int(top[0][2]) if top else 0
        window = None
        if counted >= WINDOW or (not top and offset):  # more matches than were ranked, or a page past the end
            counted = self.conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {table}{join} WHERE {clause} LIMIT ?)",  # noqa: S608
                (*args, cap + 1),
            ).fetchone()[0]
            window = WINDOW if counted > WINDOW else None
        snippets: dict[int, str] = {}
        if top:
            # Snippets for the page only (a snippet for every ranked match would cost more than the ranking).
            marks = ",".join("?" * len(top))
            snippets = dict(
                self.conn.execute(
                    f"SELECT rowid, snippet({table}, -1, '{HIT_START}', '{HIT_END}', '…', 24) FROM {table}"  # noqa: S608
                    f" WHERE {table} MATCH ? AND rowid IN ({marks})",
                    (expression, *[row[0] for row in top]),
                )
            )
        hits: list[Hit] = []
        if top:
            marks = ",".join("?" * len(top))
            docs = {
                row[0]: row[1:]
                for row in self.conn.execute(
                    f"SELECT rowid, id, state, day FROM docs WHERE rowid IN ({marks})",  # noqa: S608
                    [row[0] for row in top],
                )
            }
            for row in top:
                found = docs.get(row[0])
                if found is not None:
                    hits.append(Hit(found[0], found[1], found[2], float(row[1]), snippets.get(row[0]) or ""))
        return Page(hits, min(int(counted), cap), int(counted) > cap, window)


def _in_reading_list(state: str, saved: bool) -> bool:
    return saved or state in ("saved", "read")


def recency_key(paper_id: str) -> int:
    """A number that grows with an arXiv id's month and number (`2307.12345` → 202307_12345; old-style ids, which
    end in March 2007, sort before every new-style one). Rowids are built from it, so "the newest matches" is a
    cheap rowid range for FTS5, whatever order papers were indexed in."""
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


def _insert_doc(conn: sqlite3.Connection, doc: Doc) -> int:
    base = recency_key(doc.id) * SLOTS
    for rowid in range(base, base + SLOTS):  # two old-style archives can share a key: the next slot
        try:
            conn.execute(
                "INSERT INTO docs(rowid, id, state, source, day, saved, stamp, pdf) VALUES (?,?,?,?,?,?,?,'')",
                (rowid, doc.id, doc.state, doc.source, doc.day, int(doc.saved), doc.stamp),
            )
            return rowid
        except sqlite3.IntegrityError:
            continue
    cur = conn.execute(  # every slot taken (cannot happen with real ids): any free rowid
        "INSERT INTO docs(id, state, source, day, saved, stamp, pdf) VALUES (?,?,?,?,?,?,'')",
        (doc.id, doc.state, doc.source, doc.day, int(doc.saved), doc.stamp),
    )
    return int(cur.lastrowid or 0)


def _has_tables(conn: sqlite3.Connection) -> bool:
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {"meta", "docs", "papers", "reading"} <= names


def _create(conn: sqlite3.Connection) -> None:
    with _transaction(conn):
        conn.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS docs(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, state TEXT NOT NULL,"
            " source TEXT NOT NULL, day TEXT NOT NULL, saved INTEGER NOT NULL, stamp TEXT NOT NULL, pdf TEXT NOT NULL)"
        )
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS papers USING fts5({', '.join(COLUMNS)},"
            " tokenize='unicode61 remove_diacritics 2', prefix='3 4')"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS docs_state ON docs(state, day)")
        conn.execute("CREATE INDEX IF NOT EXISTS docs_saved ON docs(saved, day)")
        conn.execute("CREATE INDEX IF NOT EXISTS docs_day ON docs(day)")
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS reading USING fts5({', '.join(COLUMNS)},"
            " tokenize='unicode61 remove_diacritics 2', prefix='3 4')"
        )
        for table in ("papers", "reading"):
            # search() calls bm25() with WEIGHTS itself (faster); `rank` is kept equal to it for a sqlite3 shell.
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES('rank', 'bm25({', '.join(map(str, WEIGHTS))})')")
        conn.executemany(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
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
