"""`[digest]` in config.toml: when and where the email digest goes. Parsed here, called from config.py with its
table reader (so errors name the file, line and key like every other setting). Imports nothing of papertray's,
so config.py can import it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

KNOWN_KEYS = {"schedule", "at", "to", "smtp_host", "smtp_port", "smtp_security", "smtp_user", "send_empty"}
SCHEDULES = ("daily", "weekly", "off")
SECURITY = ("starttls", "tls")
DEFAULT_PORTS = {"starttls": 587, "tls": 465}
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])\Z")
_ADDRESS = re.compile(r"^[^\s@<>,;\"]+@[^\s@<>,;\"]+\.[^\s@<>,;\"]+\Z")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\Z|^\[[0-9A-Fa-f:.]+\]\Z")


class TableReader(Protocol):
    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any: ...

    def error(self, key: str, problem: str) -> Exception: ...


@dataclass(frozen=True, slots=True)
class DigestSettings:
    schedule: str = "off"
    at: str = "08:00"  # local time; a weekly digest goes out on Mondays
    to: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    send_empty: bool = False  # "send even when empty"

    @property
    def enabled(self) -> bool:
        return self.schedule != "off"

    @property
    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.at.split(":")
        return int(hour), int(minute)


def read_digest(reader: TableReader) -> DigestSettings:
    schedule = reader.get("schedule", str, "off")
    if schedule not in SCHEDULES:
        raise reader.error("schedule", '\'schedule\' must be "daily", "weekly" or "off"')
    at = reader.get("at", str, "08:00").strip()
    if not _TIME.match(at):
        raise reader.error("at", "'at' must be a local time like \"08:00\"")
    to = reader.get("to", str, "").strip()
    if to and not (to.isascii() and _ADDRESS.match(to)):
        raise reader.error("to", "'to' must be one email address like \"me@example.org\"")
    host = reader.get("smtp_host", str, "").strip()
    if host and not _HOST.match(host):
        raise reader.error("smtp_host", "'smtp_host' must be a host name like \"smtp.example.org\"")
    security = reader.get("smtp_security", str, "starttls")
    if security not in SECURITY:
        raise reader.error("smtp_security", '\'smtp_security\' must be "starttls" or "tls" (there is no plain mode)')
    port = reader.get("smtp_port", int, DEFAULT_PORTS[security])
    if not 1 <= port <= 65535:
        raise reader.error("smtp_port", "'smtp_port' must be between 1 and 65535")
    user = reader.get("smtp_user", str, "").strip()
    if any(not ch.isprintable() for ch in user):
        raise reader.error("smtp_user", "'smtp_user' must be printable text")
    send_empty = reader.get("send_empty", bool, False)
    if schedule != "off":
        for key, value in (("to", to), ("smtp_host", host)):
            if not value:
                raise reader.error(key, f"'{key}' is needed when 'schedule' is \"{schedule}\"")
    return DigestSettings(schedule, at, to, host, port, security, user, send_empty)
