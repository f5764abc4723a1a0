"""The reading list's downloads under hostile or broken servers: IPv6 forms of private addresses are refused on
redirect (11.8), a drip-feeding server cannot stall the queue (11.9), an impossible version or an unexpected
error costs one paper one attempt and never the worker (11.10), and errors read as one sentence (11.27)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from papertray.library import downloads as library_module
from tests.integration import test_library
from tests.integration.test_library import Harness
from tests.support.paper_server import PaperServer


@pytest.fixture
def server() -> AsyncIterator[PaperServer]:
    with PaperServer() as srv:
        srv.add("2307.12345", title="Sparse Autoencoders Find Features", version=2)
        srv.add("2401.00002", title="The next paper in the queue")
        yield srv


harness = test_library.harness  # with this module's `server`


@pytest.mark.parametrize(
    "host",
    [
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254, the cloud metadata address
        "[64:ff9b:1::a00:1]",  # local-use NAT64
        "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
        "[::7f00:1]",  # IPv4-compatible 127.0.0.1
        "[::ffff:0:a00:1]",  # IPv4-translated 10.0.0.1
        "[fec0::1]",  # site-local
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
    ],
)
async def test_s8_a_redirect_to_an_ipv6_form_of_a_private_address_is_refused(
    harness: Harness, server: PaperServer, host: str
) -> None:
    server.fault("/pdf/2307.12345", f"redirect:http://{host}:{server.port}/elsewhere/2307.12345")
    await harness.start()
    await harness.store.update_state("2307.12345", saved=True)
    failed = await harness.wait_for("2307.12345", "failed")
    assert "private or local address" in failed["error"], failed["error"]
    assert failed["attempts"] == 1  # refused, not retried
    assert server.hits("/elsewhere/") == 0


async def test_s9_a_drip_feeding_server_cannot_stall_the_queue(harness: Harness, server: PaperServer) -> None:
    # One byte every 0.1 s never trips the 1 s per-read timeout; the total deadline must end it.
    server.fault("/pdf/2307.12345", "drip")
    await harness.start(pdf_timeout=1.5, max_attempts=2)
    await harness.store.update_state("2307.12345", saved=True)
    await harness.store.update_state("2401.00002", saved=True)
    retrying = await harness.wait_for("2307.12345", "retrying")
    assert retrying["error"] == (f"127.0.0.1:{server.port} took more than 1.5 seconds to send the PDF of 2307.12345.")
    await harness.wait_for("2401.00002", "done")  # the queue moved on
    assert list(harness.folder("2401.00002").glob("*.pdf"))
    failed = await harness.wait_for("2307.12345", "failed")
    assert "took more than 1.5 seconds" in failed["error"]
    assert list(harness.folder("2307.12345").glob("*.pdf")) == []
    assert list(harness.folder("2307.12345").glob(".*.part")) == []


async def test_s10_an_arxiv_version_past_2_64_is_dropped_and_the_worker_goes_on(
    harness: Harness, server: PaperServer
) -> None:
    server.papers["2307.12345"].atom_version = str(2**64 + 1)
    await harness.start()
    await harness.store.update_state("2307.12345", saved=True)
    await harness.wait_for("2307.12345", "done")
    await harness.store.update_state("2401.00002", saved=True)
    await harness.wait_for("2401.00002", "done")
    # The rest of the entry is kept; the version is unknown, so the PDF is filed without one.
    paper = harness.store.get_paper("2307.12345")
    assert paper is not None and paper.title == "Sparse Autoencoders Find Features" and paper.version is None
    assert [name for _v, name in harness.library.pdfs("2307.12345")] == ["2307.12345.pdf"]  # type: ignore[union-attr]


async def test_s10_an_unexpected_error_in_one_paper_is_recorded_and_the_worker_goes_on(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = library_module.parse_paper_details

    def broken(body: bytes, paper_id: str) -> object:
        if paper_id == "2307.12345":
            raise RuntimeError("a bug nobody foresaw")
        return real(body, paper_id)

    monkeypatch.setattr(library_module, "parse_paper_details", broken)  # fault injection into one item only
    await harness.start(max_attempts=2)
    await harness.store.update_state("2307.12345", saved=True)
    retrying = await harness.wait_for("2307.12345", "retrying")
    assert retrying["error"] == "papertray hit an internal error fetching this paper; the log has the details."
    await harness.store.update_state("2401.00002", saved=True)
    await harness.wait_for("2401.00002", "done")
    status = harness.library.paper_status("2307.12345")  # type: ignore[union-attr]
    assert status["error"] == retrying["error"]


async def test_u27_an_offline_download_error_is_one_sentence_a_user_understands(
    tmp_path: Path, server: PaperServer
) -> None:
    h = Harness(
        tmp_path / "home", server, hf_url="http://no-such-host.invalid", arxiv_url="http://no-such-host.invalid"
    )
    try:
        await h.start(max_attempts=1)
        await h.store.update_state("2307.12345", saved=True)
        failed = await h.wait_for("2307.12345", "failed")
    finally:
        await h.stop()
    assert failed["error"] == (
        "No title or abstract for 2307.12345 yet: no-such-host.invalid could not be found (no network connection, "
        "or no such host); 1 more request failed too."
    )
    assert "Errno" not in failed["error"] and ".;" not in failed["error"]


async def test_u27_a_folder_that_cannot_be_written_is_one_sentence_too(harness: Harness) -> None:
    # A file where the paper's folder should go (works as root too, unlike a read-only folder).
    blocker = harness.config.paths.library_dir / "2307.12345"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    await harness.start(max_attempts=1)
    await harness.store.update_state("2307.12345", saved=True)
    failed = await harness.wait_for("2307.12345", "failed")
    assert failed["error"] == f"Could not write {blocker} (File exists): nothing was written."
    assert blocker.read_text() == "not a folder"
