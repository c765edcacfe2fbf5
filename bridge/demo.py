"""The demo company `make run` sets up when no Slack workspace is configured.

It goes through the same doors a real installation does: Slack's Web API (here the local
stand-in) for channels and people, casebridge's services for portals and agents. Running it
again changes nothing that is already in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bridge.core.errors import PortalNotFound
from bridge.core.routing import Mode
from bridge.services import agents as agent_services
from bridge.services import portals as portal_services
from bridge.services.context import ServiceContext
from bridge.slack.people import People


@dataclass(frozen=True)
class DemoPortal:
    subdomain: str
    company: str
    mode: Mode
    channel: str  # the Slack channel's name; its id is whatever Slack gives it


DEMO_PORTALS = (
    DemoPortal("acme", "Acme", Mode.QUEUE, "acme-support"),
    DemoPortal("globex", "Globex", Mode.MATCH, "globex-support"),
    DemoPortal("umbrella", "Umbrella", Mode.PIN, "umbrella-support"),
    DemoPortal("initech", "Initech", Mode.BUTTON, "initech-support"),
    DemoPortal("hooli", "Hooli", Mode.BROADCAST, "hooli-support"),
)


@dataclass(frozen=True)
class DemoAgent:
    slack_id: str
    name: str
    is_admin: bool


@dataclass(frozen=True)
class DemoCompany:
    """What was set up, for the start-up banner."""

    portals: tuple[DemoPortal, ...]
    agents: tuple[DemoAgent, ...]


async def _people(client: AsyncWebClient) -> list[str]:
    """Every human in the workspace (bots and deactivated accounts are not agents)."""
    response = await client.users_list()
    return [
        member["id"]
        for member in response["members"]
        if not member.get("is_bot") and not member.get("deleted") and member["id"] != "USLACKBOT"
    ]


async def _channel(client: AsyncWebClient, name: str, people: list[str]) -> str:
    """The channel's id, created (with everybody in it) when it does not exist yet."""
    listing = await client.conversations_list(types="public_channel", limit=1000)
    channel = next((c for c in listing["channels"] if c["name"] == name), None)
    if channel is None:
        channel = (await client.conversations_create(name=name))["channel"]
    try:
        await client.conversations_invite(channel=channel["id"], users=",".join(people))
    except SlackApiError as exc:
        if exc.response.get("error") != "already_in_channel":
            raise
    return str(channel["id"])


async def seed_demo(ctx: ServiceContext, client: AsyncWebClient) -> DemoCompany:
    """A portal per routing mode, a channel per portal, every workspace member an agent."""
    people = await _people(client)
    agents = []
    for user_id in people:
        agent = await People(client, ctx).ensure(user_id)
        await agent_services.set_availability(ctx, user_id, True)
        agents.append(DemoAgent(user_id, agent.display_name, agent.is_admin))
    for demo in DEMO_PORTALS:
        channel_id = await _channel(client, demo.channel, people)
        try:
            await portal_services.get_portal(ctx, demo.subdomain)
        except PortalNotFound:
            await portal_services.create_portal(
                ctx, company=demo.company, subdomain=demo.subdomain, mode=demo.mode
            )
        # The stand-in's workspace is new on every start: point the portal at today's channel.
        await portal_services.update_portal(ctx, demo.subdomain, channel_id=channel_id)
    return DemoCompany(DEMO_PORTALS, tuple(agents))
