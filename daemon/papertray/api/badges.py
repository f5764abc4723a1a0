"""Lookup's answer, built fast: per reference as sent, its canonical id and its badge already encoded as JSON.

The extension asks about the same page's ids again and again (each re-scan of a list page), so lookup keeps,
for every reference it has answered, `(canonical id, b'"<id>":{badge}')`. The canonical id of a string never
changes; a badge changes only with a store write, and every such write moves `Store.generation` on (also the
writes that publish no event), so all badges are dropped the moment the generation differs from the one they
were built at (and so does the version watcher's, for a saved paper's "v3 new"). A badge is therefore never
older than the store. Each badge also carries the paper's standing in its day (`rank`, `why`, `for_you`:
ranking/standing.py), so the ranker's generation is part of the key. The answer is spliced from the encoded parts:
byte for byte what `orjson.dumps({"papers": …, "refs": …, "invalid": …})` would give.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from papertray.api.ids import cached_canonical_id
from papertray.ranking.standing import NONE, Standings
from papertray.store import Store
from papertray.versions import VersionWatcher

# A reference as sent (a link, a bare id) -> (canonical id, its encoded badge), or None when it holds no id.
Entry = tuple[str, bytes] | None
_MISSING: Entry = ("", b"")  # compared by identity: not yet answered in this generation


class Badges:
    """Encoded badges by reference, valid for one store generation."""

    MAX_ENTRIES = 100_000
    MAX_REF_LENGTH = 200  # longer references are answered but not kept: no body can fill memory with them

    def __init__(
        self, store: Store, versions: VersionWatcher | None = None, standings: Standings | None = None
    ) -> None:
        self.store = store
        self.versions = versions  # a saved paper's new version is part of its badge ("v3 new")
        self.standings = standings
        self._entries: dict[str, Entry] = {}
        self._generation: tuple[int, int, int] = (-1, -1, -1)

    def answer(self, refs: Iterable[str]) -> bytes:
        """The lookup answer for these references (strings, as validated by the body schema). Runs without
        an `await`, so no write can land half-way through."""
        generation = (
            self.store.generation,
            self.versions.generation if self.versions is not None else 0,
            self.standings.generation if self.standings else 0,
        )
        entries = self._entries
        if generation != self._generation or len(entries) >= self.MAX_ENTRIES:
            entries.clear()
            self._generation = generation
        papers: dict[str, bytes] = {}
        aliases: dict[str, str] = {}
        invalid: list[str] = []
        for ref in refs:
            entry = entries.get(ref, _MISSING)
            if entry is _MISSING:
                entry = self._entry(ref)
                if len(ref) <= self.MAX_REF_LENGTH:
                    entries[ref] = entry
            if entry is None:
                invalid.append(ref)
                continue
            paper_id, badge = entry
            if ref != paper_id:
                aliases[ref] = paper_id
            papers[paper_id] = badge  # a repeat keeps its first place and the same bytes
        rest = orjson.dumps({"refs": aliases, "invalid": invalid})
        return b'{"papers":{' + b",".join(papers.values()) + b"}," + rest[1:]

    def _entry(self, ref: str) -> Entry:
        paper_id = cached_canonical_id(ref)
        if paper_id is None:
            return None
        brief = self.store.view(paper_id).brief()
        new_version = self.versions.new_version(paper_id) if self.versions is not None else None
        if new_version is not None:
            brief["new_version"] = new_version
        standing = self.standings.of(paper_id, dismissed=brief["dismissed"]) if self.standings else NONE
        return paper_id, orjson.dumps({paper_id: {**brief, **standing.to_dict()}})[1:-1]
