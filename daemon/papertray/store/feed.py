"""The feed cache: every paper papertray has ingested, in month shards under `feed/`.

`feed/<yymm>/index.bin` holds the month's summaries in columns (month_index.py; loaded at open, they answer
lookup, list, counts and the source filter from memory); `feed/<yymm>/<nn>.json` the full records of ids whose
number starts with `<nn>` (`old.json` for old-style ids), read on demand into a small LRU cache. Record shards
are written before the month index, which is the commit point: a crash in between leaves records the index does
not list yet, and the next poll simply ingests them again. The writer thread also merges the poll's papers
into the list order (ordering.py), which the loop swaps in together with the new month indexes, so a reader
sees the old indexes and order or the new ones, never a mix. A damaged month index is rebuilt from its record
shards; a first-layout `feed/<yymm>.json` is split into the month layout once, and a JSON month index
(`index.json`, the layout before index.bin; also what an older papertray writes after a downgrade) is turned
into `index.bin` once, with each paper's sources read from its record, and then removed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from papertray.atomic import make_dir_durable, write_atomic
from papertray.errors import NewerDataError, StoreError, UnreadableFile
from papertray.models import Paper, is_canonical_id, sources_of_record
from papertray.store.base import StoreBase
from papertray.store.files import AtomicJSONStorage, storable
from papertray.store.month_index import NAME, MonthIndex, encode, encode_changes
from papertray.store.ordering import ListOrder
from papertray.store.views import IngestResult, Summary, record_shard, shard_key, summary_of
from papertray.timestamps import file_stamp, now_iso

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _FeedWrite:
    """What the feed writer thread hands back: applied to memory only once every file is on disk."""

    shards: dict[tuple[str, str], dict[str, Any]]  # the written shards memory keeps (the others are read again)
    written: set[tuple[str, str]]
    months: dict[str, MonthIndex]
    new: list[Paper]
    updated: int
    unchanged: int
    order: ListOrder | None  # the list order with this write merged in (None: made whole when next asked)


class FeedCache(StoreBase):
    def __len__(self) -> int:
        return sum(len(month) for month in self._months.values())

    def _load_feed(
        self,
        months: list[tuple[Path, Any]],
        binary: list[MonthIndex | UnreadableFile | None],
        flat: list[tuple[Path, Any]],
    ) -> None:
        # A downgrade can leave hundreds of damaged feed files: they are reported together.
        problems_before = len(self.problems)
        try:
            self._load_months(months, binary)
            self._migrate_flat_months(flat)
        finally:
            feed_problems = self.problems[problems_before:]
            if len(feed_problems) > 1:
                del self.problems[problems_before:]
                self.problems.append(
                    f"{len(feed_problems)} feed cache files could not be used and were moved aside "
                    f"(the first: {feed_problems[0][:-1]}); their papers come back with the next polls."
                )

    def _migrate_flat_months(self, flat: list[tuple[Path, Any]]) -> None:
        """Split first-layout feed files into record shards and a month index, then keep the old file as
        `<yymm>.json.v1-<stamp>`."""
        for path, data in flat:
            if isinstance(data, UnreadableFile):
                self._report_unreadable(path, data, "its papers come back with the next polls")
                continue
            if data is None:
                continue
            shards: dict[tuple[str, str], dict[str, Any]] = {}
            for paper_id, doc in data.get("papers", {}).items():
                if isinstance(doc, dict) and is_canonical_id(paper_id) and shard_key(paper_id) == path.stem:
                    shards.setdefault(record_shard(paper_id), {})[paper_id] = doc
            try:
                make_dir_durable(self.feed_dir / path.stem)
                for key, docs in shards.items():
                    merged = {**docs, **self._read_shard(*key)}  # records already in the new layout win
                    AtomicJSONStorage(self._shard_path(key), kind="feed").write({"papers": merged})
                index = self._write_month(path.stem, self._rebuild_month_index(path.stem))
                stamp = file_stamp()
                os.replace(path, path.with_name(f"{path.name}.v1-{stamp}"))
            except (StoreError, OSError) as exc:
                log.warning("could not migrate a first-layout feed file path=%s error=%s", path, exc)
            else:
                log.info("migrated first-layout feed file path=%s papers=%d", path, sum(map(len, shards.values())))
                if len(index):
                    self._months[path.stem] = index

    def _load_months(self, months: list[tuple[Path, Any]], binary: list[MonthIndex | UnreadableFile | None]) -> None:
        for (folder, legacy), loaded in zip(months, binary, strict=True):
            month = folder.name
            rebuilt = f"the month index was rebuilt from {month}'s records"
            index: MonthIndex | None = None
            summaries: dict[str, Summary] | None = None
            if legacy is not None:
                # This papertray writes index.bin only: an index.json is the layout before it, or what an older
                # papertray wrote after a downgrade. Either way it is the newest word on which papers are in.
                if isinstance(legacy, UnreadableFile):
                    self._report_unreadable(legacy.path, legacy, rebuilt)
                    summaries = self._rebuild_month_index(month)
                else:
                    summaries = self._migrate_json_index(month, legacy.get("index", {}))
            elif isinstance(loaded, UnreadableFile):
                self._report_unreadable(loaded.path, loaded, rebuilt)
                summaries = self._rebuild_month_index(month)
            elif loaded is not None:
                index = loaded
            elif any(p.name != "index.json" for p in folder.glob("*.json")):
                summaries = self._rebuild_month_index(month)  # records and no index at all
            if summaries is not None:
                try:
                    index = self._write_month(month, summaries)
                except StoreError as exc:
                    log.warning("could not rewrite month index month=%s error=%s", month, exc)
                    index = MonthIndex.build(month, summaries)
                else:
                    if isinstance(legacy, dict):  # index.bin is durable: the JSON index has nothing left to give
                        (folder / "index.json").unlink(missing_ok=True)
            if index is not None and len(index):
                self._months[month] = index

    def _write_month(self, month: str, content: Mapping[str, Summary] | bytes) -> MonthIndex:
        """Write a month index (the commit point of its month) and return it as memory holds it."""
        raw = content if isinstance(content, bytes) else encode(month, content)
        write_atomic(self.feed_dir / month / NAME, raw)
        return MonthIndex.decode(raw, self.feed_dir / month / NAME)

    def _migrate_json_index(self, month: str, entries: Any) -> dict[str, Summary]:
        """A JSON month index's summaries, each with its paper's sources from the record shards (the JSON
        index did not keep them; only that field is read from a record). Only the papers the index lists: a
        record without an entry was never committed."""
        summaries: dict[str, Summary] = {}
        shards: dict[str, dict[str, Any]] = {}
        for pid, entry in entries.items() if isinstance(entries, dict) else ():
            name = record_shard(pid)[1] if is_canonical_id(pid) else None
            if name is None:
                continue
            if name not in shards:
                shards[name] = self._read_shard(month, name)
            doc = shards[name].get(pid)
            if isinstance(entry, list) and len(entry) >= 4:
                summaries[pid] = (*entry[:4], sources_of_record(doc) if isinstance(doc, dict) else ("hf",))
            elif isinstance(doc, dict):
                try:
                    summaries[pid] = summary_of(Paper.from_dict(doc))
                except (KeyError, TypeError, ValueError):
                    continue
        log.info("migrated a JSON month index month=%s papers=%d", month, len(summaries))
        return summaries

    def _rebuild_month_index(self, month: str) -> dict[str, Summary]:
        index: dict[str, Summary] = {}
        for path in sorted((self.feed_dir / month).glob("*.json")):
            if path.name == "index.json":
                continue
            for doc in self._read_shard(month, path.stem).values():
                try:
                    paper = Paper.from_dict(doc)
                except (KeyError, TypeError, ValueError):
                    continue
                index[paper.id] = summary_of(paper)
        log.info("rebuilt month index month=%s papers=%d", month, len(index))
        return index

    def _shard_path(self, key: tuple[str, str]) -> Path:
        return self.feed_dir / key[0] / f"{key[1]}.json"

    def _read_shard(self, month: str, name: str) -> dict[str, Any]:
        """A record shard's documents from disk; a bad shard is moved aside (the feed can be fetched again).
        A shard from a newer papertray is left as it is and read as empty (its papers fall back to the index)."""
        storage = AtomicJSONStorage(self._shard_path((month, name)), kind="feed")
        try:
            data = self._load_file(storage, "its papers' full records will come back with the next polls")
        except NewerDataError as exc:
            log.warning("record shard from a newer papertray left alone path=%s", exc.path)
            return {}
        papers = (data or {}).get("papers", {})
        return papers if isinstance(papers, dict) else {}

    def _shard(self, key: tuple[str, str]) -> dict[str, Any]:
        docs = self._shards.get(key)
        if docs is None:
            docs = self._read_shard(*key)
            self._cache_shard(key, docs)
        else:
            self._shards.move_to_end(key)
        return docs

    def _cache_shard(self, key: tuple[str, str], docs: dict[str, Any]) -> None:
        self._shards[key] = docs
        self._shards.move_to_end(key)
        while len(self._shards) > self.cache_shards:
            self._shards.popitem(last=False)

    def get_paper(self, paper_id: str) -> Paper | None:
        summary = self._summary(paper_id)
        if summary is None:
            return None
        doc = self._shard(record_shard(paper_id)).get(paper_id)
        if doc is not None:
            try:
                return Paper.from_dict(doc)
            except (KeyError, TypeError, ValueError):
                pass
        # The record shard was lost: what the index knows is better than nothing.
        title, daily_date, upvotes, version, sources = summary
        return Paper(
            id=paper_id, title=title, daily_date=daily_date, upvotes=upvotes or 0, version=version, sources=sources
        )

    # ---------------------------------------------------------------- feed writes

    async def add_papers(self, papers: Sequence[Paper]) -> IngestResult:
        """Merge one poll's papers in one write batch (record shards, then month indexes), then announce."""
        # Shard paths come from ids, so an id must be canonical before it gets near the file system.
        # A number past 64 bits cannot be written: that paper is dropped, never the whole batch with it.
        strange = [p.id for p in papers if not (is_canonical_id(p.id) and storable(p))]
        if strange:
            log.warning("dropped papers with odd ids or numbers count=%d first=%r", len(strange), strange[0][:80])
            papers = [p for p in papers if is_canonical_id(p.id) and storable(p)]
        if not papers:
            return IngestResult((), 0, 0)
        async with self._feed_lock:
            keys = {record_shard(p.id) for p in papers}
            cached = {key: self._shards[key] for key in keys if key in self._shards}
            months = {key[0]: self._months.get(key[0]) for key in keys}
            known = {p.id for p in papers if self._summary(p.id) is not None}
            now = now_iso()
            loop = asyncio.get_running_loop()
            # The list order is merged on the writer thread too (sorting a million papers again on the loop
            # stalled every request for half a second); it is swapped in with the month indexes it was made for.
            base, every = self._order, dict(self._months)
            batch = await self._health.watch(
                "feed",
                loop.run_in_executor(
                    self._feed_writer, lambda: self._write_feed(papers, cached, months, known, now, (base, every))
                ),
            )
            for key in batch.written - batch.shards.keys():
                self._shards.pop(key, None)
            for key, docs in batch.shards.items():
                self._cache_shard(key, docs)
            self._months.update(batch.months)
            if batch.months:
                # A save that moved a paper in the order meanwhile made a new one: this merge missed it.
                self._order = batch.order if self._order is base else None
                self._generation += 1
        for paper in batch.new:
            self.bus.publish("paper.new", {"id": paper.id, "title": paper.title})
        return IngestResult(tuple(batch.new), batch.updated, batch.unchanged)

    def _write_feed(
        self,
        papers: Sequence[Paper],
        cached: Mapping[tuple[str, str], dict[str, Any]],
        months: Mapping[str, MonthIndex | None],
        known: set[str],
        now: str,
        ordered: tuple[ListOrder | None, dict[str, MonthIndex]] = (None, {}),
    ) -> _FeedWrite:
        """Runs on the feed writer thread; touches only files and the copies it is given."""
        self._guard()
        new_months: dict[str, dict[str, Summary]] = {}
        new: dict[str, Paper] = {}
        updated: set[str] = set()
        unchanged = 0
        groups: dict[tuple[str, str], list[Paper]] = {}
        for paper in papers:
            groups.setdefault(record_shard(paper.id), []).append(paper)
        # One record shard at a time, each written and let go unless memory keeps it: a poll's 400
        # replacements touch ~200 shards of ~1,000 records, and holding them all made the garbage collector's
        # full passes (on this thread, holding the interpreter) stall the event loop for up to 1.5 s.
        kept: dict[tuple[str, str], dict[str, Any]] = {}
        written: set[tuple[str, str]] = set()
        for key, group in groups.items():
            base = cached.get(key)
            docs = dict(base if base is not None else self._read_shard(*key))
            fresh = changed = False
            for paper in group:
                doc = docs.get(paper.id)
                current = Paper.from_dict(doc) if doc is not None else None
                record = (
                    current.merged_with(paper) if current else replace(paper, first_seen_at=paper.first_seen_at or now)
                )
                if paper.id in known:
                    if record == current:
                        unchanged += paper.id not in updated
                        continue
                    updated.add(paper.id)  # (also when the index knew it but its record shard was lost)
                else:
                    # New to the index, even when a record was left by a poll that crashed before its index
                    # write: that poll was never acknowledged, so its papers were never announced either.
                    new[paper.id] = record
                    fresh = True
                docs[paper.id] = record.to_dict()
                new_months.setdefault(key[0], {})[paper.id] = summary_of(record)
                changed = True
            if not changed:
                continue
            if not any(k[0] == key[0] for k in written):
                make_dir_durable(self.feed_dir / key[0])
            AtomicJSONStorage(self._shard_path(key), kind="feed").write({"papers": docs})
            written.add(key)
            if fresh or base is not None:  # new papers are read next (notifications); a cached one stays current
                kept[key] = docs
        # The month index goes last: it is what makes the new records visible.
        indexes = {
            month: self._write_month(month, encode_changes(month, months.get(month), changes))
            for month, changes in new_months.items()
        }
        log.debug("feed write shards=%d months=%d new=%d", len(written), len(new_months), len(new))
        moved = [pid for changes in new_months.values() for pid in changes]
        order = _merge_order(ordered[0], {**ordered[1], **indexes}, moved) if indexes else None
        return _FeedWrite(kept, written, indexes, list(new.values()), len(updated), unchanged, order)


def _merge_order(base: ListOrder | None, months: dict[str, MonthIndex], changed: list[str]) -> ListOrder | None:
    """`base` with the changed papers moved to their new places (None when there is no order yet, or it did
    not hold a changed paper where it should: the order is then made whole when next asked for)."""
    if base is None:
        return None
    kept = base.removed(key for pid in changed if (key := base.key_of(pid)) is not None)
    if kept is None:
        log.warning("the list order did not match the month indexes; it is made again count=%d", len(changed))
        return None
    return base.merged(months.values(), kept, changed)
