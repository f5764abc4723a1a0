"""A CONNECT proxy on 127.0.0.1 that gives a browser real hostnames on a fixture server.

Firefox cannot remap host:port the way Chromium's `--host-resolver-rules` does; pointed at this proxy (its manual
proxy prefs), it asks for `CONNECT huggingface.co:443`, and the proxy tunnels that to the fixture HTTPS server's
port. Anything else is refused with 403 and recorded, so a test can tell what else the browser tried to reach.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable


class TunnelProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that tunnels `host:443` for the given hosts to `127.0.0.1:target_port` and
    answers 403 to anything else (recorded in `refused`)."""

    def __init__(self, hosts: Iterable[str], target_port: int) -> None:
        self.hosts = frozenset(hosts)
        self.target_port = target_port
        self.port = 0
        self.tunnelled: list[str] = []
        self.refused: list[str] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> TunnelProxy:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            host, _, port = target.rpartition(":")
            if method != "CONNECT" or port != "443" or host not in self.hosts:
                self.refused.append(f"{method} {target}")
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            self.tunnelled.append(target)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.close()
