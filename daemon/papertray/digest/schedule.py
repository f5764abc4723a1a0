"""When the email digest goes out, and the record that makes it go out once.

Never twice: `state/digest.json` (written atomically) records the last slot a digest covered and the ids it
sent (a new version as `<id>v<N>`); it is written the moment the server accepts the message, so a restart right
after sending sends nothing again, and a paper or a version already mailed is not mailed again. Never lost: a slot
missed while the machine slept or was offline is sent when the daemon next looks (the wall clock is re-read at
least every CHECK_SECONDS, because a monotonic sleep does not count a suspend); several missed slots make one
digest covering all their days; a failed send keeps the slot pending and is retried with backoff (1 min doubling
to 1 h), its sentence shown in `status`, the tray (service.py publishes `digest.checked`) and `doctor`.

A digest that was never configured before starts counting at the latest slot: enabling it at 09:00 with
`at = "08:00"` sends the first one tomorrow (or now, with `papertray digest send --now`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from papertray.atomic import write_atomic
from papertray.config import Config
from papertray.digest.contents import Digest, collect
from papertray.digest.email_message import build_message
from papertray.digest.selection import NewVersions, RankedItems, no_ranking, no_versions
from papertray.digest.smtp import SendFailed, send
from papertray.digest_settings import DigestSettings
from papertray.store import Store

log = logging.getLogger(__name__)

RECORD_FILE = "digest.json"
CHECK_SECONDS = 300.0
KEEP_SENT = 30
BACKOFF_FIRST, BACKOFF_MAX = 60.0, 3600.0


def local_now() -> datetime:
    return datetime.now().astimezone()


def latest_slot(now: datetime, settings: DigestSettings) -> datetime:
    """The most recent time a digest was due at or before `now` (weekly: Mondays)."""
    hour, minute = settings.hour_minute
    slot = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if slot > now:
        slot -= timedelta(days=1)
    if settings.schedule == "weekly":
        slot -= timedelta(days=slot.weekday())
    return slot


def backoff(attempts: int) -> float:
    return float(min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


@dataclass
class Record:
    covered_until: str | None = None  # the last slot a digest covered (sent, or skipped as empty)
    attempts: int = 0
    last_error: str | None = None
    next_try_at: str | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Record:
        try:
            data = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            return cls()
        except (OSError, orjson.JSONDecodeError) as exc:
            # an unreadable record must not mean "send everything again": keep the file, start from now
            log.error("digest record unreadable path=%s reason=%s", path, exc)
            return cls(covered_until=local_now().isoformat())
        return cls(
            covered_until=data.get("covered_until"),
            attempts=int(data.get("attempts", 0)),
            last_error=data.get("last_error"),
            next_try_at=data.get("next_try_at"),
            sent=list(data.get("sent", [])),
        )

    def save(self, path: Path) -> None:
        write_atomic(path, orjson.dumps(self.__dict__, option=orjson.OPT_INDENT_2))

    def sent_ids(self) -> set[str]:
        """The papers and paper versions (`2307.12345v2`) digests have sent."""
        return {pid for entry in self.sent for pid in entry.get("papers", [])}


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # "sent" | "empty" | "failed" | "not due" | "unconfigured"
    message: str
    papers: int = 0


class Scheduler:
    def __init__(
        self,
        config: Callable[[], Config],
        store: Store,
        password: Callable[[], Awaitable[str | None]],
        *,
        now: Callable[[], datetime] = local_now,
        ranked: RankedItems = no_ranking,
        versions: NewVersions = no_versions,
    ) -> None:
        self.config = config
        self.store = store
        self.password = password
        self.now = now
        self.ranked = ranked
        self.versions = versions

    @property
    def path(self) -> Path:
        return self.config().paths.state_dir / RECORD_FILE

    def record(self) -> Record:
        return Record.load(self.path)

    def problem(self) -> str | None:
        record = self.record()
        if not self.config().digest.enabled or record.last_error is None:
            return None
        retry = f"; next try {record.next_try_at[11:16]}" if record.next_try_at else ""
        return f"The email digest was not sent (attempt {record.attempts}{retry}): {record.last_error}"

    def digest(self, record: Record, slot: datetime) -> Digest:
        settings = self.config().digest
        covered = datetime.fromisoformat(record.covered_until) if record.covered_until else None
        since = covered.date() if covered else slot.date() - timedelta(days=7 if settings.schedule == "weekly" else 1)
        return collect(self.store, self.config(), slot.date(), since, self.ranked, self.versions, record.sent_ids())

    async def tick(self) -> Outcome:
        """Send the digest if one is due (and its retry time has come); the daemon calls this on its timer."""
        settings = self.config().digest
        if not settings.enabled:
            return Outcome("not due", "The email digest is off.")
        now = self.now()
        slot = latest_slot(now, settings)
        record = self.record()
        if record.covered_until is None:
            record.covered_until = slot.isoformat()  # first time: start counting from the latest slot
            record.save(self.path)
            return Outcome("not due", "The first digest goes out at the next digest time.")
        if slot <= datetime.fromisoformat(record.covered_until):
            return Outcome("not due", "This digest was already sent.")
        if record.next_try_at and now < datetime.fromisoformat(record.next_try_at):
            return Outcome("not due", "Waiting to retry.")
        return await self.send(record, slot, force_empty=settings.send_empty)

    async def send_now(self, *, force_empty: bool = False) -> Outcome:
        return await self.send(self.record(), self.now(), force_empty=force_empty, manual=True)

    async def send(self, record: Record, slot: datetime, *, force_empty: bool, manual: bool = False) -> Outcome:
        config = self.config()
        settings = config.digest
        if not (settings.to and settings.smtp_host):
            return Outcome("unconfigured", f"Set 'to' and 'smtp_host' in [digest] of {config.paths.config_file} first.")
        digest = self.digest(record, slot)
        if digest.empty and not force_empty:
            if not manual:
                record.covered_until, record.attempts, record.last_error, record.next_try_at = (
                    slot.isoformat(),
                    0,
                    None,
                    None,
                )
                record.save(self.path)
            return Outcome("empty", "Nothing new for a digest; none was sent (send_empty = true sends one anyway).")
        message = build_message(digest, to=settings.to, slot=slot.isoformat(), now=self.now())
        try:
            await send(settings, await self.password(), message)
        except SendFailed as exc:
            if not manual:
                record.attempts += 1
                record.last_error = str(exc)
                record.next_try_at = (self.now() + timedelta(seconds=backoff(record.attempts))).isoformat()
                record.save(self.path)
            log.warning("digest not sent attempt=%d reason=%s", record.attempts, exc)
            return Outcome("failed", str(exc))
        ids = [item.paper.id for item in digest.papers]
        keys = sorted({*ids, *(item.key for item in digest.papers)})  # a version's key too: v3 after v2 is news
        covered = datetime.fromisoformat(record.covered_until) if record.covered_until else slot
        record.covered_until = max(slot, covered).isoformat()  # a manual send covers the slot it follows
        record.attempts, record.last_error, record.next_try_at = 0, None, None
        record.sent = [
            *record.sent,
            {
                "slot": slot.isoformat(),
                "sent_at": self.now().isoformat(),
                "message_id": message["Message-ID"],
                "papers": keys,
            },
        ][-KEEP_SENT:]
        record.save(self.path)
        log.info("digest sent papers=%d slot=%s", len(ids), slot.isoformat())
        return Outcome(
            "sent", f"Sent the digest with {len(ids)} paper{'' if len(ids) == 1 else 's'} to {settings.to}.", len(ids)
        )
