"""Who is clicking: Slack users become agents on first use, with their admin standing."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bridge.core.agents import Agent
from bridge.services import agents as agent_services
from bridge.services.context import ServiceContext

log = logging.getLogger(__name__)


class People:
    """Reads users.info and keeps the agent row (name, email, admin) up to date."""

    def __init__(self, client: AsyncWebClient, ctx: ServiceContext) -> None:
        self.client = client
        self.ctx = ctx

    async def ensure(self, user_id: str) -> Agent:
        """The agent for this Slack user, created or refreshed from Slack."""
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            async with self.ctx.db.uow() as uow:
                known = await uow.agents.get(user_id)
            if known is not None:
                return known
            return await agent_services.ensure_agent(
                self.ctx, user_id, user_id, is_admin=user_id in self.ctx.policies.admins
            )
        user = response["user"]
        profile = user.get("profile", {})
        name = profile.get("display_name") or user.get("real_name") or user.get("name") or user_id
        is_admin = (
            bool(user.get("is_admin") or user.get("is_owner"))
            or user_id in self.ctx.policies.admins
        )
        return await agent_services.ensure_agent(
            self.ctx, user_id, name, email=profile.get("email", ""), is_admin=is_admin
        )
