"""New versions of saved papers: noticed whichever way a higher version reaches the store (an arXiv listing's
`replace` item, Hugging Face, the reading list's own metadata fetch, the daily check in `version_check.py`),
announced once, and shown until the user has looked.

What counts as new: a saved (or read) paper whose stored version is higher than the one the user already had.
That baseline is the version the paper had when papertray saw it saved (at the save), so saving a paper never
announces the versions it already had; a higher version dated (by arXiv) before the save is taken in silently
too, since the user saved it with that version out (the first metadata fetch after a save often finds it).

Announced once: a desktop notification ("v3 of <title> is out") through `notify.Notifier.send_now` (the same
switches, quiet hours and daily budget as the rules' notifications: a held one goes out once they allow, a
paused or disabled one is dropped); `status`, the reading-list page and the extension's mark ("v3 new" beside
Saved) show it. Its PDF is queued at once, so `<id>v3.pdf` lands beside the old one.

When "new" ends: when the user opens that version's PDF (or a later one) from the reading list, marks the
paper read after the version arrived, or takes it off the reading list.

State, in the store's meta through its public `get_meta` / `put_meta`, so a restart neither repeats nor forgets:
    versions.known   {id: N}  the newest version the user had or has been told of (the baseline)
    versions.news    {id: {"version", "was", "title", "found_at", "told"}}  new versions not yet looked at
    versions.history [{"id", "version", "was", "found_at"}]  every new version found, looked at or not, newest
                     last (the digests' "new versions" feed is history; the newest HISTORY_KEEP are kept)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NamedTuple

from papertray.events import EventBus
from papertray.store import Store
from papertray.timestamps import now_iso, parse_iso
from papertray.version_check import CHECK_KEY, reading_list

log = logging.getLogger(__name__)

KNOWN_KEY = "versions.known"
NEWS_KEY = "versions.news"
HISTORY_KEY = "versions.history"
HISTORY_KEEP = 200
SCAN_SECONDS = 300.0  # a look even without an event (a version can arrive through any write)
MAX_LISTED = 3

# (title, body) -> "sent", "held" (quiet hours or the budget: ask again later) or "dropped" (paused, disabled).
Announce = Callable[[str, str], Awaitable[str]]


class NewVersion(NamedTuple):
    """One new version of a saved paper, as the digests list it (a plain tuple to them: digest/ imports no
    versions.py)."""

    id: str
    version: int
    was: int | None
    found_at: str


def headline(version: int, title: str) -> str:
    return f"v{version} of {title} is out"


class VersionWatcher:
    """Follows saved papers' versions. Run `await watcher.run()` as a task; `scan()` after any batch of writes."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        *,
        enqueue: Callable[[list[str]], Awaitable[None]],
        announce: Announce | None = None,
        scan_seconds: float = SCAN_SECONDS,
    ) -> None:
        self.store = store
        self.bus = bus
        self._enqueue = enqueue
        self._announce = announce
        self._scan_seconds = scan_seconds
        self._lock = asyncio.Lock()
        self.generation = 0  # moves on with every change of the news: lookup's badge cache watches it

    # ------------------------------------------------------------------ reading

    def _news(self) -> dict[str, dict[str, Any]]:
        raw = self.store.get_meta(NEWS_KEY, {})
        return raw if isinstance(raw, dict) else {}

    def new_version(self, paper_id: str) -> int | None:
        """The new version of `paper_id` the user has not looked at yet, or None."""
        item = self._news().get(paper_id)
        version = item.get("version") if isinstance(item, dict) else None
        return version if isinstance(version, int) else None

    def history(self) -> list[NewVersion]:
        """Every new version found (looked at or not), newest find first, each paper+version once; news from before
        the history was kept counts too."""
        raw = self.store.get_meta(HISTORY_KEY, [])
        entries = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
        entries += [{"id": pid, **item} for pid, item in self._news().items() if isinstance(item, dict)]
        found: dict[tuple[str, int], NewVersion] = {}
        for entry in entries:
            pid, version, was = entry.get("id"), entry.get("version"), entry.get("was")
            if isinstance(pid, str) and isinstance(version, int):
                at = str(entry.get("found_at") or "")
                found.setdefault((pid, version), NewVersion(pid, version, was if isinstance(was, int) else None, at))
        return sorted(found.values(), key=lambda v: v.found_at, reverse=True)

    def status(self) -> dict[str, Any]:
        """For status, status --json and the API: every new version not yet looked at (newest find first), and
        how the daily check is going (version_check.py)."""
        items = [{"id": pid, **item} for pid, item in self._news().items() if isinstance(item, dict)]
        items.sort(key=lambda item: str(item.get("found_at") or ""), reverse=True)
        check = self.store.get_meta(CHECK_KEY, {})
        return {"new": items, "check": check if isinstance(check, dict) else {}}

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        events = self.bus.subscribe()
        next_event: asyncio.Task[Any] | None = None
        try:
            await self._step(self.scan)
            while True:
                if next_event is None:
                    next_event = asyncio.ensure_future(anext(events))
                done, _ = await asyncio.wait({next_event}, timeout=self._scan_seconds)
                if not done:
                    await self._step(self.scan)
                    continue
                event, next_event = next_event.result(), None
                if event.type == "paper.state":
                    await self._step(functools.partial(self._user_changed, event.data))
                elif event.type in ("poll.done", "versions.checked") or (
                    event.type == "library.progress" and event.data.get("state") == "done"
                ):
                    await self._step(self.scan)
        finally:
            if next_event is not None:
                next_event.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await next_event
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    async def _step(self, step: Callable[[], Awaitable[object]]) -> None:
        # A failed write (disk full) costs this look; the next event or tick tries again.
        try:
            await step()
        except Exception:
            log.exception("version watch step failed")

    # ------------------------------------------------------------------ deciding

    async def scan(self) -> list[str]:
        """Compare every saved paper's stored version with the user's baseline; record, queue and announce what
        is new. Returns the ids with a version found new now."""
        async with self._lock:
            known = dict(self.store.get_meta(KNOWN_KEY, {}) or {})
            news = dict(self._news())
            found: list[str] = []
            changed = False
            for view in reading_list(self.store):
                version = view.version
                if version is None:
                    continue
                base = known.get(view.id)
                if isinstance(base, int) and version <= base:
                    continue
                known[view.id] = version
                changed = True
                if isinstance(base, int) and not self._out_before_save(view.id, version):
                    news[view.id] = {
                        "version": version,
                        "was": base,
                        "title": view.title or view.id,
                        "found_at": now_iso(),
                        "told": False,
                    }
                    found.append(view.id)
            # History and news first: a crash before `known` is written finds the same news again, never loses it
            # (history() keeps each paper+version once).
            if found:
                await self._add_history([{"id": pid, **news[pid]} for pid in found])
                await self._set_news(news)
                log.info("new versions of saved papers ids=%s", ",".join(found))
            if changed:
                await self.store.put_meta(KNOWN_KEY, known)
        if found:
            await self._enqueue(found)  # the new PDF, beside the old one
        await self.announce_pending()
        return found

    def _out_before_save(self, paper_id: str, version: int) -> bool:
        saved_at = self.store.get_state(paper_id).saved_at
        paper = self.store.get_paper(paper_id)
        at = dict(paper.versions).get(version) if paper is not None else None
        return _not_after(at, saved_at)

    async def _user_changed(self, data: dict[str, Any]) -> None:
        paper_id = data.get("id")
        item = self._news().get(paper_id) if isinstance(paper_id, str) else None
        if not isinstance(paper_id, str):
            return
        if not (data.get("saved") or data.get("read")):
            await self._forget([paper_id])
            return
        if paper_id not in (self.store.get_meta(KNOWN_KEY, {}) or {}):
            await self.scan()  # just saved: the version it has now is the user's baseline
            return
        read_at = data.get("read_at")
        if item is not None and _not_after(item.get("found_at"), read_at):
            await self.looked(paper_id, int(item.get("version") or 0))

    async def looked(self, paper_id: str, version: int | None) -> None:
        """The user opened `version` of the paper (None: the newest one there is): its news, if that version or
        an older one, is over."""
        async with self._lock:
            news = dict(self._news())
            item = news.get(paper_id)
            if item is None or (version is not None and version < int(item.get("version") or 0)):
                return
            del news[paper_id]
            await self._set_news(news)
            log.info("new version looked at id=%s", paper_id)

    async def _forget(self, paper_ids: Iterable[str]) -> None:
        async with self._lock:
            news = dict(self._news())
            known = dict(self.store.get_meta(KNOWN_KEY, {}) or {})
            gone = [pid for pid in paper_ids if pid in news or pid in known]
            if not gone:
                return
            for pid in gone:
                news.pop(pid, None)
                known.pop(pid, None)
            await self.store.put_meta(KNOWN_KEY, known)
            await self._set_news(news)

    async def _add_history(self, items: list[dict[str, Any]]) -> None:
        raw = self.store.get_meta(HISTORY_KEY, [])
        kept = list(raw) if isinstance(raw, list) else []
        kept += [{key: item[key] for key in ("id", "version", "was", "found_at")} for item in items]
        await self.store.put_meta(HISTORY_KEY, kept[-HISTORY_KEEP:])

    async def _set_news(self, news: dict[str, dict[str, Any]]) -> None:
        await self.store.put_meta(NEWS_KEY, news)
        self.generation += 1
        self.bus.publish("versions.changed", {"new": len(news)})

    # ------------------------------------------------------------------ telling

    async def announce_pending(self) -> None:
        """One notification for every new version not yet told; held back ones are asked again at the next
        look. Told is written before sending: a crash loses a notification, never repeats one."""
        if self._announce is None:
            return
        async with self._lock:
            news = dict(self._news())
            untold = [(pid, item) for pid, item in news.items() if not item.get("told")]
            if not untold:
                return
            title, body = compose(untold)
            outcome = await self._announce(title, body)
            if outcome == "held":
                return
            for pid, item in untold:
                news[pid] = {**item, "told": True}
            await self._set_news(news)
            log.info("new versions announced papers=%d outcome=%s", len(untold), outcome)


def _not_after(first: object, second: object) -> bool:
    """Both are moments and `first` is not after `second` (moments are compared as times, not as text)."""
    if not (isinstance(first, str) and isinstance(second, str)):
        return False
    try:
        return parse_iso(first) <= parse_iso(second)
    except ValueError:
        return False


def compose(untold: list[tuple[str, dict[str, Any]]]) -> tuple[str, str]:
    """The notification for new versions: one paper by name, several coalesced."""
    if len(untold) == 1:
        _paper_id, item = untold[0]
        was = f" beside v{item['was']}" if item.get("was") else ""
        return headline(item["version"], item["title"]), f"Saved in papertray; its PDF is kept{was}."
    lines = [f"• {headline(item['version'], item['title'])}" for _pid, item in untold[:MAX_LISTED]]
    if len(untold) > MAX_LISTED:
        lines.append(f"and {len(untold) - MAX_LISTED} more")
    return f"New versions of {len(untold)} saved papers", "\n".join(lines)
