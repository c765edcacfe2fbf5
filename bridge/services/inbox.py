"""The inbox of inbound Slack requests: store before acknowledging, mark what was handled."""

from __future__ import annotations

from typing import Any

from bridge.services.context import ServiceContext
from storage.repositories.inbox import StoredRequest

# A request whose handling failed this many times is parked as failed (and logged), so one
# poisonous payload cannot be retried for ever.
GIVE_UP_AFTER = 8


async def receive(
    ctx: ServiceContext, key: str, kind: str, payload: dict[str, Any]
) -> StoredRequest:
    """Store an inbound request (once per key) and return it with its status.

    Raises whatever the database raises: then the request must not be acknowledged."""
    async with ctx.db.uow() as uow:
        stored = await uow.inbox.receive(key, kind, payload, ctx.clock.now())
        await uow.commit()
    return stored


async def finish(ctx: ServiceContext, inbox_id: int) -> None:
    """The request has been handled; it will not be handled again."""
    async with ctx.db.uow() as uow:
        await uow.inbox.finish(inbox_id)
        await uow.commit()


async def note_failure(ctx: ServiceContext, inbox_id: int, error: str) -> bool:
    """Handling failed this time; True when the request has now been parked for good."""
    async with ctx.db.uow() as uow:
        parked = await uow.inbox.note_failure(inbox_id, error, GIVE_UP_AFTER, ctx.clock.now())
        await uow.commit()
    return parked


async def pending(ctx: ServiceContext, limit: int = 100) -> list[StoredRequest]:
    """Requests stored but not handled yet, oldest first."""
    async with ctx.db.read() as uow:
        return await uow.inbox.pending(limit)
