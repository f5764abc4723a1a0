"""Live config: editor-style saves (write a temp file, rename it over config.toml) are applied; invalid edits
are refused and reported while the old rules keep working. Real inotify watch (watchfiles) on a temp dir."""

from __future__ import annotations

import asyncio
import os
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


@pytest.fixture
async def live(home: Path) -> AsyncIterator[Live]:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
    paths.ensure()
    paths.config_file.write_text(RULE.format(name="sae-watch", keyword="sparse autoencoder"))
    bus = EventBus()
    state = Live(paths, None, bus, load_config(paths, env={}))  # type: ignore[arg-type]
    state.watcher = ConfigWatcher(paths, state.swap, bus, env={})
    task = asyncio.create_task(state.watcher.run())
    await asyncio.wait_for(state.watcher.ready.wait(), WAIT)
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
