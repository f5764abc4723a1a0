"""Desktop notifications: turns the new papers of a poll into at most one notification that says which rules
fired, within a daily budget and outside quiet hours. Owns desktop-notifier (the D-Bus probe behind
`papertray doctor` is `notify_probe.py`).

How it flows: `Notifier.run()` collects `paper.new` events from the bus and, when the poll ends (`poll.done` or
`poll.error`, or `settle_seconds` after the last new paper), matches the papers against the rules, asks the
ranking which are among their day's top (`for_you`), and sends one notification coalescing them ("3 new papers —
sae-watch: 2, for you: 1"; notify_text.py words it). Clicking it opens the paper
(one match) or the reading list (several); its "Save" action saves the top match.

What the user can count on, kept in the store's meta so a restart changes nothing:
    notify.notified   ids already notified (or deliberately suppressed): no paper is ever notified twice
    notify.held       matches held back by quiet hours or the spent budget; summarised in one notification
                      once quiet hours end / the budget resets
    notify.budget     {"day": local date, "count": notifications sent that day}
    notify.paused     the tray's Pause switch: while paused, matches are dropped, not held
    notify.caught_up  a catch-up's "Caught up: N papers" line held back (`poll.caught_up`, from arxiv_poller.py)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
import webbrowser
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from papertray.config import Config
from papertray.events import EventBus
from papertray.notify_text import Hit, Message, caught_up_text, compose, matched_sentence, rule_counts, top_hit
from papertray.rules import RuleMatch, match
from papertray.safe_text import clean, markup_text
from papertray.store import Store

__all__ = ["Hit", "Message", "Notifier", "compose", "paper_url", "rule_counts", "top_hit"]  # what tests import

log = logging.getLogger(__name__)

PAPER_URL = "https://huggingface.co/papers/{id}"
NOTIFIED_KEY = "notify.notified"
HELD_KEY = "notify.held"
BUDGET_KEY = "notify.budget"
PAUSED_KEY = "notify.paused"
CAUGHT_UP_KEY = "notify.caught_up"  # a catch-up's one line, while quiet hours or the budget hold it back
USER_SOURCES = frozenset({"library", "import"})  # papers that entered the store through the user's own hand
MAX_REMEMBERED = 20_000  # ids kept in notify.notified; older ones can no longer re-appear as new papers
RELEASE_CHECK_SECONDS = 60.0


def paper_url(paper_id: str) -> str:
    return PAPER_URL.format(id=paper_id)


def local_now() -> datetime:
    return datetime.now().astimezone()


# ---------------------------------------------------------------------------------------------- quiet hours


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """ "22:00-07:00" → (22:00, 07:00); empty, or start == end, → None (no quiet hours)."""
    text = text.strip()
    if not text:
        return None
    start_text, end_text = text.split("-", 1)
    start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    return None if start == end else (start, end)


def in_quiet_hours(now: datetime, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    current = now.time().replace(tzinfo=None)
    if start < end:
        return start <= current < end
    return current >= start or current < end  # the window wraps around midnight


# ---------------------------------------------------------------------------------------------- sending


class Sender(Protocol):
    async def send(self, message: Message) -> None: ...


class DesktopSender:
    """Sends through desktop-notifier (D-Bus on Linux, the notification centre on macOS and Windows).

    The DesktopNotifier is created on first use, inside the event loop that will run its click callbacks.
    """

    def __init__(self, app_name: str = "papertray") -> None:
        self.app_name = app_name
        self._notifier: Any = None

    async def send(self, message: Message) -> None:
        from desktop_notifier import Button, DesktopNotifier, Notification

        if self._notifier is None:
            self._notifier = DesktopNotifier(app_name=self.app_name, app_icon=None)
        # Titles and bodies carry feed text: on D-Bus servers it is escaped, as they render markup (dunst in the
        # summary too, GNOME decodes the entities there); elsewhere nothing renders markup.
        text = clean if sys.platform in ("darwin", "win32") else markup_text
        notification = Notification(
            title=text(message.title),
            message=text(message.body),
            on_clicked=message.on_clicked,
            buttons=tuple(Button(title=title, on_pressed=handler) for title, handler in message.actions),
        )
        await self._notifier.send_notification(notification)


# ---------------------------------------------------------------------------------------------- notifier


@dataclass
class _Budget:
    day: str
    count: int = 0


@dataclass
class Notifier:
    """Consumes new papers from the bus and notifies the desktop. Run `await notifier.run()` as a task.

    `clock` returns the local time (aware); tests pass their own to step through quiet hours and days.
    `open_url` opens a URL in the browser (webbrowser.open by default; it runs on an executor thread).
    """

    config: Callable[[], Config]
    store: Store
    bus: EventBus
    reading_list_url: Callable[[], str]
    sender: Sender = field(default_factory=DesktopSender)
    clock: Callable[[], datetime] = local_now
    open_url: Callable[[str], object] = webbrowser.open
    # Those of the given new papers among their day's top-ranked, with the ranking's short why (ranking/standing.py);
    # the daemon passes its ranker's, so the day's top papers are notified beside rule matches, in the same budget.
    for_you: Callable[[Sequence[str]], dict[str, str]] = lambda ids: {}
    settle_seconds: float = 2.0
    # Where a click on a notification about several papers goes: the matches inbox (falls back to the list).
    inbox_url: Callable[[], str] | None = None
    max_age_days: int | None = None  # papers first listed longer ago are stored silently ([notifications])
    recent: deque[Message] = field(default_factory=lambda: deque(maxlen=20), init=False)
    last_notice: str = field(default="", init=False)  # the last poll, as the tray says it: "3 new, 2 matched, notified"
    _pending: dict[str, None] = field(default_factory=dict, init=False)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    # ------------------------------------------------------------------ pause

    @property
    def paused(self) -> bool:
        return bool(self.store.get_meta(PAUSED_KEY, False))

    async def set_paused(self, paused: bool) -> None:
        await self.store.put_meta(PAUSED_KEY, paused)
        log.info("notifications paused=%s", paused)

    async def toggle_pause(self) -> bool:
        await self.set_paused(not self.paused)
        return self.paused

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """Collect new papers and notify at the end of each poll, until cancelled."""
        events = self.bus.subscribe()
        next_event: asyncio.Task[Any] | None = None
        try:
            while True:
                if next_event is None:
                    next_event = asyncio.ensure_future(anext(events))
                timeout = self.settle_seconds if self._pending else RELEASE_CHECK_SECONDS
                done, _ = await asyncio.wait({next_event}, timeout=timeout)
                if not done:
                    if self._pending:
                        await self._guarded(self.flush)  # new papers but no poll.done: do not sit on them
                    await self._guarded(self.release_held)
                    continue
                event = next_event.result()
                next_event = None
                if event.type == "paper.new" and isinstance(event.data.get("id"), str):
                    self._pending[event.data["id"]] = None
                elif event.type in ("poll.done", "poll.error"):
                    if event.type == "poll.done":
                        # Before the flush: the budget it spends must not turn "notified" into "held back".
                        self._note_poll(event.data.get("new") or [])
                    await self._guarded(self.flush)
                    await self._guarded(self.release_held)
                elif event.type == "poll.caught_up":
                    await self._guarded(functools.partial(self.caught_up, event.data))
        finally:
            if next_event is not None:
                next_event.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await next_event
            close = getattr(events, "aclose", None)  # an async generator: close it so it unsubscribes
            if close is not None:
                await close()
            for task in list(self._tasks):
                task.cancel()

    async def _guarded(self, step: Callable[[], Awaitable[Message | None]]) -> None:
        # A failed write (disk full) loses at most this notification; the loop and the daemon keep running.
        try:
            await step()
        except Exception:
            log.exception("notification step failed step=%s", getattr(step, "__name__", step))

    # ------------------------------------------------------------------ decisions

    def _hits(self, ids: Iterable[str], config: Config) -> list[Hit]:
        notified = set(self.store.get_meta(NOTIFIED_KEY, []))
        held = {item["id"] for item in self.store.get_meta(HELD_KEY, [])}
        age = config.notify_max_age_days if self.max_age_days is None else self.max_age_days
        oldest = (self.clock().date() - timedelta(days=age)).isoformat()
        candidates = []
        for paper_id in ids:
            paper = self.store.get_paper(paper_id)
            if paper is None or paper_id in notified or paper_id in held:
                continue
            if paper.source in USER_SOURCES:  # the user saved or imported it: nothing to tell them
                continue
            if paper.daily_date is not None and paper.daily_date < oldest:
                continue
            candidates.append(paper)
        ranked = self.for_you([p.id for p in candidates]) if candidates else {}
        hits = []
        for paper in candidates:
            matches = tuple(m for m in match(paper, config.rules) if m.notify)
            if matches or paper.id in ranked:
                hits.append(Hit(paper, matches, ranked.get(paper.id, "")))
        return hits

    def _budget(self, today: date) -> _Budget:
        raw = self.store.get_meta(BUDGET_KEY) or {}
        if raw.get("day") == today.isoformat():
            return _Budget(day=raw["day"], count=int(raw.get("count", 0)))
        return _Budget(day=today.isoformat())

    def held_reason(self) -> str | None:
        """Why a match found now would not be notified at once (paused, off, quiet hours, budget), or None."""
        config = self.config()
        if self.paused:
            return "notifications are paused"
        if not config.notifications_enabled or config.daily_budget == 0:
            return "notifications are off in config.toml"
        blocked = self._blocked(config, self.clock())
        return f"held back ({blocked})" if blocked else None

    def matched(self, ids: Iterable[str]) -> int:
        """How many of these papers match a rule that notifies (notified before or not)."""
        rules = self.config().rules
        found = 0
        for paper_id in ids:
            paper = self.store.get_paper(paper_id)
            if paper is not None and any(m.notify for m in match(paper, rules)):
                found += 1
        return found

    def _note_poll(self, ids: Sequence[str]) -> None:
        try:
            self.last_notice = f"{len(ids)} new, {self.poll_notice(ids)}"
        except Exception:  # a broken store read must not stop the notifications that follow
            log.exception("poll notice failed")

    def poll_notice(self, ids: Sequence[str]) -> str:
        """The sentence for a poll that brought `ids`: how many matched and whether they were notified."""
        return matched_sentence(self.matched(ids), self.held_reason(), bool(self.config().rules))

    def _blocked(self, config: Config, now: datetime) -> str | None:
        """Why a notification cannot go out now (held back), or None."""
        if in_quiet_hours(now, parse_quiet_hours(config.quiet_hours)):
            return "quiet hours"
        if self._budget(now.date()).count >= config.daily_budget:
            return "daily budget spent"
        return None

    async def flush(self) -> Message | None:
        """Decide about the papers collected so far: notify, hold back, or drop (paused)."""
        async with self._lock:
            ids, self._pending = list(self._pending), {}
            config = self.config()
            hits = self._hits(ids, config)
            if not hits:
                return None
            if self._silenced(config):
                await self._remember(h.paper.id for h in hits)
                log.info("notification suppressed papers=%d paused=%s", len(hits), self.paused)
                return None
            now = self.clock()
            blocked = self._blocked(config, now)
            if blocked:
                held = list(self.store.get_meta(HELD_KEY, []))
                held += [{"id": h.paper.id, "rules": list(h.rules), "why": h.why} for h in hits]
                await self.store.put_meta(HELD_KEY, held)
                log.info("notification held back papers=%d reason=%s", len(hits), blocked)
                return None
            return await self._send(hits, config, now, held=False)

    async def caught_up(self, data: dict[str, Any]) -> Message | None:
        """One line for a catch-up ("Caught up: 812 papers"), never one per old paper; held by quiet hours or a
        spent budget like a match (the latest catch-up wins), dropped while paused."""
        async with self._lock:
            if data.get("papers"):
                await self.store.put_meta(CAUGHT_UP_KEY, data)
            return await self._release_caught_up(self.config())

    async def _release_caught_up(self, config: Config) -> Message | None:
        data, now = self.store.get_meta(CAUGHT_UP_KEY), self.clock()
        if not isinstance(data, dict) or (self._blocked(config, now) and not self._silenced(config)):
            return None
        await self.store.put_meta(CAUGHT_UP_KEY, None)
        if self._silenced(config):
            return None
        title, body = caught_up_text(data)
        message = Message(title, body, on_clicked=lambda: self._open(self.reading_list_url()))
        return await self._deliver(message, now)

    def _silenced(self, config: Config) -> bool:
        return self.paused or not config.notifications_enabled or config.daily_budget == 0

    async def release_held(self) -> Message | None:
        """Summarise what was held back, once quiet hours are over and the budget allows."""
        async with self._lock:
            await self._release_caught_up(self.config())
            held = list(self.store.get_meta(HELD_KEY, []))
            if not held:
                return None
            config = self.config()
            if self._silenced(config):
                await self._remember(item["id"] for item in held)
                await self.store.put_meta(HELD_KEY, [])
                return None
            now = self.clock()
            if self._blocked(config, now):
                return None
            hits = []
            for item in held:
                paper = self.store.get_paper(item["id"])
                if paper is not None:
                    # Re-match: a rule may have changed meanwhile, but keep the reason it was held for.
                    matches = tuple(m for m in match(paper, config.rules) if m.notify) or tuple(
                        RuleMatch(rule=name, notify=True, reasons=()) for name in item.get("rules", [])
                    )
                    hits.append(Hit(paper, matches, str(item.get("why") or "")))
            await self.store.put_meta(HELD_KEY, [])
            if not hits:
                return None
            return await self._send(hits, config, now, held=True)

    async def _send(self, hits: list[Hit], config: Config, now: datetime, *, held: bool) -> Message:
        title, body = compose(hits, [r.name for r in config.rules], held=held)
        top = top_hit(hits)
        url = paper_url(top.paper.id) if len(hits) == 1 else None
        message = Message(
            title=title,
            body=body,
            on_clicked=lambda: self._open(url or (self.inbox_url or self.reading_list_url)()),
            actions=(("Save", lambda: self._save(top.paper.id)),),
            paper_ids=tuple(h.paper.id for h in hits),
        )
        # Remember first: a crash between the two loses a notification, never repeats one.
        await self._remember(message.paper_ids)
        return await self._deliver(message, now)

    async def _deliver(self, message: Message, now: datetime) -> Message:
        budget = self._budget(now.date())
        await self.store.put_meta(BUDGET_KEY, {"day": budget.day, "count": budget.count + 1})
        try:
            await self.sender.send(message)
        except Exception as exc:  # a missing notification server must not stop the daemon
            log.warning("notification not sent error=%s", exc)
        self.recent.append(message)
        log.info("notified papers=%d title=%r", len(message.paper_ids), message.title)
        return message

    async def send_now(self, title: str, body: str) -> str:
        """A notification outside the rules (versions.py: a saved paper's new version), under the same switches,
        quiet hours and budget: "sent"; "held" (ask again later); "dropped" (paused or off: never sent later).
        A click opens the reading list."""
        async with self._lock:
            config = self.config()
            if self.paused or not config.notifications_enabled or config.daily_budget == 0:
                return "dropped"
            now = self.clock()
            if self._blocked(config, now):
                return "held"
            await self._deliver(Message(title, body, on_clicked=lambda: self._open(self.reading_list_url())), now)
            return "sent"

    async def _remember(self, ids: Iterable[str]) -> None:
        known = dict.fromkeys(self.store.get_meta(NOTIFIED_KEY, []))
        known.update(dict.fromkeys(ids))
        await self.store.put_meta(NOTIFIED_KEY, list(known)[-MAX_REMEMBERED:])

    # ------------------------------------------------------------------ click handlers (run in the loop)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _open(self, url: str) -> None:
        log.info("notification clicked url=%s", url)
        loop = asyncio.get_running_loop()
        self._spawn(loop.run_in_executor(None, self.open_url, url))

    def _save(self, paper_id: str) -> None:
        log.info("notification save id=%s", paper_id)
        self._spawn(self.store.update_state(paper_id, saved=True))
