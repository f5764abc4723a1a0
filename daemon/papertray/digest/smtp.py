"""Sending over SMTP with aiosmtplib: STARTTLS (required, never skipped) or implicit TLS, certificates checked
against the system's CA store (`ssl.create_default_context()`, so SSL_CERT_FILE works as everywhere in Python).
Every failure becomes one sentence with the server's own words (`SendFailed`)."""

from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage

import aiosmtplib

from papertray.digest_settings import DigestSettings
from papertray.errors import PapertrayError

TIMEOUT_SECONDS = 30.0


class SendFailed(PapertrayError):
    """The digest was not sent; the message is one sentence a user can act on."""


def _server_words(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return " ".join(str(text).split())[:300].rstrip(".")


def explain(exc: BaseException, settings: DigestSettings, timeout: float) -> SendFailed:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, ssl.SSLCertVerificationError) or isinstance(cause, ssl.SSLCertVerificationError):
        reason = getattr(exc if isinstance(exc, ssl.SSLError) else cause, "verify_message", "") or "not trusted"
        return SendFailed(f"The certificate of {where} did not verify ({reason}); nothing was sent.")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SendFailed(f"{where} refused the login for {settings.smtp_user!r}: {_server_words(exc)}.")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = exc.recipients[0] if exc.recipients else None
        words = _server_words(refused) if refused else "no reason given"
        return SendFailed(f"{where} refused the recipient {settings.to}: {words}.")
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return SendFailed(f"{where} refused the sender {settings.to}: {_server_words(exc)}.")
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | asyncio.TimeoutError | TimeoutError):
        return SendFailed(f"{where} did not answer within {timeout:g} seconds; the digest will be retried.")
    if isinstance(exc, aiosmtplib.SMTPException) and "STARTTLS" in str(exc):
        return SendFailed(
            f"{where} does not offer STARTTLS, so papertray sent nothing (it never falls back to plain text)."
        )
    if isinstance(exc, aiosmtplib.SMTPConnectError | OSError):
        return SendFailed(f"Could not connect to {where}: {_server_words(exc)}.")
    if isinstance(exc, ssl.SSLError):
        return SendFailed(f"The TLS connection to {where} failed ({_server_words(exc)}); nothing was sent.")
    return SendFailed(f"{where} did not take the digest: {_server_words(exc)}.")  # type: ignore[arg-type]


def _client(settings: DigestSettings, timeout: float) -> aiosmtplib.SMTP:
    implicit = settings.smtp_security == "tls"
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=implicit,
        start_tls=not implicit,  # True: STARTTLS or fail, never a plain session
        tls_context=ssl.create_default_context(),
        timeout=timeout,
    )


async def _session(settings: DigestSettings, password: str | None, message: EmailMessage | None, limit: float) -> None:
    if settings.smtp_user and not password:
        raise SendFailed("No SMTP password is set; run `papertray secrets set smtp_password`.")
    client = _client(settings, limit)
    try:
        await client.connect()
        if settings.smtp_user and password:
            await client.login(settings.smtp_user, password)
        if message is not None:
            await client.send_message(message)
    except SendFailed:
        raise
    except Exception as exc:
        raise explain(exc, settings, limit) from None
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except Exception:
                client.close()


async def send(
    settings: DigestSettings, password: str | None, message: EmailMessage, limit: float | None = None
) -> None:
    await _session(settings, password, message, limit or TIMEOUT_SECONDS)


async def check_login(settings: DigestSettings, password: str | None, limit: float | None = None) -> None:
    """Connect, secure and log in, send nothing: what `papertray doctor --smtp` checks."""
    await _session(settings, password, None, limit or TIMEOUT_SECONDS)
