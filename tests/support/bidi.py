"""A minimal WebDriver BiDi client over aiohttp's WebSocket: commands with ids and their answers, events to
listeners, and conversion between BiDi remote values and plain Python (the spec: w3c.github.io/webdriver-bidi)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp


class BiDiError(RuntimeError):
    """A WebDriver BiDi command answered with an error."""


class BiDi:
    """One WebDriver BiDi session over a WebSocket: `command()` sends and awaits the answer with the same id; events
    go to the listeners added with `on()`."""

    def __init__(self) -> None:
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._next_id = 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._listeners: dict[str, list[Callable[[dict[str, Any]], None]]] = {}

    async def connect(self, url: str) -> None:
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(url, max_msg_size=0, heartbeat=None)
        self._reader = asyncio.create_task(self._read())

    def on(self, event: str, listener: Callable[[dict[str, Any]], None]) -> None:
        self._listeners.setdefault(event, []).append(listener)

    async def command(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        assert self._ws is not None, "not connected"
        self._next_id += 1
        command_id = self._next_id
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[command_id] = answer
        try:
            await self._ws.send_json({"id": command_id, "method": method, "params": params or {}})
            message = await asyncio.wait_for(answer, timeout)
        finally:
            self._waiting.pop(command_id, None)
        if message.get("type") == "error":
            raise BiDiError(f"{method}: {message.get('error')}: {message.get('message')}")
        result: dict[str, Any] = message.get("result", {})
        return result

    async def _read(self) -> None:
        assert self._ws is not None
        async for frame in self._ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            message: dict[str, Any] = json.loads(frame.data)
            if "id" in message and message["id"] in self._waiting:
                future = self._waiting[message["id"]]
                if not future.done():
                    future.set_result(message)
            elif message.get("type") == "event":
                for listener in self._listeners.get(str(message.get("method")), []):
                    listener(message.get("params", {}))
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(BiDiError("the WebDriver BiDi connection closed"))

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 5)
        if self._http is not None:
            await self._http.close()


def from_remote(value: dict[str, Any]) -> Any:
    """A BiDi RemoteValue as plain Python: primitives, arrays, objects; nodes stay as their serialized dicts."""
    kind = value.get("type")
    if kind in {"undefined", "null"}:
        return None
    if kind in {"string", "boolean"}:
        return value["value"]
    if kind == "number":
        number = value["value"]
        return float("nan") if isinstance(number, str) else number
    if kind in {"array", "set", "nodelist", "htmlcollection"}:
        return [from_remote(item) for item in value.get("value", [])]
    if kind in {"object", "map"}:
        return {
            (key if isinstance(key, str) else str(from_remote(key))): from_remote(item)
            for key, item in value.get("value", [])
        }
    return value


def to_remote(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, int | float):
        return {"type": "number", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, list | tuple):
        return {"type": "array", "value": [to_remote(v) for v in value]}
    if isinstance(value, dict):
        return {"type": "object", "value": [[str(k), to_remote(v)] for k, v in value.items()]}
    raise TypeError(f"cannot send {type(value).__name__} to the page")
