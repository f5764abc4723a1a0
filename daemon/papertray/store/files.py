"""The store's file format: every store file is a tinydb-shaped JSON object that carries
`{"_meta": {"1": {"schema": N, "kind": …, "papertray": "<version that wrote it>"}}}`, read with orjson and
replaced atomically and durably (`AtomicJSONStorage`).

A file that cannot be used is an `UnreadableFile` (damage: the store moves it aside and carries on). A file
from a newer papertray is a `NewerDataError`: not damage, so nothing may be moved, rewritten or replayed;
the store refuses to open the data, as Firefox does with a profile from a newer version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from papertray import __version__
from papertray.atomic import write_atomic
from papertray.errors import NewerDataError, UnreadableFile
from papertray.models import Paper
from papertray.state_file import decode

SCHEMA_VERSION = 1
META_TABLE = "_meta"


INT64 = range(-(2**63), 2**63)
VERSION = re.compile(r"[0-9][0-9A-Za-z.+-]{0,39}")


def storable(paper: Paper) -> bool:
    """Whether a paper's numbers fit the 64-bit integers orjson writes (a feed may send anything)."""
    return all(
        value is None or (isinstance(value, int) and value in INT64)
        for value in (paper.version, paper.upvotes, paper.num_comments)
    )


def check_schema(meta: Any, path: Path) -> None:
    schema = meta.get("schema") if isinstance(meta, dict) else None
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise UnreadableFile(path, "carries no schema version")
    if schema > SCHEMA_VERSION:
        # Named in a sentence the terminal shows: only something shaped like a version is repeated.
        written_by = meta.get("papertray")
        version = written_by if isinstance(written_by, str) and VERSION.fullmatch(written_by) else None
        raise NewerDataError(path, schema, version, readable=SCHEMA_VERSION)


def file_meta(data: Mapping[str, Any]) -> dict[str, Any]:
    """The `_meta` record of a decoded store file (empty when it has none)."""
    meta = data.get(META_TABLE, {}).get("1", {})
    return meta if isinstance(meta, dict) else {}


def decode_store_file(raw: bytes, path: Path) -> dict[str, dict[str, Any]]:
    def check(data: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(data, dict) or not all(isinstance(table, dict) for table in data.values()):
            raise UnreadableFile(path, "does not have the shape of a papertray store file")
        check_schema(file_meta(data), path)
        return data

    return decode(raw, path, check)


def read_store_file(path: Path) -> dict[str, dict[str, Any]] | None:
    """A store file's content, None when it does not exist; UnreadableFile / NewerDataError otherwise."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be read ({exc.strerror or exc})") from None
    return decode_store_file(raw, path)


class AtomicJSONStorage(Storage):
    """A tinydb Storage that reads with orjson and replaces the file atomically and durably on write.

    With `backup=True` every write lands twice: first in `<name>.bak`, then in the file itself, each a whole
    copy made durable before the next step. So at every instant at least one of the two holds the newest
    content, and whoever deletes what the write folded in (the user journal) waits until both do.
    """

    def __init__(self, path: str | Path, kind: str = "store", backup: bool = False) -> None:
        self.path = Path(path)
        self.kind = kind
        self.backup_path = self.path.with_name(self.path.name + ".bak") if backup else None

    def read(self) -> dict[str, dict[str, Any]] | None:
        return read_store_file(self.path)

    def write(self, data: dict[str, dict[str, Any]], **meta: Any) -> None:
        raw = self.encode(data, **meta)
        if self.backup_path is not None:
            write_atomic(self.backup_path, raw)
        write_atomic(self.path, raw)

    def encode(self, data: Mapping[str, Mapping[str, Any]], **meta: Any) -> bytes:
        header = {"schema": SCHEMA_VERSION, "kind": self.kind, "papertray": __version__, **meta}
        return orjson.dumps({**data, META_TABLE: {"1": header}})

    def close(self) -> None:
        pass


def read_or_error(storage: AtomicJSONStorage) -> Any:
    """A file's content, or the UnreadableFile to report once every read is done; NewerDataError raises."""
    try:
        return storage.read()
    except NewerDataError:
        raise
    except UnreadableFile as exc:
        return exc


MONTH_DIR = re.compile(r"^[0-9]{4}\Z")


def read_feed_layout(feed_dir: Path) -> tuple[list[tuple[Path, Any]], list[tuple[Path, Any]]]:
    """(month folders with their `index.json`, first-layout `feed/<yymm>.json` files with their content),
    each content as `read_or_error` gives it."""
    try:
        months = sorted(p for p in feed_dir.iterdir() if p.is_dir() and MONTH_DIR.match(p.name))
        flat = sorted(p for p in feed_dir.glob("*.json") if MONTH_DIR.match(p.stem))
    except OSError:
        return [], []
    indexes = [(m, read_or_error(AtomicJSONStorage(m / "index.json", kind="feed-index"))) for m in months]
    return indexes, [(path, read_or_error(AtomicJSONStorage(path, kind="feed"))) for path in flat]
