"""Where the daemon's log lines go: a rotating file under `logs/` always, the console too with `-v`.

Tokens never reach a log line: the API's access log is configured without headers, and the guard logs
rejections by reason, never by credential.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from papertray.config import Paths

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def setup_logging(paths: Paths, *, verbose: bool = False) -> None:
    paths.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    file_handler = logging.handlers.RotatingFileHandler(
        paths.log_dir / "papertray.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(file_handler)
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(console)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # aiohttp's access log would repeat every extension lookup; keep it for -v only.
    logging.getLogger("aiohttp.access").setLevel(logging.INFO if verbose else logging.WARNING)
