"""The digest's line in `papertray doctor`: its settings, the last failure in the server's words, and with
`--smtp` a real connection, TLS handshake and login (nothing is sent)."""

from __future__ import annotations

import asyncio

from papertray.config import Config
from papertray.credentials import INSECURE_FILE, Credentials
from papertray.digest.schedule import RECORD_FILE, Record
from papertray.digest.service import PASSWORD_NAME
from papertray.digest.smtp import SendFailed, check_login
from papertray.doctor import Check
from papertray.errors import KeyringUnavailable


def check_digest(config: Config, smtp: bool = False) -> Check:
    settings = config.digest
    if not settings.enabled:
        return Check("digest", True, "email digest off ([digest] schedule in config.toml)")
    where = f"{settings.schedule} at {settings.at} to {settings.to} via {settings.smtp_host}:{settings.smtp_port}"
    record = Record.load(config.paths.state_dir / RECORD_FILE)
    if smtp:
        state = config.paths.state_dir
        try:
            password = Credentials(state, insecure_file=(state / INSECURE_FILE).exists()).get(PASSWORD_NAME)
        except KeyringUnavailable as exc:
            return Check("digest", False, f"{where}: {exc}", "papertray secrets set smtp_password")
        try:
            asyncio.run(check_login(settings, password))
        except SendFailed as exc:
            return Check("digest", False, str(exc), "check [digest] in config.toml and the SMTP password")
        return Check("digest", True, f"{where}: connected, TLS verified, logged in")
    if record.last_error:
        return Check("digest", False, f"{where}: {record.last_error}", "papertray doctor --smtp checks the login")
    last = record.sent[-1]["sent_at"][:16] if record.sent else "none yet"
    return Check("digest", True, f"{where}; last sent {last} (--smtp tries a real login)")
