"""The digest tests' world: a temp home with a real store holding three papers (a rule match, a hostile title,
non-ASCII names), a clock the test drives, and DigestService built as the daemon builds it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from papertray.config import Paths, parse_config
from papertray.credentials import Credentials
from papertray.digest.schedule import Record
from papertray.digest.service import DigestService
from papertray.events import EventBus
from papertray.models import Paper
from papertray.store import Store
from tests.support.digest_papers import HOSTILE_TITLE, RULES
from tests.support.smtp_server import PASSWORD, USER

DAY1 = datetime(2026, 3, 2, 7, 0).astimezone()  # a Monday, 07:00 local


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def papers(day: str) -> list[Paper]:
    return [
        Paper(id="2603.01001", title="Sparse autoencoder features in small models", daily_date=day, upvotes=42,
              authors=("Ada Lovelace",), summary="We study sparse autoencoder features.",
              submitted_at=f"{day}T09:00:00Z"),
        Paper(id="2603.01002", title=HOSTILE_TITLE, daily_date=day, upvotes=5, authors=("Mallory",),
              summary="A sparse autoencoder <img src=x onerror=alert(1)>.", submitted_at=f"{day}T09:01:00Z"),
        Paper(id="2603.01003", title="Équivariance et réseaux", daily_date=day, upvotes=7,
              authors=("Zoë Ångström-Łukasz",), summary="Réseaux équivariants.", submitted_at=f"{day}T09:02:00Z"),
    ]  # fmt: skip


class World:
    def __init__(self, home: Path, clock: Clock) -> None:
        self.home, self.clock = home, clock
        self.paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
        self.paths.ensure()
        self.store = Store.open(self.paths.data_dir, EventBus())
        self.settings: dict[str, Any] = {}

    def configure(self, port: int, **digest: Any) -> None:
        values = {"schedule": "daily", "at": "08:00", "to": "me@example.org", "smtp_host": "127.0.0.1",
                  "smtp_port": port, "smtp_security": "starttls", "smtp_user": USER, **digest}  # fmt: skip
        lines = [f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {str(v).lower()}"
                 for k, v in values.items()]  # fmt: skip
        self.config_text = RULES + "[digest]\n" + "\n".join(lines) + "\n"

    def service(self, password: str = PASSWORD) -> DigestService:
        """A fresh service over the same home: what a restarted daemon would build."""
        config = parse_config(self.config_text, self.paths.config_file, self.paths, env={})
        credentials = Credentials(self.paths.state_dir, env={"PAPERTRAY_SMTP_PASSWORD": password})
        return DigestService(lambda: config, self.store, EventBus(), credentials, now=self.clock)

    def record(self) -> Record:
        return Record.load(self.paths.state_dir / "digest.json")


@pytest.fixture(name="world")
async def world_fixture(tmp_path: Path) -> AsyncIterator[World]:
    """A World on Monday 07:00 holding the three papers of 2026-03-01 (import this fixture into a test module)."""
    made = World(tmp_path / "home", Clock(DAY1))
    await made.store.add_papers(papers("2026-03-01"))
    yield made
    await made.store.close()
