"""Reading a request body with a hard cap on the bytes actually received."""

from __future__ import annotations

from aiohttp import web


async def read_capped(request: web.BaseRequest, limit: int) -> bytes | None:
    """The body, or None once it passes `limit` bytes — counted, whatever Content-Length says."""
    if (request.content_length or 0) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(limit + 1 - size)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
