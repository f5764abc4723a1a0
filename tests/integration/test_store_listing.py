"""What `list`, `export`, `status` and the API say about papers the user touched but papertray never ingested
(saved from a page, unsaved again, annotated): every such paper is listed by `all`, counted in `total`, and a
note or tag on one is kept and shown wherever the paper is."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from papertray.models import Paper
from papertray.store import Store
from tests.support.daemon import DaemonProcess, run_cli

IDS = [f"2401.{n:05d}" for n in range(1, 9)]  # papers no feed of this daemon ever lists


async def test_u19_all_lists_every_paper_and_the_counts_add_up(tmp_path: Path) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home)
    await asyncio.to_thread(daemon.start)
    try:
        for paper_id in IDS:
            assert (await asyncio.to_thread(run_cli, home, "save", paper_id, env=daemon.env)).returncode == 0
        counts = json.loads((await asyncio.to_thread(run_cli, home, "status", "--json", env=daemon.env)).stdout)[
            "counts"
        ]
        assert counts["total"] == 8 and counts["saved"] == 8
        human = (await asyncio.to_thread(run_cli, home, "status", env=daemon.env)).stdout
        assert "total 8 · seen 0 · saved 8 · read 0" in human and "0 new today" in human
        for paper_id in IDS[:3]:
            assert (await asyncio.to_thread(run_cli, home, "unsave", paper_id, env=daemon.env)).returncode == 0

        def listed(*args: str) -> list[str]:
            done = run_cli(home, "list", *args, "--json", env=daemon.env)
            return sorted(p["id"] for p in json.loads(done.stdout))

        assert await asyncio.to_thread(listed, "--state", "seen") == IDS[:3]
        assert await asyncio.to_thread(listed, "--state", "all") == IDS
        exported = await asyncio.to_thread(
            run_cli, home, "export", "--state", "all", "--format", "json", env=daemon.env
        )
        assert sorted(p["id"] for p in json.loads(exported.stdout)) == IDS
        counts = (await asyncio.to_thread(daemon.get, "status"))[1]["counts"]
        assert counts == {"new": 0, "seen": 3, "saved": 5, "read": 0, "total": 8}
    finally:
        await asyncio.to_thread(daemon.stop)


async def test_G_a_note_on_a_paper_never_ingested_is_kept_and_shown_everywhere(tmp_path: Path) -> None:
    home = tmp_path / "home"
    daemon = DaemonProcess(home)
    await asyncio.to_thread(daemon.start)
    try:
        code, body = await asyncio.to_thread(daemon.request, "PATCH", f"papers/{IDS[0]}", {"note": "read §3"})
        assert code == 200 and body["note"] == "read §3" and body["state"] == "seen"
        code, body = await asyncio.to_thread(daemon.request, "PATCH", f"papers/{IDS[1]}", {"tags": ["later"]})
        assert code == 200 and body["tags"] == ["later"]
        for paper_id, field, value in ((IDS[0], "note", "read §3"), (IDS[1], "tags", ["later"])):
            code, body = await asyncio.to_thread(daemon.get, f"papers/{paper_id}")
            assert code == 200 and body[field] == value
        code, page = await asyncio.to_thread(daemon.get, "papers")
        assert sorted(p["id"] for p in page["papers"]) == IDS[:2]
        code, found = await asyncio.to_thread(daemon.post, "lookup", {"ids": IDS[:2]})
        assert {found["papers"][pid]["state"] for pid in IDS[:2]} == {"seen"}
        await asyncio.to_thread(daemon.stop)
        await asyncio.to_thread(daemon.start)  # and it is still there after a restart
        assert (await asyncio.to_thread(daemon.get, f"papers/{IDS[0]}"))[1]["note"] == "read §3"
    finally:
        await asyncio.to_thread(daemon.stop)


async def test_i13_list_source_filters_by_the_list_a_paper_came_from_through_a_real_daemon(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.open(home / "data")  # a store as HF and arXiv polls left it (the arXiv poller is its own part)
    await store.add_papers(
        [
            Paper(id="2511.00001", title="from HF only", daily_date="2025-11-03", sources=("hf",)),
            Paper(id="2511.00002", title="cs.LG", daily_date="2025-11-03", sources=("arxiv:cs.LG",)),
            Paper(id="2511.00003", title="cross", daily_date="2025-11-02", sources=("arxiv:cs.CL", "arxiv:cs.LG")),
            Paper(id="2511.00004", title="both", daily_date="2025-11-01", sources=("hf", "arxiv:cs.CV")),
            Paper(id="hep-th/9901001", title="old", daily_date="2025-11-01", sources=("arxiv:hep-th",)),
        ]
    )
    await store.close()
    daemon = DaemonProcess(home)
    await asyncio.to_thread(daemon.start)
    try:

        def listed(*args: str) -> list[str]:
            done = run_cli(home, "list", *args, "--json", env=daemon.env)
            assert done.returncode == 0, done.stderr
            return [p["id"] for p in json.loads(done.stdout)]

        assert await asyncio.to_thread(listed, "--source", "arxiv:cs.LG") == ["2511.00002", "2511.00003"]
        assert await asyncio.to_thread(listed, "--source", "hf") == ["2511.00001", "2511.00004"]
        assert await asyncio.to_thread(listed, "--source", "arxiv") == [
            "2511.00002",
            "2511.00003",
            "hep-th/9901001",
            "2511.00004",
        ]
        assert await asyncio.to_thread(listed, "--source", "arxiv:cs.RO") == []
        human = await asyncio.to_thread(run_cli, home, "list", "--source", "arxiv:cs.CL", env=daemon.env)
        assert "2511.00003" in human.stdout and "2511.00002" not in human.stdout
        assert "1 paper" in human.stdout and "1 papers" not in human.stdout
        code, page = await asyncio.to_thread(daemon.get, "papers?source=arxiv:cs.LG&limit=1")
        assert code == 200 and [p["id"] for p in page["papers"]] == ["2511.00002"] and page["total"] == 2
        assert page["papers"][0]["sources"] == ["arxiv:cs.LG"]
        code, body = await asyncio.to_thread(daemon.get, "papers?source=cs%20LG")
        assert code == 400 and body["error"] == "'source' must be a source like hf, arxiv or arxiv:cs.LG."
        bad = await asyncio.to_thread(run_cli, home, "list", "--source", "cs LG", env=daemon.env)
        assert bad.returncode == 2 and "is not a source like hf, arxiv or arxiv:cs.LG" in bad.stderr
    finally:
        await asyncio.to_thread(daemon.stop)
