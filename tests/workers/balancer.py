"""A round-robin TCP balancer on loopback: each new connection goes to the next worker.

No stickiness at all (the hard case): what a WebSocket keeps on one connection stays on one
worker; what long-polling spreads over several requests would not.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools


class RoundRobin:
    """Listens on 127.0.0.1:`port`; relays each connection to the next of `targets`."""

    def __init__(self, targets: list[int]) -> None:
        self.targets = itertools.cycle(targets)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.connections: list[int] = []  # which target each connection went to

    async def __aenter__(self) -> RoundRobin:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = int(self.server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.server is not None:
            self.server.close()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        target = next(self.targets)
        self.connections.append(target)
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_w.transport.abort()
            return
        await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        with contextlib.suppress(Exception):
            writer.close()
