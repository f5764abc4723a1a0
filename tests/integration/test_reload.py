"""Live config: editor-style saves (write a temp file, rename it over config.toml) are applied; invalid edits
are refused and reported while the old rules keep working. Real inotify watch on a temp dir, and the once-a-second
stat comparison used where inotify is missing (here every 0.1 s, to keep the tests short)."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from papertray.config import Config, Paths, load_config
from papertray.events import Event, EventBus
from papertray.models import Paper
from papertray.reload import ConfigWatcher
from papertray.rules import match

WAIT = 10.0  # generous: we assert that the edit applies, not how fast

RULE = """
[[rules]]
name = "{name}"
keywords = ["{keyword}"]
"""

SAE_PAPER = Paper(id="2511.00001", title="A sparse autoencoder for vision")
ROBOT_PAPER = Paper(id="2511.00002", title="Robotics at home")


def editor_save(path: Path, text: str) -> None:
    """What vim, VS Code and most editors do: write a sibling temp file, then rename it over the target."""
    temp = path.with_name(f".{path.name}.swp~")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


@dataclass
class Live:
    paths: Paths
    watcher: ConfigWatcher
    bus: EventBus
    config: Config
    applied: list[Config] = field(default_factory=list)

    def swap(self, config: Config) -> None:
        self.config = config
        self.applied.append(config)

    async def next_event(self, *types: str) -> Event:
        async def first() -> Event:
            async for event in self.bus.subscribe(self._seen):
                self._seen = event.id
                if event.type in types:
                    return event
            raise AssertionError("the bus ended")

        return await asyncio.wait_for(first(), WAIT)

    _seen: int = 0


@pytest.fixture(params=["inotify", "poll"])
async def live(home: Path, request: pytest.FixtureRequest) -> AsyncIterator[Live]:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
    paths.ensure()
    paths.config_file.write_text(RULE.format(name="sae-watch", keyword="sparse autoencoder"))
    bus = EventBus()
    state = Live(paths, None, bus, load_config(paths, env={}))  # type: ignore[arg-type]
    state.watcher = ConfigWatcher(
        paths, state.swap, bus, env={}, use_inotify=request.param == "inotify", poll_seconds=0.1
    )
    task = asyncio.create_task(state.watcher.run())
    await asyncio.wait_for(state.watcher.ready.wait(), WAIT)
    assert state.watcher.mode == request.param
    try:
        yield state
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_editor_style_saves_apply_again_and_again(live: Live) -> None:
    assert [m.rule for m in match(SAE_PAPER, live.config.rules)] == ["sae-watch"]
    editor_save(live.paths.config_file, RULE.format(name="robots", keyword="robotics"))
    event = await live.next_event("config.reloaded")
    assert event.data["rules"] == ["robots"]
    assert [m.rule for m in match(ROBOT_PAPER, live.config.rules)] == ["robots"]
    assert match(SAE_PAPER, live.config.rules) == []

    # The second save replaces the file again: a watch on the file itself would have lost it by now.
    editor_save(live.paths.config_file, RULE.format(name="both", keyword="sparse autoencoder"))
    assert (await live.next_event("config.reloaded")).data["rules"] == ["both"]
    assert live.watcher.current_error is None


async def test_invalid_edit_is_refused_reported_and_old_rules_keep_working(live: Live) -> None:
    before = live.config
    editor_save(live.paths.config_file, "[[rules]]\nname = 'broken'\nkeywords = 'not a list'\n")
    event = await live.next_event("config.error", "config.reloaded")
    assert event.type == "config.error"
    error = event.data["error"]
    assert "'keywords' must be a list" in error and str(live.paths.config_file) in error
    assert live.watcher.current_error == error
    assert live.config is before and live.applied == []
    assert [m.rule for m in match(SAE_PAPER, live.config.rules)] == ["sae-watch"]

    editor_save(live.paths.config_file, "[[rules]\nthis is not toml")
    event = await live.next_event("config.error", "config.reloaded")
    assert "not valid TOML" in event.data["error"]
    assert live.config is before

    # Fixing the file clears the error and applies it.
    editor_save(live.paths.config_file, RULE.format(name="robots", keyword="robotics"))
    await live.next_event("config.reloaded")
    assert live.watcher.current_error is None
    assert [m.rule for m in match(ROBOT_PAPER, live.config.rules)] == ["robots"]


async def test_plain_write_applies_and_deleting_the_file_keeps_the_config(live: Live) -> None:
    live.paths.config_file.write_text(RULE.format(name="robots", keyword="robotics"))
    await live.next_event("config.reloaded")
    current = live.config
    live.paths.config_file.unlink()
    # Other files in the folder are not the config: a change there is ignored.
    (live.paths.config_dir / "notes.txt").write_text("hello")
    live.paths.config_file.write_text(RULE.format(name="back", keyword="robotics"))
    assert (await live.next_event("config.reloaded", "config.error")).data["rules"] == ["back"]
    assert live.applied[0] is current and len(live.applied) == 2


async def test_idle_29_u18_the_watch_sleeps_while_only_other_files_change(live: Live) -> None:
    """With PAPERTRAY_HOME the config folder is the home: the log and state files under it are written all the
    time (with `-v`, by the watcher's own log lines before). None of that may wake the watch, and an idle one
    with inotify is not woken at all; the stat fallback wakes once per period."""
    started = time.monotonic()
    live.paths.log_dir.mkdir(exist_ok=True)
    live.paths.state_dir.mkdir(exist_ok=True)
    with open(live.paths.log_dir / "papertray.log", "a", encoding="utf-8") as log:
        for n in range(200):
            log.write(f"line {n}\n")
            log.flush()
    (live.paths.state_dir / "daemon.json").write_text("{}")
    await asyncio.sleep(1.0)  # an idle period to count wake-ups over, not a deadline
    idle = time.monotonic() - started
    if live.watcher.mode == "inotify":
        assert live.watcher.wakeups == 0
    else:
        assert live.watcher.wakeups <= idle / live.watcher.poll_seconds + 2
    assert live.applied == []

    editor_save(live.paths.config_file, RULE.format(name="robots", keyword="robotics"))
    assert (await live.next_event("config.reloaded")).data["rules"] == ["robots"]


async def test_the_watch_comes_back_with_its_folder(live: Live) -> None:
    """The config folder deleted and made again (a dotfiles checkout, a restored backup): edits apply again."""
    shutil.rmtree(live.paths.config_dir)
    live.paths.config_dir.mkdir()
    editor_save(live.paths.config_file, RULE.format(name="restored", keyword="robotics"))
    assert (await live.next_event("config.reloaded")).data["rules"] == ["restored"]
    editor_save(live.paths.config_file, RULE.format(name="edited", keyword="robotics"))
    assert (await live.next_event("config.reloaded")).data["rules"] == ["edited"]
