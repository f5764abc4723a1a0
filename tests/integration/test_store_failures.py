"""The store when its disk says no: a full disk and a read-only data folder. Each failed write gives one clear
sentence, leaves memory as it was and the files on disk intact, and the store works again once the disk does.

Where the test runs as root and may mount, the disk is real: a small tmpfs (full disk) and a tmpfs remounted
read-only. Otherwise the full disk is simulated by making `os.write` raise ENOSPC (the OS-call boundary every
durable write goes through; patched for the whole test process), and the read-only folder is a chmod 0500
folder (which binds only non-root users). `PAPERTRAY_TEST_NO_MOUNT=1` forces the fallbacks.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papertray.errors import StoreError, StoreFullError
from papertray.models import Paper
from papertray.store import Store
from tests.support.mounts import try_mount, umount


def paper(pid: str) -> Paper:
    return Paper(id=pid, version=1, title=f"Title {pid}", summary="Abstract. " * 100, daily_date="2025-07-01")


class FullDisk:
    """`fill()` makes the disk under `root` full, `free()` gives the space back."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, real: bool) -> None:
        self.root = root
        self.real = real
        self.full = False
        if not real:
            original = os.write

            def write(fd: int, data: Any) -> int:
                if self.full:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return original(fd, data)

            monkeypatch.setattr(os, "write", write)

    def fill(self) -> None:
        self.full = True
        if self.real:
            fd = os.open(self.root / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
            finally:
                os.close(fd)

    def free(self) -> None:
        self.full = False
        if self.real:
            (self.root / "filler").unlink()


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FullDisk]:
    root = tmp_path / "small-disk"
    real = try_mount(root, "size=1m,mode=0700")
    root.mkdir(exist_ok=True)
    print(f"full disk: {'a real 1 MB tmpfs' if real else 'ENOSPC injected at os.write'}")
    try:
        yield FullDisk(root, monkeypatch, real)
    finally:
        if real:
            umount(root)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


async def test_a_full_disk_fails_each_write_with_one_sentence_and_loses_nothing(full_disk: FullDisk) -> None:
    data = full_disk.root / "data"
    store = Store.open(data, journal_limit=4096)
    await store.add_papers([paper("2507.00001"), paper("2507.00002")])
    await store.update_state("2507.00001", saved=True, note="precious")
    await store.put_meta("hf.etag", "v1")
    before = files(data)
    full_disk.fill()

    # A save large enough to need new blocks, a compaction (the journal is past its limit) and a poll.
    with pytest.raises(StoreFullError) as err:
        await store.update_state("2507.00002", saved=True, note="n" * 20_000)
    message = str(err.value)
    assert "is full: nothing was written; free some space." in message and "\n" not in message
    store.journal_limit = 0
    with pytest.raises(StoreFullError):
        await store.update_state("2507.00001", read=True)
    with pytest.raises(StoreFullError):
        await store.add_papers([paper("2507.00003"), paper("2401.00004")])
    with pytest.raises(StoreFullError):
        await store.put_meta("hf.etag", "v2")

    # Memory is as it was before the failed writes …
    assert store.get_state("2507.00001").note == "precious" and not store.get_state("2507.00001").read
    assert not store.get_state("2507.00002").saved
    assert store.get_paper("2507.00003") is None and len(store) == 2
    assert store.get_meta("hf.etag") == "v1"
    # … and so are the files: no temp files left, the journal cut back to its last whole record.
    assert files(data) == before
    # A restart on the full disk starts, says why it could not tidy the journal, and has everything.
    reopened = Store.open(data)
    assert len(reopened.problems) == 1 and "is full" in reopened.problems[0]
    assert reopened.get_state("2507.00001").note == "precious" and not reopened.get_state("2507.00002").saved

    # Once there is space again, writes work and nothing written earlier is lost.
    full_disk.free()
    await store.update_state("2507.00002", saved=True, note="after")
    await store.add_papers([paper("2507.00003")])
    await store.close()
    again = Store.open(data)
    assert again.problems == []
    assert again.get_state("2507.00002").note == "after" and again.get_state("2507.00001").note == "precious"
    assert again.get_paper("2507.00003") is not None and again.get_meta("hf.etag") == "v1"
    await again.close()
    await reopened.close()


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    """(folder, make_read_only): a real read-only mount when possible, else a chmod 0500 folder."""
    root = tmp_path / "ro-disk"
    real = try_mount(root, "size=4m,mode=0700")
    if not real and os.geteuid() == 0:
        pytest.skip("running as root without mount rights: a chmod would not stop root from writing")
    root.mkdir(exist_ok=True)

    def make_read_only() -> None:
        if real:
            subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        else:
            for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
                folder.chmod(0o500)

    try:
        yield root, make_read_only
    finally:
        if real:
            umount(root)
        else:
            for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
                folder.chmod(0o700)


async def test_a_read_only_data_folder_still_opens_and_refuses_writes_clearly(
    read_only_folder: tuple[Path, Any],
) -> None:
    root, make_read_only = read_only_folder
    data = root / "data"
    store = Store.open(data)
    await store.add_papers([paper("2507.00001")])
    await store.update_state("2507.00001", saved=True, note="keep")
    await store.close()
    before = files(data)
    make_read_only()

    # The journal has a save in it, which the store would fold into user.json at open: it cannot, says so
    # in one sentence, and still serves everything from what it read.
    ro = Store.open(data)
    assert len(ro.problems) == 1 and "is not writable (" in ro.problems[0]
    assert ro.get_state("2507.00001").note == "keep" and ro.get_paper("2507.00001") is not None
    with pytest.raises(StoreError, match="not writable"):
        await ro.update_state("2507.00001", read=True)
    with pytest.raises(StoreError, match="not writable"):
        await ro.add_papers([paper("2507.00002")])
    assert not ro.get_state("2507.00001").read and ro.get_paper("2507.00002") is None
    assert files(data) == before
    await ro.close()


async def test_J_a_full_disk_is_listed_in_problems_while_it_lasts(full_disk: FullDisk) -> None:
    data = full_disk.root / "data"
    store = Store.open(data)
    await store.add_papers([paper("2507.00001")])
    await store.update_state("2507.00001", saved=True)
    assert store.current_problems() == []
    full_disk.fill()
    with pytest.raises(StoreFullError) as err:
        await store.update_state("2507.00001", note="n" * 20_000)
    with pytest.raises(StoreFullError):
        await store.add_papers([paper("2507.00002")])
    # What status and the tray show: the one sentence of each kind of failing write (saves, the feed cache).
    problems = store.current_problems()
    assert len(problems) == 2 and problems[0] == str(err.value)
    assert all("is full: nothing was written; free some space." in p for p in problems)
    full_disk.free()
    await store.update_state("2507.00001", note="after")
    assert store.current_problems() == []  # a write went through: the disk has room again
    await store.add_papers([paper("2507.00002")])
    assert store.current_problems() == [] and store.get_paper("2507.00002") is not None
    await store.close()


async def test_J_status_of_a_running_daemon_lists_a_full_disk_and_clears_it(tmp_path: Path) -> None:
    import asyncio

    from tests.support.daemon import DaemonProcess

    root = tmp_path / "small-disk"
    if not try_mount(root, "size=4m,mode=0700"):
        pytest.skip("needs a real small disk (root with mount rights)")
    daemon = DaemonProcess(root / "home")
    try:
        await asyncio.to_thread(daemon.start)
        assert (await asyncio.to_thread(daemon.post, "papers/2401.00001/save"))[0] == 200
        disk = FullDisk(root, pytest.MonkeyPatch(), real=True)
        disk.fill()
        code, body = await asyncio.to_thread(daemon.request, "PATCH", "papers/2401.00001", {"note": "n" * 9_000})
        assert code == 507
        problems = (await asyncio.to_thread(daemon.get, "status"))[1]["problems"]
        assert problems == [body["error"]] and "is full" in problems[0]
        disk.free()
        assert (await asyncio.to_thread(daemon.request, "PATCH", "papers/2401.00001", {"note": "ok"}))[0] == 200
        assert (await asyncio.to_thread(daemon.get, "status"))[1]["problems"] == []
    finally:
        await asyncio.to_thread(daemon.stop)
        umount(root)
