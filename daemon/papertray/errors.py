"""The papertray error hierarchy: every exception class papertray defines lives here, so a caller finds what
it may catch in one place (as httpx's `_exceptions.py` does).

Every error a user can meet derives from `PapertrayError` and carries one sentence that says what is wrong
and, where possible, what to do. `cli.py` maps them to exit codes; the API maps them to its one error body.

    PapertrayError
    ├── ConfigError            the config file is invalid (names the file, the line and the key)
    ├── StoreError             the store cannot be read or written
    │   ├── StoreFullError     the disk is full (ENOSPC / EDQUOT): nothing was written
    │   ├── JournalTornError   an append failed and could not be cut back off: the journal's tail may be partial
    │   └── UnreadableFile     a state or store file that cannot be used as it is: moved aside by its owner
    │       └── NewerDataError a store file written by a newer papertray: not damage, nothing is touched
    ├── FeedError              one poll of a source failed (network, HTTP status, body); never fatal
    │   ├── RateLimited        429: carries the number of seconds to wait
    │   ├── FeedTooLarge       the body passed the size cap
    │   ├── BadStatus          an HTTP status that is no answer (400, 404, 500…): carries the status
    │   └── Unreachable        no answer at all (refused, DNS, reset, deadline); retried sooner than errors
    ├── DownloadFailed         one reading-list fetch went wrong; `retry` says whether trying later can help
    │   └── DownloadRefused    the SSRF guard will not fetch the target: never retried
    ├── AddressRefused         a URL papertray will not fetch (not http(s), or a private address: SSRF guard)
    ├── HostNotFound           a host name with no address (offline, or no such host)
    ├── TooManyRedirects       a chain of redirects longer than papertray follows
    ├── RestoreFailed          an undo whose files are no longer in the trash: nothing was changed
    ├── DaemonNotRunning       the CLI found no daemon for this home
    ├── DaemonAlreadyRunning   a second daemon for the same home
    ├── DaemonAnswerError      the running daemon answered the CLI with an error (carries the HTTP status)
    ├── PaperNotFound          an id that is valid but unknown
    ├── InvalidPaperId         a string that is no arXiv / HF paper id
    └── KeyringUnavailable     no usable OS keyring (fail, null or plaintext backend)

Signals inside one layer, never shown to a user as they are (so not `PapertrayError`: a broad
`except PapertrayError` must not swallow them):

    Exception
    ├── HttpError              raised by API handlers; the guard turns it into the one error body (status, headers)
    ├── TokenError             a token request the API cannot honour (the API answers it as 400 / 409)
    ├── BodyTooSlow            a request body still incomplete after the API's body deadline (answered 408)
    └── DataLockBusy           another process holds the data folder's lock

`no_access(exc)` turns a permission or read-only-disk OSError into one sentence naming the folder to fix.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from pathlib import Path

from papertray import __version__


class PapertrayError(Exception):
    """Base of every error papertray reports to a user. `str(err)` is one sentence."""


class ConfigError(PapertrayError):
    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, key: str | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.key = key


class StoreError(PapertrayError):
    pass


class StoreFullError(StoreError):
    pass


class JournalTornError(StoreError):
    """An append failed and could not be cut back off: the journal's tail may hold a partial record."""


class UnreadableFile(StoreError):
    """A state or store file that cannot be used as it is (torn, not JSON, wrong shape)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} {reason}.")
        self.path = path
        self.reason = reason


class NewerDataError(UnreadableFile):
    """A store file written by a newer papertray. Its message is the one sentence `Store.open` refuses with.
    `readable` is the newest schema this papertray reads (the store's SCHEMA_VERSION)."""

    def __init__(self, path: Path, schema: int, written_by: str | None, *, readable: int) -> None:
        by = f"{written_by}, " if written_by else ""
        super().__init__(
            path,
            f"was written by a newer papertray ({by}data schema {schema}; this is papertray {__version__}, "
            f"which reads up to schema {readable})",
        )
        self.schema = schema
        self.written_by = written_by
        upgrade = f"papertray {written_by} or newer" if written_by else "the newer papertray"
        self.args = (
            f"{path} {self.reason}, so papertray opened none of this data and changed nothing: run {upgrade}.",
        )


class FeedError(PapertrayError):
    pass


class RateLimited(FeedError):
    def __init__(self, message: str, *, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class FeedTooLarge(FeedError):
    pass


class BadStatus(FeedError):
    """The server answered with a status that is no feed (400 for an arXiv category it does not know)."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


class Unreachable(FeedError):
    """No answer at all (refused, DNS, reset, deadline): the next request to this host would fail the same way."""


class DownloadFailed(PapertrayError):
    """One fetch went wrong. `retry` says whether trying again later can help."""

    def __init__(self, message: str, *, retry: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


class DownloadRefused(DownloadFailed):
    """The target is not a place papertray downloads from (SSRF guard). Never retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retry=False)


class AddressRefused(PapertrayError):
    """The SSRF guard refused a URL: never retried, since asking again would be refused the same way."""


class HostNotFound(PapertrayError):
    pass


class TooManyRedirects(PapertrayError):
    pass


def one_sentence(reasons: list[str]) -> str | None:
    """Several failures as the one sentence a user reads: the first, and how many more there were."""
    if not reasons:
        return None
    if len(reasons) == 1:
        return reasons[0]
    others = len(reasons) - 1
    return f"{reasons[0].rstrip('.')}; {others} more {'request' if others == 1 else 'requests'} failed too."


class DaemonNotRunning(PapertrayError):
    pass


class DaemonAlreadyRunning(PapertrayError):
    def __init__(self, message: str, *, pid: int, port: int):
        super().__init__(message)
        self.pid = pid
        self.port = port


class DaemonAnswerError(PapertrayError):
    """The running daemon answered the CLI with an error; `status` is its HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class RestoreFailed(PapertrayError):
    """An undo whose files are no longer in the trash: nothing was changed."""


class PaperNotFound(PapertrayError):
    pass


class InvalidPaperId(PapertrayError):
    pass


class KeyringUnavailable(PapertrayError):
    pass


class HttpError(Exception):
    """Raised by API handlers and helpers; the guard turns it into the error body (`api.responses`)."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class TokenError(Exception):
    """A token request that cannot be honoured; the message is one sentence for the user."""


class BodyTooSlow(Exception):
    """The body did not arrive within the API's BODY_TIMEOUT."""


class DataLockBusy(Exception):
    """Another process holds the data folder's lock."""


NO_ACCESS = (errno.EACCES, errno.EPERM, errno.EROFS)


def no_access(exc: OSError) -> str | None:
    """One sentence for an OSError that says papertray may not read or write a path; None for any other."""
    if exc.errno not in NO_ACCESS or not exc.filename:
        return None
    path = Path(os.fsdecode(exc.filename)).absolute()
    where = _blocking(path)
    if exc.errno == errno.EROFS:
        what = "is on a read-only disk"
    elif where != path and where in path.parents and not os.access(where, os.X_OK):
        what = "cannot be opened by papertray"
    elif not os.access(where, os.R_OK):
        what = "cannot be read by papertray"
    elif not os.access(where, os.W_OK):
        what = "is not writable for papertray"
    else:
        what = "is not accessible to papertray"
    return (
        f"{where} {what} ({exc.strerror}): make it readable and writable for you, "
        "or set PAPERTRAY_HOME to a folder of your own."
    )


def _blocking(path: Path) -> Path:
    """The outermost folder on the way that cannot be entered; else the folder a missing file would go in."""
    for folder in reversed(path.parents):
        if not os.access(folder, os.X_OK):
            return folder
    if not os.path.lexists(path):
        return path.parent
    return path
