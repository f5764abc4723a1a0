"""The reading list from the terminal with no network (the real daemon, every paper server unreachable): a paper
saved before its metadata arrives is exported with the year its arXiv id says, never the year it was saved
(11.20), and `unsave` of a paper that was never saved says so and fails (11.24)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from papertray import citations
from tests.support.daemon import DaemonProcess, run_cli

OFFLINE = {"PAPERTRAY_HF_URL": "http://127.0.0.1:9", "PAPERTRAY_ARXIV_URL": "http://127.0.0.1:9"}


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[DaemonProcess]:
    process = DaemonProcess(tmp_path / "home", **OFFLINE)
    await asyncio.to_thread(process.start)
    yield process
    await asyncio.to_thread(process.stop)


async def cli(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run_cli, daemon.home, *args, env=daemon.env)


async def test_u20_a_paper_saved_before_its_metadata_is_exported_with_its_ids_year(daemon: DaemonProcess) -> None:
    for paper_id in ("hep-th/9901001", "2307.12345"):
        assert (await cli(daemon, "save", paper_id)).returncode == 0
    bibtex = (await cli(daemon, "export", "--format", "bibtex")).stdout
    assert "year = {1999}" in bibtex and "year = {2023}" in bibtex
    ris = (await cli(daemon, "export", "--format", "ris")).stdout
    assert "PY  - 1999" in ris and "PY  - 2023" in ris
    csl = json.loads((await cli(daemon, "export", "--format", "csljson")).stdout)
    issued = {item["id"]: item["issued"]["date-parts"] for item in csl}
    assert issued == {"arXiv:hep-th/9901001": [[1999, 1]], "arXiv:2307.12345": [[2023, 7]]}
    # Read back (what the page shows after an import): the id's month, not this year.
    dates = {e.id: e.published_at for e in citations.parse_csljson(json.dumps(csl)).entries}
    assert dates == {"hep-th/9901001": "1999-01", "2307.12345": "2023-07"}


async def test_u24_unsave_of_a_paper_never_saved_says_so_and_fails(daemon: DaemonProcess) -> None:
    # 9999.99999 (the example) is no arXiv id at all (month 99): refused as such, and nothing "removed".
    bogus = await cli(daemon, "unsave", "9999.99999")
    assert bogus.returncode == 1 and "is not an arXiv id" in bogus.stderr and "Removed" not in bogus.stdout
    result = await cli(daemon, "unsave", "2401.99999")
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: 2401.99999 is not in the reading list, so nothing was removed."
    assert "Removed" not in result.stdout

    assert (await cli(daemon, "save", "2307.12345")).returncode == 0
    removed = await cli(daemon, "unsave", "2307.12345")
    assert removed.returncode == 0 and removed.stdout.strip() == "Removed 2307.12345 from the reading list."
    again = await cli(daemon, "unsave", "2307.12345")
    assert again.returncode == 1 and "not in the reading list" in again.stderr
