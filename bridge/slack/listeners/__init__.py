"""Bolt listeners, one module per area; each only translates and calls a service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.services.context import ServiceContext
from bridge.slack.deliverer import SlackDeliverer
from bridge.slack.outbox_writer import enqueue_ephemeral
from bridge.slack.people import People


@dataclass
class Deps:
    """What listeners need: the services, who people are, and a way to answer privately."""

    services: ServiceContext
    people: People
    deliverer: SlackDeliverer

    async def tell(
        self,
        channel: str,
        user: str,
        text: str,
        case_id: int | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        """An ephemeral answer to `user`, sent through the outbox like everything else."""
        async with self.services.db.uow() as uow:
            await enqueue_ephemeral(
                uow,
                self.services.clock,
                channel=channel,
                user=user,
                text=text,
                blocks=blocks,
                case_id=case_id,
            )
            await uow.commit()
        self.deliverer.wake()
