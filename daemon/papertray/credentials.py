"""Secrets through the OS keyring (the Hugging Face token, later the SMTP password). Owns `keyring`.

A backend that cannot keep a secret safely counts as no keyring at all: keyring's `fail` and `null` backends
and anything named plaintext (keyrings.alt's PlaintextKeyring only base64-encodes), the check poetry makes.
Without a usable keyring papertray says what to do (install or unlock a Secret Service, or opt in to a 0600
file store, which warns every time it is used); it never falls back to plain text on its own.

Every keyring call runs under a timeout: a Secret Service waiting on an unlock prompt, or a session bus that
never answers, must not hang the daemon. An environment variable (`HF_TOKEN`) wins over the stored value, so a
machine without a keyring can still use the feature.

The plain file is written only by a `set` that asks for it (`--insecure-storage`) each time; once it exists it is
read (and deleted from) while no keyring is usable, and a secret later stored in a keyring leaves it.

Pairing does not need any of this: the API stores only token hashes.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import keyring
import keyring.errors

from papertray.errors import KeyringUnavailable, UnreadableFile
from papertray.state_file import StateFile

log = logging.getLogger(__name__)

SERVICE = "papertray"
TIMEOUT_SECONDS = 5.0
ENV_OVERRIDES: Mapping[str, str] = {"hf_token": "HF_TOKEN", "smtp_password": "PAPERTRAY_SMTP_PASSWORD"}
INSECURE_FILE = "secrets-insecure.json"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
UNSAFE_WORDS = ("fail", "null", "plaintext", "chainer")
T = TypeVar("T")


class _TimedOut(Exception):
    pass


def _with_timeout(fn: Callable[[], T], timeout: float) -> T:
    """Run a keyring call in a daemon thread; a call that hangs is abandoned (it cannot be killed), never waited
    for past `timeout`."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name="papertray-keyring", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise _TimedOut
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def _backends(backend: Any) -> list[Any]:
    children = getattr(backend, "backends", None)
    return list(children) if children is not None else [backend]


def describe(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _unsafe(backend: Any) -> bool:
    label = f"{describe(backend)} {getattr(backend, 'name', '')}".lower()
    return any(word in label for word in UNSAFE_WORDS)


def advice(backend_name: str) -> str:
    """What the user can do when there is no usable keyring, for this platform."""
    if sys.platform == "darwin":
        fix = "unlock the login keychain"
    elif sys.platform == "win32":
        fix = "make sure Windows Credential Manager is available"
    else:
        fix = (
            "install and unlock a Secret Service (gnome-keyring or KWallet; on a headless machine "
            "`gnome-keyring-daemon --unlock` inside a D-Bus session)"
        )
    return (
        f"No usable keyring ({backend_name}): {fix}, or set HF_TOKEN in the environment, or opt in to a plain "
        "0600 file with `papertray secrets set NAME --insecure-storage` "
        "(papertray warns whenever it uses it)."
    )


def _usable_backend(timeout: float) -> tuple[Any | None, str, str]:
    """(backend or None, its name, why not usable or '')."""
    try:
        backend = _with_timeout(keyring.get_keyring, timeout)
    except _TimedOut:
        return None, "unknown", f"the keyring did not answer within {timeout:g} s"
    except Exception as exc:  # a broken backend configuration
        return None, "unknown", f"the keyring could not be loaded ({type(exc).__name__})"
    name = describe(backend)
    usable = [b for b in _backends(backend) if not _unsafe(b)]
    if not usable:
        return None, name, "it keeps no secret safely"
    return backend, name, ""


def keyring_status(timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str, str]:
    """For `papertray doctor`: (usable?, backend name, one sentence of advice or of reassurance)."""
    backend, name, why = _usable_backend(timeout)
    if backend is None:
        return False, name, advice(f"{name}: {why}")
    return True, name, f"Secrets are kept in {name}."


def _as_dict(data: Any) -> dict[str, Any]:
    """The plain file's names and secrets (anything else reads as none)."""
    return data if isinstance(data, dict) else {}


class Credentials:
    """get/set/delete named secrets. `insecure_file=True` is the user's explicit opt-in to a 0600 file when
    no keyring is usable; it is never chosen silently."""

    def __init__(
        self,
        state_dir: Path,
        *,
        insecure_file: bool = False,
        timeout: float = TIMEOUT_SECONDS,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.insecure_file = insecure_file
        self.timeout = timeout
        self.env = os.environ if env is None else env

    @property
    def file_path(self) -> Path:
        return self.state_dir / INSECURE_FILE

    def _backend(self) -> Any | None:
        backend, name, why = _usable_backend(self.timeout)
        if backend is None and not self.insecure_file:
            raise KeyringUnavailable(advice(f"{name}: {why}"))
        return backend

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return _with_timeout(fn, self.timeout)
        except _TimedOut:
            raise KeyringUnavailable(
                f"The keyring did not answer within {self.timeout:g} s; unlock it (or check that its service "
                "is running) and try again."
            ) from None
        except (keyring.errors.KeyringLocked, keyring.errors.InitError):
            # Secret Service raises InitError when the collection is locked and no prompt can be answered.
            raise KeyringUnavailable(
                "The keyring is locked; unlock it (log in to the desktop session, or run "
                "`gnome-keyring-daemon --unlock`) and try again."
            ) from None
        except keyring.errors.KeyringError as exc:
            # The backend's own text may quote what was passed in: keep only the kind of failure.
            raise KeyringUnavailable(
                f"The keyring refused the request ({type(exc).__name__}); unlock it or check its service."
            ) from None

    @staticmethod
    def _check_name(name: str) -> None:
        if not NAME.match(name):
            raise ValueError(f"secret names are lower-case words like 'hf_token', not {name[:40]!r}")

    def get(self, name: str) -> str | None:
        self._check_name(name)
        env_name = ENV_OVERRIDES.get(name)
        if env_name and self.env.get(env_name):
            return self.env[env_name]
        backend = self._backend()
        if backend is None:
            value = self._read_file().get(name)
            return value if isinstance(value, str) else None
        result: str | None = self._call(lambda: backend.get_password(SERVICE, name))
        return result

    def set(self, name: str, value: str) -> str:
        """Store `name`; returns where it went, in words."""
        self._check_name(name)
        backend = self._backend()
        if backend is None:
            data = self._read_file()
            data[name] = value
            self._write_file(data)
            return f"the plain file {self.file_path} (0600)"
        self._call(lambda: backend.set_password(SERVICE, name, value))
        log.info("secret stored name=%s backend=%s", name, describe(backend))
        self._drop_from_file(name)  # a keyring took it: no unencrypted copy stays behind
        return describe(backend)

    def source(self, name: str) -> str | None:
        """Where `get(name)` reads its value from, in words; None when it is not set. Raises
        KeyringUnavailable when a keyring that should hold it is locked or does not answer."""
        self._check_name(name)
        env_name = ENV_OVERRIDES.get(name)
        if env_name and self.env.get(env_name):
            return f"the environment ({env_name})"
        backend, _name, _why = _usable_backend(self.timeout)
        if backend is not None:
            found = self._call(lambda: backend.get_password(SERVICE, name)) is not None
            return describe(backend) if found else None
        if isinstance(self._read_file().get(name), str):
            return f"the plain file {self.file_path} (0600, chosen with --insecure-storage)"
        return None

    def delete(self, name: str) -> bool:
        self._check_name(name)
        backend = self._backend()
        if backend is None:
            data = self._read_file()
            if data.pop(name, None) is None:
                return False
            self._write_file(data)
            return True
        try:
            self._call(lambda: backend.delete_password(SERVICE, name))
        except KeyringUnavailable:
            # keyring raises PasswordDeleteError (a KeyringError) when there was nothing to delete.
            if self._call(lambda: backend.get_password(SERVICE, name)) is None:
                return False
            raise
        return True

    # -------------------------------------------------------------- the opt-in plain file

    def _read_file(self) -> dict[str, Any]:
        try:
            data = StateFile(self.file_path, _as_dict).read()
        except UnreadableFile:
            # Left in place, never moved aside: it may be the only copy of the user's secrets.
            log.warning("insecure secrets file unreadable path=%s", self.file_path)
            return {}
        return data or {}

    def _drop_from_file(self, name: str) -> None:
        data = self._read_file()
        if data.pop(name, None) is None:
            return
        if data:
            self._write_file(data)
        else:
            self.file_path.unlink(missing_ok=True)
        log.info("secret left the plain file name=%s path=%s", name, self.file_path)

    def _write_file(self, data: dict[str, Any]) -> None:
        StateFile(self.file_path, _as_dict).write(data)
        log.warning(
            "secrets are kept in a plain file because no keyring is usable and insecure storage was chosen "
            "path=%s names=%s",
            self.file_path,
            ",".join(sorted(data)),
        )
