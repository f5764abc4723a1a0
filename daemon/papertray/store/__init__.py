"""The store: every paper papertray has ingested (the feed cache) and what the user did with each (user data),
kept in tinydb-shaped JSON files written through `AtomicJSONStorage` (orjson, atomic and durable).
Everything else in papertray holds one `Store` (facade.py) and imports it from here.

Layout under `<data>/`:
    user.json              user data: one document per paper the user touched (seen, saved, read, tags, note…)
    user.json.bak          a second whole copy, written before user.json at every fold of the journal
    user.journal           saves since user.json was last rewritten: one fsynced JSON line per commit, so a
                           save costs a small append, not a rewrite of every state; folded into user.json at
                           open, and in the background whenever it grows past a limit (it is renamed to
                           user.journal.old, new saves start a fresh journal, and a compactor thread writes
                           user.json.bak and user.json and then deletes the old journal). Folds are numbered
                           and a journal's header names the fold it follows, so replay skips what a copy
                           already holds and recovery knows whether anything is missing (user.py, recovery.py)
    feed/<yymm>/index.bin  the month's summaries (title, daily date, upvotes, version, sources) in columns
                           (month_index.py): loaded at open, they answer lookup, list, counts and the source
                           filter from memory; an `index.json` (the JSON layout before it) is migrated once
    feed/<yymm>/<nn>.json  full records (abstract, authors…) of ids whose number starts with <nn> (`old.json`
                           for old-style ids); read on demand into a small LRU cache
    meta.json              small key/value state of other modules (poller bookkeeping)

Shard names come from the id itself (`2307.12345` → `feed/2307/12.json`), so no lookup table is needed, and a
poll rewrites only the month index and record shards of the papers it touched, never years of history. Record
shards are written before the month index, which is the commit point: a crash in between leaves records the
index does not list yet, and the next poll simply ingests them again.

Reads are answered from memory. Writes are durable first (on writer threads: one for user data, so a save
never waits behind a poll, one for the feed cache and meta), and only then applied to memory and announced
on the event bus: an acknowledged write survives a crash, and a failed write changes nothing in memory.
Concurrent saves are group-committed: the saves that arrive while one commit is on disk share the next one.

Every file carries a schema version and the papertray version that wrote it (files.py). An unreadable
file is moved aside as `<name>.corrupt-<UTC timestamp>` (never deleted) and reported in `problems`; user data
then comes back from `user.json.bak` and the journal, and a month index is rebuilt from its record shards. A
file from a newer papertray is not damage: the store refuses to open (`NewerDataError`) and touches nothing.

The package, one job per module (each imports only the ones above it):
    files.py     the file format (schema, kind, version) and `AtomicJSONStorage`, the only user of tinydb
    lock.py      one writer per data folder (an OS lock on the folder); imported by runtime.py, below the rest
    health.py    which kinds of write keep failing, for `problems`
    recovery.py  reading user.json, its backup and the journals at open, and saying what was recovered
    views.py     summaries, shard names from ids, `PaperView`
    month_index.py  a month's summaries as columns and their file, index.bin
    ordering.py  the list order, one array of id codes, merged after each write
    base.py      the state the parts share and how an unreadable file is reported
    feed.py      the feed cache: month indexes and record shards, ingest
    user.py      user data: the journal, group commit, folds
    queries.py   lookup, list order, filters (state, since, source), pages, counts
    facade.py    `Store`: opening, meta.json, closing

Names are loaded on first use (PEP 562), so that `papertray.store.lock`, which runtime.py needs below the
store's layer, can be imported without the rest of the store (which imports runtime.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from papertray.store.facade import Store
    from papertray.store.files import SCHEMA_VERSION, AtomicJSONStorage
    from papertray.store.views import IngestResult, PaperView, SortKey, record_shard, shard_key
    from papertray.timestamps import now_iso as utc_now

__all__ = [
    "SCHEMA_VERSION",
    "AtomicJSONStorage",
    "IngestResult",
    "PaperView",
    "SortKey",
    "Store",
    "record_shard",
    "shard_key",
    "utc_now",
]

# name -> (module, name there). `utc_now` stays for the modules that stamp with it (timestamps.now_iso).
_EXPORTS = {
    "Store": ("papertray.store.facade", "Store"),
    "SCHEMA_VERSION": ("papertray.store.files", "SCHEMA_VERSION"),
    "AtomicJSONStorage": ("papertray.store.files", "AtomicJSONStorage"),
    "IngestResult": ("papertray.store.views", "IngestResult"),
    "PaperView": ("papertray.store.views", "PaperView"),
    "SortKey": ("papertray.store.views", "SortKey"),
    "record_shard": ("papertray.store.views", "record_shard"),
    "shard_key": ("papertray.store.views", "shard_key"),
    "utc_now": ("papertray.timestamps", "now_iso"),
}


if not TYPE_CHECKING:  # the type checker sees the imports above, so a name missing from them is an error

    def __getattr__(name: str) -> Any:
        try:
            module, attr = _EXPORTS[name]
        except KeyError:
            raise AttributeError(f"module 'papertray.store' has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value  # once loaded, an ordinary attribute
        return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
