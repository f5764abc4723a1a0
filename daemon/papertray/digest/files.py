"""`<data>/feeds/*.atom`: the same feeds as files, for readers that read files. Rewritten after every poll, each
file atomically (papertray.atomic), so a reader never sees half a feed."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from papertray.atomic import write_atomic
from papertray.config import Config
from papertray.digest.routes import render
from papertray.digest.selection import FEEDS, NewVersions, RankedItems, no_ranking, no_versions
from papertray.store import Store

log = logging.getLogger(__name__)


def write_feed_files(
    folder: Path,
    store: Store,
    config: Config,
    today: datetime | None = None,
    ranked: RankedItems = no_ranking,
    versions: NewVersions = no_versions,
) -> list[Path]:
    store.check_folder()  # never into a data folder that is not the one this papertray holds
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    for name in FEEDS:
        path = folder / f"{name}.atom"
        write_atomic(path, render(store, config, name, today, ranked, versions))
        written.append(path)
    log.info("feeds written folder=%s count=%d", folder, len(written))
    return written
