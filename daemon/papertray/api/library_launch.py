"""Launcher files: how `papertray open`, the tray and a notification click open the reading list without a
secret on the browser's command line (security item 4; Jupyter's approach).

Any local user can read every process's command line in /proc/*/cmdline, so a one-time link handed to the
browser there can be redeemed first by someone else. Instead papertray writes a small HTML file, 0600 in a 0700
folder (`state/launch/`), that POSTs the one-time secret to the daemon, and starts the browser on that file's
path. The log and the command line name only the file. The file is deleted when its link is redeemed, ended
or expired (at the latest at the next launch or start), so it is worth nothing afterwards either.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import secrets
import threading
from pathlib import Path

from papertray.atomic import describe_os_error, write_atomic

log = logging.getLogger(__name__)

FOLDER = "launch"
PREFIX = "open-reading-list-"

# No CSP applies to a file: page, and the form works without script too (the button).
TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Opening the reading list…</title></head>
<body>
<form id="go" method="post" action="{action}">
<input type="hidden" name="once" value="{once}">{view}
<p>Opening papertray… <button type="submit">Open it</button></p>
</form>
<script>document.getElementById("go").submit();</script>
</body>
</html>
"""


class LaunchFiles:
    """One file per unused login link; thread-safe (the tray asks from its own thread)."""

    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / FOLDER
        self._files: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._clear_leftovers()

    def write(self, port: int, once: str, view: str = "") -> Path:
        """The launcher file for `once`, a link into the daemon on `port` (into the matches inbox when `view` is
        "inbox", into the reading list otherwise)."""
        path = self.folder / f"{PREFIX}{secrets.token_hex(6)}.html"
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.folder, 0o700)  # an older or hand-made folder gets the same protection
        except OSError as exc:
            raise describe_os_error(exc, path) from None
        field = f'\n<input type="hidden" name="view" value="{html.escape(view)}">' if view else ""
        page = TEMPLATE.format(action=f"http://127.0.0.1:{port}/library/login", once=html.escape(once), view=field)
        write_atomic(path, page.encode("utf-8"), mode=0o600)
        with self._lock:
            self._files[once] = path
        log.info("reading-list launcher written path=%s", path)
        return path

    def forget(self, once: str) -> None:
        """The link was redeemed, ended or expired: its file goes."""
        with self._lock:
            path = self._files.pop(once, None)
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _clear_leftovers(self) -> None:
        """Files of a daemon that stopped: their links died with it."""
        if self.folder.is_dir():
            for path in self.folder.glob(f"{PREFIX}*.html"):
                with contextlib.suppress(OSError):
                    path.unlink()
