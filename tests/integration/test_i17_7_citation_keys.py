"""Citation keys that survive a round trip (issue 17, item 7), against the real daemon and the real CLI.

The BibTeX of tests/fixtures/zotero/my-library.bib is written by hand after Zotero's documented BibTeX
export (Zotero's own "BibTeX.js" translator: keys `author_firstword_year`, arXiv preprints as `@misc` with
`publisher = {arXiv}`, the id in `note = {arXiv:… [cs]}` and `url`, the DOI 10.48550/arXiv.…, months as macros,
`file` and `urldate` fields). Zotero itself cannot run here (no desktop application in CI), so its output is
reproduced rather than produced."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemon import DaemonProcess, run_cli

NO_DOWNLOADS = {"PAPERTRAY_ARXIV_URL": "http://127.0.0.1:9", "PAPERTRAY_HF_URL": "http://127.0.0.1:9"}

ZOTERO_EXPORT = (Path(__file__).parents[1] / "fixtures" / "zotero" / "my-library.bib").read_text(encoding="utf-8")
KEYS = {"1706.03762": "vaswani_attention_2017", "2309.08600": "bricken_towards_2023"}


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[DaemonProcess]:
    process = DaemonProcess(tmp_path / "home", **NO_DOWNLOADS)
    await asyncio.to_thread(process.start)
    yield process
    await asyncio.to_thread(process.stop)


async def cli(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[str]:
    result = await asyncio.to_thread(run_cli, daemon.home, *args, env=daemon.env)
    assert result.returncode == 0, result.stderr
    return result


def keys_of(bibtex: str) -> dict[str, str]:
    """eprint → citation key of every record."""
    found = {}
    for record in re.split(r"\n(?=@)", bibtex.strip()):
        key = re.match(r"@\w+\{([^,]+),", record.strip())
        eprint = re.search(r"eprint = \{([^}]+)\}", record)
        if key and eprint:
            found[eprint.group(1)] = key.group(1)
    return found


async def until(check: Callable[[], Any], timeout: float = 30) -> Any:
    for _ in range(int(timeout / 0.05)):
        value = check()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


async def test_i17_7_a_zotero_export_imported_and_exported_again_keeps_its_keys(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    source = tmp_path / "My Library.bib"
    source.write_text(ZOTERO_EXPORT, encoding="utf-8")
    report = await cli(daemon, "import", str(source))
    assert "2" in report.stdout  # two arXiv papers kept, the Nature article skipped with its reason

    exported = (await cli(daemon, "export", "--format", "bibtex")).stdout
    assert keys_of(exported) == KEYS
    # The user's LaTeX keeps compiling against papertray's always-current file too.
    library_bib = daemon.home / "data" / "library" / "library.bib"
    await until(lambda: library_bib.exists() and keys_of(library_bib.read_text()) == KEYS)

    # And the round trip closes: papertray's export imported into a new home keeps the same keys.
    again = tmp_path / "papertray.bib"
    again.write_text(exported, encoding="utf-8")
    second = DaemonProcess(tmp_path / "other", **NO_DOWNLOADS)
    await asyncio.to_thread(second.start)
    try:
        await asyncio.to_thread(run_cli, second.home, "import", str(again), env=second.env)
        result = await asyncio.to_thread(run_cli, second.home, "export", "--format", "bibtex", env=second.env)
        assert keys_of(result.stdout) == KEYS
        csl = await asyncio.to_thread(run_cli, second.home, "export", "--format", "csljson", env=second.env)
        assert {item["citation-key"] for item in json.loads(csl.stdout)} == set(KEYS.values())
    finally:
        await asyncio.to_thread(second.stop)


def csl(title_prefix: str = "") -> str:
    def item(paper_id: str, title: str, given: str, family: str) -> dict[str, Any]:
        return {
            "id": f"http://zotero.org/users/1/items/{paper_id[-4:]}",
            "type": "article",
            "title": title_prefix + title,
            "author": [{"family": family, "given": given}],
            "issued": {"date-parts": [[2023, 7]]},
            "URL": f"http://arxiv.org/abs/{paper_id}",
            "number": f"arXiv:{paper_id}",
        }

    return json.dumps(
        [
            item("2307.00001", "Sparse Features in Vision", "Ada", "Lovelace"),
            item("2307.00002", "Sparse Features in Text", "Ada", "Lovelace"),
            item("2307.00003", "On the Causal Structure of Worlds", "Bernhard", "Schölkopf"),
        ]
    )


async def test_i17_7_a_new_key_is_readable_unique_and_never_changes(daemon: DaemonProcess, tmp_path: Path) -> None:
    # A CSL-JSON export without citation keys: papertray gives each paper one, author-year-word.
    source = tmp_path / "zotero.json"
    source.write_text(csl(), encoding="utf-8")
    await cli(daemon, "import", str(source))
    issued = keys_of((await cli(daemon, "export")).stdout)
    # Same author, year and first word: the second one is told apart, as Zotero's Better BibTeX does.
    assert {issued["2307.00001"], issued["2307.00002"]} == {"lovelace2023sparse", "lovelace2023sparsea"}
    assert issued["2307.00003"] == "scholkopf2023causal"  # "On the" skipped, the accent folded
    # A paper with no author or title yet keeps `arXiv:<id>` until it has them, rather than change key later.
    await cli(daemon, "save", "2307.00009")
    assert keys_of((await cli(daemon, "export")).stdout)["2307.00009"] == "arXiv:2307.00009"

    # New titles, unsaved and saved again, a restart: a key once given never changes.
    source.write_text(csl("Revised: "), encoding="utf-8")
    await cli(daemon, "import", str(source))
    await cli(daemon, "unsave", "2307.00003")
    await cli(daemon, "save", "2307.00003")
    await asyncio.to_thread(daemon.stop)
    await asyncio.to_thread(daemon.start)
    after = keys_of((await cli(daemon, "export")).stdout)
    assert {pid: after[pid] for pid in issued if pid != "2307.00009"} == {
        pid: key for pid, key in issued.items() if pid != "2307.00009"
    }
    paper_bib = daemon.home / "data" / "library" / "2307.00003" / "paper.bib"
    await until(lambda: paper_bib.exists() and "@misc{scholkopf2023causal," in paper_bib.read_text())


async def test_i17_7_library_bib_follows_every_change(daemon: DaemonProcess, tmp_path: Path) -> None:
    library_bib = daemon.home / "data" / "library" / "library.bib"
    source = tmp_path / "zotero.json"
    source.write_text(csl(), encoding="utf-8")
    await cli(daemon, "import", str(source))
    await until(lambda: library_bib.exists() and len(keys_of(library_bib.read_text())) == 3)
    # A tag and a note reach the file; a removal takes the paper out of it.
    status, _ = await asyncio.to_thread(
        daemon.request, "PATCH", "papers/2307.00003", {"tags": ["causality"], "note": "read §2"}
    )
    assert status == 200, _
    await until(lambda: "keywords = {causality}" in library_bib.read_text())
    await cli(daemon, "unsave", "2307.00001")
    await until(lambda: "2307.00001" not in library_bib.read_text())
    text = library_bib.read_text()
    assert text.startswith("% The reading list of papertray")
    assert set(keys_of(text)) == {"2307.00002", "2307.00003"}
    # Written atomically: no temporary file is left beside it.
    assert sorted(p.name for p in library_bib.parent.iterdir() if p.is_file()) == ["library.bib"]
