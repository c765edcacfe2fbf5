"""A TCP relay in front of a server that a test can cut and restore, like a dropped network."""

from __future__ import annotations

import asyncio
import contextlib


class CuttableProxy:
    """Relays 127.0.0.1:`port` to 127.0.0.1:`target`; `cut()` drops every connection."""

    def __init__(self, target: int, port: int = 0) -> None:
        self.target, self.port = target, port
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen again (the port is kept, so the browser reconnects to the same address)."""
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = int(self.server.sockets[0].getsockname()[1])  # the system's pick, first time

    async def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        if self.server:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            client_w.transport.abort()
            return
        self.writers |= {client_w, server_w}
        await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        self.writers.discard(writer)
        writer.transport.abort()
