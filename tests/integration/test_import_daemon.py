"""Import against the real daemon: a crafted BibTeX body does not stop it answering everything else, and what an
import stores follows the same rules as PATCH (issue 11, items 13 and 16)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemon import DaemonProcess

RECORDS = 8_000
NO_DOWNLOADS = {"PAPERTRAY_ARXIV_URL": "http://127.0.0.1:9", "PAPERTRAY_HF_URL": "http://127.0.0.1:9"}


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[DaemonProcess]:
    process = DaemonProcess(tmp_path / "home", **NO_DOWNLOADS)
    await asyncio.to_thread(process.start)
    yield process
    await asyncio.to_thread(process.stop)


def crafted_body() -> str:
    """About 240 KB of JSON (the API takes 256 KiB): thousands of small records with no arXiv id (work to parse,
    nothing to store), then a record that never closes followed by a long run of blank lines: the old parser
    looked for a next record from each of those lines again (quadratic) and held the event loop meanwhile."""
    records = "".join(f"@book{{b{n}, t={{x}}}}\n" for n in range(RECORDS))
    return records + "@misc{a,\n" + "\n   " * 12_000


async def http(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    token: str = "",
    sent: asyncio.Event | None = None,
    answering: Callable[[], None] | None = None,
) -> tuple[int, Any]:
    """One request on its own connection, written in full (then `sent` is set) before the answer is awaited;
    `answering` is called when the answer's first byte arrives."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    writer.transport.set_write_buffer_limits(0)  # drain() returns once every byte is with the kernel
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    if sent is not None:
        sent.set()
    raw = await reader.read(1)
    if answering is not None:
        answering()
    raw += await reader.read()
    writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    payload = rest.partition(b"\r\n\r\n")[2]
    return int(status_line.split()[1]), json.loads(payload) if payload else None


async def test_s13_health_is_answered_while_a_crafted_import_is_parsed(daemon: DaemonProcess) -> None:
    body = json.dumps({"format": "bibtex", "content": crafted_body()}).encode()
    assert 200_000 < len(body) < 256 * 1024  # within the API's body limit
    order: list[str] = []
    sent = asyncio.Event()

    async def import_() -> Any:
        return await http(
            daemon.port, "POST", "/api/v1/import", body, daemon.token, sent, lambda: order.append("import answers")
        )

    importing = asyncio.create_task(import_())
    await sent.wait()  # the whole import request is with the daemon before the health request is sent
    status, health = await http(daemon.port, "GET", "/api/v1/health")
    assert status == 200 and health["status"] == "ok"
    order.append("health answered")
    status, report = await importing
    assert status == 200, report
    # The health request was answered while the import was being read, not queued behind it.
    assert order == ["health answered", "import answers"]
    # The import itself is whole: every record is accounted for, the broken one named.
    assert report["imported"] == 0 and report["total"] == RECORDS + 1
    assert report["skipped"][-1]["label"] == "a"
    assert "Could not read this record" in report["skipped"][-1]["reason"]
