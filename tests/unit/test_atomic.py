"""Durable writes on real files: replacement leaves old-or-new, appends never leave a torn record behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from papertray.atomic import append_durable, describe_os_error, make_dir_durable, write_atomic
from papertray.errors import StoreError, StoreFullError


def test_write_atomic_replaces_and_keeps_the_previous_version_as_backup(tmp_path: Path) -> None:
    target, backup = tmp_path / "user.json", tmp_path / "user.json.bak"
    write_atomic(target, b"one", backup=backup)
    assert target.read_bytes() == b"one" and not backup.exists()
    write_atomic(target, b"two", backup=backup)
    write_atomic(target, b"three", backup=backup)
    assert target.read_bytes() == b"three" and backup.read_bytes() == b"two"
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["user.json", "user.json.bak"]


def test_a_failed_replace_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.mkdir()  # os.replace of a file onto a folder fails after the temp file was written
    with pytest.raises(StoreError, match="Could not write"):
        write_atomic(target, b"new")
    assert target.is_dir() and list(tmp_path.iterdir()) == [target]


def test_a_failed_write_maps_a_full_disk_to_store_full_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "meta.json"
    write_atomic(target, b"old")

    def full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StoreFullError, match="is full: nothing was written"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["meta.json"]


def test_append_durable_writes_the_header_once(tmp_path: Path) -> None:
    journal = tmp_path / "j"
    assert append_durable(journal, b"a\n", header=b"H\n") == 4
    assert append_durable(journal, b"b\n", header=b"H\n") == 6
    assert journal.read_bytes() == b"H\na\nb\n"


def test_a_partial_append_is_cut_back_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = tmp_path / "j"
    append_durable(journal, b"first\n", header=b"H\n")
    original = os.write

    def half_then_full(fd: int, data: Any) -> int:
        if len(data) > 4:
            return original(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(StoreFullError):
        append_durable(journal, b"second record\n")
    monkeypatch.undo()
    assert journal.read_bytes() == b"H\nfirst\n"
    append_durable(journal, b"third\n")
    assert journal.read_bytes() == b"H\nfirst\nthird\n"


def test_os_errors_become_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    assert "not writable (Read-only file system)" in str(
        describe_os_error(OSError(errno.EROFS, "Read-only file system"), path)
    )
    assert isinstance(describe_os_error(OSError(errno.EDQUOT, "Disk quota exceeded"), path), StoreFullError)
    assert "Could not write" in str(describe_os_error(OSError(errno.EIO, "Input/output error"), path))


def test_make_dir_durable(tmp_path: Path) -> None:
    make_dir_durable(tmp_path / "feed")
    make_dir_durable(tmp_path / "feed")
    assert (tmp_path / "feed").is_dir() and oct((tmp_path / "feed").stat().st_mode & 0o777) == oct(0o700)
    with pytest.raises(StoreError):
        make_dir_durable(tmp_path / "missing" / "feed")
