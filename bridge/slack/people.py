"""Who is clicking: Slack users become agents on first use, with their admin standing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bridge import views
from bridge.core.agents import Agent
from bridge.services import agents as agent_services
from bridge.services.context import ServiceContext

log = logging.getLogger(__name__)

# users.info is Tier 4 and every click or command needs it: a name or an admin flag changed in
# Slack reaches casebridge within this long, and a busy agent costs one call per period.
PROFILE_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class Profile:
    """What casebridge reads from users.info."""

    name: str
    email: str
    is_admin: bool


class People:
    """Reads users.info (cached a while) and keeps the agent row up to date."""

    def __init__(
        self,
        client: AsyncWebClient,
        ctx: ServiceContext,
        lifetime: timedelta = PROFILE_LIFETIME,
    ) -> None:
        self.client = client
        self.ctx = ctx
        self.lifetime = lifetime
        self._profiles: dict[str, tuple[datetime, Profile]] = {}

    async def ensure(self, user_id: str) -> Agent:
        """The agent for this Slack user, created or refreshed from Slack."""
        profile = await self.profile(user_id)
        if profile is None:
            known = await views.agent(self.ctx, user_id)
            if known is not None:
                return known
            return await agent_services.ensure_agent(
                self.ctx, user_id, user_id, is_admin=user_id in self.ctx.policies.admins
            )
        return await agent_services.ensure_agent(
            self.ctx, user_id, profile.name, email=profile.email, is_admin=profile.is_admin
        )

    async def profile(self, user_id: str) -> Profile | None:
        """The user's Slack profile, from the cache while it is fresh; None if Slack refuses."""
        now = self.ctx.clock.now()
        cached = self._profiles.get(user_id)
        if cached is not None and now - cached[0] < self.lifetime:
            return cached[1]
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return None
        user = response["user"]
        details = user.get("profile", {})
        profile = Profile(
            name=details.get("display_name")
            or user.get("real_name")
            or user.get("name")
            or user_id,
            email=details.get("email", ""),
            is_admin=bool(user.get("is_admin") or user.get("is_owner"))
            or user_id in self.ctx.policies.admins,
        )
        if len(self._profiles) > 10_000:  # a bound, not a policy: drop everything stale
            self._profiles = {k: v for k, v in self._profiles.items() if now - v[0] < self.lifetime}
        self._profiles[user_id] = (now, profile)
        return profile
