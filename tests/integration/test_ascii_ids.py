"""Paper ids and dates are ASCII digits only, in every way into the daemon: a fullwidth or Arabic-Indic id is
refused with a sentence and nothing is stored (no record, no library folder), as the extension refuses it."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from papertray.config import ConfigError, Paths, load_config
from papertray.models import canonical_id, is_canonical_id, parse_paper_ref
from tests.support.daemon import DaemonProcess, run_cli

FULLWIDTH = "２３０７.１２３４５"
ARABIC_INDIC = "٢٣٠٧.١٢٣٤٥"
MIXED = "2307.1234٥"
OLD_STYLE = "hep-th/٩٩٠١٠٠١"
LOOKALIKE_ARCHIVE = "ſtat/9901001"  # a long s, which case folding would take for an "s"
UNICODE_IDS = (FULLWIDTH, ARABIC_INDIC, MIXED, OLD_STYLE, LOOKALIKE_ARCHIVE)


@pytest.mark.parametrize("text", [*UNICODE_IDS, f"https://arxiv.org/abs/{FULLWIDTH}", f"arXiv:{ARABIC_INDIC}v2"])
def test_s15_unicode_digits_are_no_paper_id(text: str) -> None:
    assert canonical_id(text) is None
    assert parse_paper_ref(text) is None
    assert not is_canonical_id(text)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    process = DaemonProcess(tmp_path / "home").start()
    try:
        yield process
    finally:
        process.stop()


def test_s15_the_api_refuses_unicode_ids_and_dates_and_stores_nothing(daemon: DaemonProcess) -> None:
    for paper_id in UNICODE_IDS:
        quoted = urllib.parse.quote(paper_id, safe="")
        for method, path in (("POST", f"papers/{quoted}/save"), ("GET", f"papers/{quoted}")):
            status, body = daemon.request(method, path, {} if method == "POST" else None)
            assert status == 400, (paper_id, method, status, body)
            assert "arXiv" in body["error"]
        status, body = daemon.post("lookup", {"ids": [paper_id]})
        assert status in (200, 400), body
        if status == 200:
            assert all(item.get("state") in (None, "unknown") for item in body.get("papers", {}).values()), body
    status, body = daemon.get("papers?since=" + urllib.parse.quote("２０２５-07-31"))
    assert status == 400, body
    status, listed = daemon.get("papers")
    assert status == 200 and listed["papers"] == []
    library = daemon.home / "data" / "library"
    assert not library.exists() or not any(library.iterdir())


def test_s15_the_cli_and_the_config_take_ascii_digits_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    refused = run_cli(home, "list", "--since", "٣d")
    assert refused.returncode == 2 and "not a date" in refused.stderr
    saved = run_cli(home, "save", FULLWIDTH)
    assert saved.returncode == 1 and "is not an arXiv id" in saved.stderr
    paths = Paths.from_env({"PAPERTRAY_HOME": str(home)})
    paths.ensure()
    paths.config_file.write_text('[notifications]\nquiet_hours = "２２:00-07:00"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="quiet_hours"):
        load_config(paths, env={})
