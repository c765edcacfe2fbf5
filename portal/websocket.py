"""The portal's WebSocket transport without per-message compression.

aiohttp negotiates permessage-deflate whenever the browser offers it (they all do), and every
connection then keeps a zlib compressor and decompressor: about 85 KB of the ~115 KB an idle
socket costs the server. Chat messages are a few hundred bytes, so compression saves nothing
worth that; without it 10,000 idle customers fit in a third of the memory.
"""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp  # type: ignore[import-untyped]


class PlainWebSocket(engineio_aiohttp.WebSocket):  # type: ignore[misc]
    """engineio's aiohttp WebSocket wrapper, answering the upgrade with compression off."""

    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


def without_deflate(server: socketio.AsyncServer) -> None:
    """Make `server` (async_mode aiohttp) open its WebSockets uncompressed."""
    # engineio picks its WebSocket class from the driver's table; this server gets its own copy.
    server.eio._async = {**server.eio._async, "websocket": PlainWebSocket}
