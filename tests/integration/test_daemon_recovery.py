"""The daemon with damaged or interrupted data: it starts anyway, says what it did in one sentence, and keeps
every acknowledged save (SIGKILL of the whole daemon at random moments during polls and saves)."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from pathlib import Path

from tests.support.daemon import DaemonProcess, run_cli
from tests.support.feed_server import FeedServer, load_fixture_day

IDS = sorted(entry["paper"]["id"] for entry in load_fixture_day())


async def test_a_corrupt_user_file_is_moved_aside_reported_and_recovered(
    tmp_path: Path, today_feed: FeedServer
) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(daemon.start)
    await asyncio.to_thread(daemon.post, "poll")
    for paper_id in IDS[:2]:
        assert (await asyncio.to_thread(daemon.post, f"papers/{paper_id}/save"))[0] == 200
    await asyncio.to_thread(daemon.stop)

    user = home / "data" / "user.json"
    user.write_bytes(b'{"states": {"torn')  # a file cut off mid-write by something outside papertray

    await asyncio.to_thread(daemon.start)
    try:
        status = json.loads((await asyncio.to_thread(run_cli, home, "status", "--json", env=daemon.env)).stdout)
        problems = status["problems"]
        assert len(problems) == 1 and "user.json" in problems[0] and "moved aside" in problems[0]
        assert list((home / "data").glob("user.json.corrupt-*")), "the damaged file is kept, never deleted"
        human = await asyncio.to_thread(run_cli, home, "status", env=daemon.env)
        assert "Problem" in human.stdout
        listed = await asyncio.to_thread(run_cli, home, "list", "--state", "saved", "--json", env=daemon.env)
        assert sorted(p["id"] for p in json.loads(listed.stdout)) == IDS[:2]  # recovered, nothing lost
    finally:
        await asyncio.to_thread(daemon.stop)


def data_tree(folder: Path) -> dict[str, tuple[bytes | None, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


async def test_A_the_daemon_refuses_data_from_a_newer_papertray_and_touches_nothing(
    tmp_path: Path, today_feed: FeedServer
) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(daemon.start)
    await asyncio.to_thread(daemon.post, "poll")
    assert (await asyncio.to_thread(daemon.request, "PATCH", f"papers/{IDS[0]}", {"note": "mine"}))[0] == 200
    await asyncio.to_thread(daemon.stop)
    meta = home / "data" / "meta.json"  # as papertray 0.9.0 leaves it after an upgrade and a downgrade
    meta.write_text(json.dumps({"_meta": {"1": {"schema": 2, "kind": "meta", "papertray": "0.9.0"}}, "meta": {}}))
    before = data_tree(home / "data")

    done = await asyncio.to_thread(run_cli, home, "run", "--no-tray", env=daemon.env, timeout=60)
    assert done.returncode == 1
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith(f"Error: {meta} was written by a newer papertray (0.9.0, data schema 2;")
    assert error.endswith("changed nothing: run papertray 0.9.0 or newer.")
    assert "Traceback" not in done.stderr
    assert data_tree(home / "data") == before
    info = home / "state" / "daemon.json"
    assert not info.exists() or json.loads(info.read_text())["pid"] == daemon.proc.pid, "it never published itself"


async def test_sigkill_during_polls_and_saves_never_loses_an_acknowledged_save(
    tmp_path: Path, today_feed: FeedServer
) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    rng = random.Random(7)
    acknowledged: set[str] = set()
    trials = 12

    def hammer(stop: threading.Event) -> None:
        """Saves one after another, with polls in between, until the daemon is killed."""
        for paper_id in rng.sample(IDS, len(IDS)):
            if stop.is_set():
                return
            try:
                if rng.random() < 0.3:
                    daemon.post("poll")
                status, _ = daemon.post(f"papers/{paper_id}/save")
            except OSError:
                return  # the daemon died under us: this save was never acknowledged
            if status == 200:
                acknowledged.add(paper_id)

    for _trial in range(trials):
        await asyncio.to_thread(daemon.start)
        stop = threading.Event()
        worker = threading.Thread(target=hammer, args=(stop,))
        worker.start()
        await asyncio.sleep(rng.uniform(0.05, 0.6))
        await asyncio.to_thread(daemon.kill)
        stop.set()
        await asyncio.to_thread(worker.join)

        await asyncio.to_thread(daemon.start)
        status = (await asyncio.to_thread(daemon.get, "status"))[1]
        assert status["problems"] == [], status["problems"]
        code, page = await asyncio.to_thread(daemon.get, "papers?state=saved&limit=500")
        assert code == 200
        saved = {p["id"] for p in page["papers"]}
        assert acknowledged <= saved, f"lost acknowledged saves: {sorted(acknowledged - saved)}"
        await asyncio.to_thread(daemon.stop)
    assert acknowledged, "the trials acknowledged some saves"


async def test_B_a_deleted_daemon_lock_never_lets_a_second_daemon_write_the_same_data(
    tmp_path: Path, today_feed: FeedServer
) -> None:
    home = tmp_path / "home"
    first = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(first.start)
    try:
        await asyncio.to_thread(first.post, "poll")
        (home / "state" / "daemon.lock").unlink()  # a clean-up script, or a user tidying the state folder

        second = await asyncio.to_thread(run_cli, home, "run", "--no-tray", env=first.env, timeout=60)
        assert second.returncode == 1
        assert second.stderr.strip().splitlines()[-1] == (
            f"Error: papertray is already running for this home (pid {first.proc.pid}, port {first.port})."
        )
        # The first daemon goes on saving, and everything it acknowledged is there after a restart.
        for n, paper_id in enumerate(IDS[:10]):
            code, _ = await asyncio.to_thread(first.request, "PATCH", f"papers/{paper_id}", {"note": f"note {n}"})
            assert code == 200
        assert (await asyncio.to_thread(first.get, "status"))[1]["problems"] == []
    finally:
        await asyncio.to_thread(first.stop)
    await asyncio.to_thread(first.start)
    try:
        for n, paper_id in enumerate(IDS[:10]):
            assert (await asyncio.to_thread(first.get, f"papers/{paper_id}"))[1]["note"] == f"note {n}"
    finally:
        await asyncio.to_thread(first.stop)


async def test_B_a_data_folder_replaced_under_the_daemon_is_never_written(
    tmp_path: Path, today_feed: FeedServer
) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(daemon.start)
    try:
        await asyncio.to_thread(daemon.post, "poll")
        assert (await asyncio.to_thread(daemon.post, f"papers/{IDS[0]}/save"))[0] == 200
        # A restore from a backup (or another papertray's folder) takes the data folder's place.
        (home / "data").rename(home / "data.mine")
        (home / "data").mkdir()
        code, body = await asyncio.to_thread(daemon.post, f"papers/{IDS[1]}/save")
        assert code >= 500 and "was moved, deleted or replaced while papertray was running" in body["error"]
        problems = (await asyncio.to_thread(daemon.get, "status"))[1]["problems"]
        assert len(problems) == 1 and problems[0] == body["error"]
        await asyncio.to_thread(daemon.post, "poll")
        assert list((home / "data").iterdir()) == [], "nothing was written into the folder that is not its own"
    finally:
        await asyncio.to_thread(daemon.stop)


async def test_J_a_moved_aside_token_file_is_printed_at_start(tmp_path: Path, today_feed: FeedServer) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home, PAPERTRAY_HF_URL=today_feed.url)
    await asyncio.to_thread(daemon.start)
    await asyncio.to_thread(daemon.stop)
    (home / "state" / "tokens.json").write_bytes(b'{"schema": 1, "tokens": [{"name": "x"')  # cut off

    await asyncio.to_thread(daemon.start)
    try:
        warnings = [line for line in daemon.output().splitlines() if line.startswith("Warning: ")]
        assert len(warnings) == 1 and "tokens.json could not be read" in warnings[0]
        assert "moved aside to tokens.json.corrupt-" in warnings[0]
    finally:
        await asyncio.to_thread(daemon.stop)
