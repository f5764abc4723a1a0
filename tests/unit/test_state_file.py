"""state_file.py: the one reader and writer of papertray's small JSON state files."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from papertray.errors import UnreadableFile
from papertray.state_file import StateFile


def names(data: Any) -> list[str]:
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise ValueError("not a names file")
    return [str(name) for name in data["names"]]


def test_a_missing_file_reads_as_none_and_a_write_is_private(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state" / "names.json", names)
    assert state.read() is None
    state.write({"schema": 1, "names": ["a", "b"]})
    assert state.read() == ["a", "b"]
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "is empty"), (b"{not json", "is not valid JSON"), (b'{"schema": 2}', "does not have the expected shape")],
)
def test_an_unusable_file_says_why_in_one_reason_and_is_moved_aside_never_deleted(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "names.json"
    path.write_bytes(content)
    state = StateFile(path, names)
    with pytest.raises(UnreadableFile) as caught:
        state.read()
    assert caught.value.reason.startswith(reason)
    assert path.exists()  # reading never moves anything: the owner decides
    target = state.set_aside()
    assert target is not None and target.name.startswith("names.json.corrupt-")
    assert target.read_bytes() == content
    assert state.read() is None
