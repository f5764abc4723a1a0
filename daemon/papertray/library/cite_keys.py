"""Giving citation keys: each paper of the reading list gets one readable key (citations/keys.py) as soon as its
author or title is known, stored with its user data so that it never changes. Keys are given one batch at a
time under a lock, so two papers never receive the same key."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from papertray.citations.keys import new_key
from papertray.store import PaperView, Store


class CiteKeys:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = asyncio.Lock()

    async def ensure(self, views: Sequence[PaperView]) -> tuple[list[PaperView], list[str]]:
        """`views` again, each with its key where one could be given, and the ids that just received one."""
        async with self._lock:
            taken = self.store.cite_keys()
            changes: dict[str, dict[str, str]] = {}
            for view in views:
                if view.state.cite_key or view.id in changes or not (view.state.saved or view.state.read):
                    continue  # only the reading list's papers: an export of every paper writes no user data
                data = view.to_dict()
                if not (data.get("title") or data.get("authors")):
                    continue  # nothing to make a readable key from yet: exports say arXiv:<id> until then
                key = new_key(data, taken)
                taken[key.casefold()] = view.id
                changes[view.id] = {"cite_key": key}
            if changes:
                # No event: a key is not something the user did (the folders' paper.bib follow in the library).
                await self.store.update_states(changes, event=False)
        if not changes:
            return list(views), []
        return [self.store.view(v.id) if v.id in changes else v for v in views], list(changes)

    def free(self, key: str, paper_id: str) -> bool:
        """Whether an imported key may be kept for `paper_id` (no other paper holds it)."""
        return self.store.cite_keys().get(key.casefold(), paper_id) == paper_id
