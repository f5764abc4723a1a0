"""Where the daemon's log lines go: a rotating file under `logs/` always, the console too with `-v`.

Tokens never reach a log line: the API's access log is configured without headers, and the guard logs
rejections by reason, never by credential. Every record passes `log_guard` first: escaped to one line, and
repeated records rate-limited, so outside text cannot forge lines and a flood cannot rotate the history away.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import time
from collections.abc import Callable

from papertray.config import Paths
from papertray.log_guard import LogGuard, SafeFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def setup_logging(paths: Paths, *, verbose: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
    paths.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    file_handler = logging.handlers.RotatingFileHandler(
        paths.log_dir / "papertray.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(SafeFormatter(FORMAT))
    targets: list[logging.Handler] = [file_handler]
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(SafeFormatter(FORMAT))
        targets.append(console)
    root.addHandler(LogGuard(targets, clock=clock))
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # aiohttp's access log would repeat every extension lookup; keep it for -v only.
    logging.getLogger("aiohttp.access").setLevel(logging.INFO if verbose else logging.WARNING)
