"""What stands between a log call and papertray.log: outside text cannot forge a line or drive a terminal, and
a repeated line cannot rotate the log's history away.

- `SafeFormatter` writes every dangerous character of a record's message (its arguments included: a URL with
  `%0A` decoded, a feed's error text, an ESC sequence) as a visible escape (safe_text.escape), so each record
  is exactly one line; the lines of a traceback are indented, so none of them can pass for a record of its own.
- `LogGuard` is the root logger's one handler and forwards to the real ones (the file, the console with -v).
  Records with the same logger, level and message template share a token bucket: `burst` of them pass at
  once, then one per `refill_seconds`; the others are counted and said in one line ("… 4,212 more times …")
  when the template passes again, once `refill_seconds` have gone by, or when logging shuts down. A flood of
  malformed requests or of "too many open files" errors thus costs a few lines a minute, not the backups.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from papertray.safe_text import escape

BURST = 10
REFILL_SECONDS = 60.0
MAX_KEYS = 512  # distinct templates tracked; the least recently seen is forgotten first
_Key = tuple[str, int, str]


class SafeFormatter(logging.Formatter):
    """A Formatter whose records are always one line (plus indented traceback lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        # A copy: the record is shared with the other handlers, which must not see it escaped twice.
        safe = logging.makeLogRecord(record.__dict__)
        safe.message = escape(record.message)
        return super().formatMessage(safe)

    def formatException(self, ei: object) -> str:
        return _indented(super().formatException(ei))  # type: ignore[arg-type]

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    return "\n".join("    " + escape(line) for line in text.splitlines())


@dataclass
class _Bucket:
    tokens: float
    updated: float
    suppressed: int = 0
    since: float = 0.0  # when the first suppressed record of the current run came
    template: str = ""
    record: logging.LogRecord | None = None  # the last suppressed record: where the summary says it came from


class LogGuard(logging.Handler):
    """Rate-limits repeated records, then hands each record to `targets` (which format and write it)."""

    def __init__(
        self,
        targets: Sequence[logging.Handler],
        *,
        burst: int = BURST,
        refill_seconds: float = REFILL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(logging.NOTSET)
        self.targets = list(targets)
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.clock = clock
        self._buckets: OrderedDict[_Key, _Bucket] = OrderedDict()
        self._pending: dict[_Key, _Bucket] = {}

    def emit(self, record: logging.LogRecord) -> None:
        now = self.clock()
        key = (record.name, record.levelno, str(record.msg)[:300])
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now, template=key[2])
            self._forget_old()
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) / self.refill_seconds)
            bucket.updated = now
        passes = bucket.tokens >= 1.0
        due = [k for k, b in self._pending.items() if (k == key and passes) or now - b.since >= self.refill_seconds]
        for pending_key in due:
            self._summarise(pending_key, now)
        if passes:
            bucket.tokens -= 1.0
            self._forward(record)
            return
        if bucket.suppressed == 0:
            bucket.since = now
            self._pending[key] = bucket
        bucket.suppressed += 1
        bucket.record = record

    def _summarise(self, key: _Key, now: float) -> None:
        bucket = self._pending.pop(key)
        last = bucket.record
        count, bucket.suppressed, bucket.record = bucket.suppressed, 0, None
        if last is None or count == 0:
            return
        summary = logging.makeLogRecord(
            {
                "name": last.name,
                "levelno": last.levelno,
                "levelname": last.levelname,
                "pathname": last.pathname,
                "lineno": last.lineno,
                "msg": "the same message came %d more times in %.0f s and was not written: %s",
                "args": (count, max(now - bucket.since, 0.0), bucket.template),
            }
        )
        self._forward(summary)

    def _forward(self, record: logging.LogRecord) -> None:
        for target in self.targets:
            if record.levelno >= target.level:
                target.handle(record)

    def _forget_old(self) -> None:
        while len(self._buckets) > MAX_KEYS:
            key = next(iter(self._buckets))
            if key in self._pending:
                self._summarise(key, self.clock())
            del self._buckets[key]

    def flush_summaries(self) -> None:
        """Say what is still counted (logging's shutdown closes this handler first: see `close`)."""
        self.acquire()
        try:
            now = self.clock()
            for key in list(self._pending):
                self._summarise(key, now)
        finally:
            self.release()

    def flush(self) -> None:
        for target in self.targets:
            target.flush()

    def close(self) -> None:
        self.flush_summaries()
        for target in self.targets:
            target.close()
        super().close()
