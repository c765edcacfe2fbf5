"""The demo company `make run` seeds, through Slack's Web API and casebridge's services."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bridge.core.routing import Mode
from bridge.demo import DEMO_PORTALS, seed_demo
from bridge.services.portals import list_portals
from tests.slack.conftest import Casebridge


async def test_seeding_twice_sets_up_one_portal_per_mode_and_a_channel_each(
    bridge: Casebridge,
) -> None:
    client = AsyncWebClient(token=bridge.slack.bot_token, base_url=bridge.slack.api_url)
    first = await seed_demo(bridge.services, client)
    again = await seed_demo(bridge.services, client)

    assert first == again
    assert {p.mode for p in DEMO_PORTALS} == set(Mode)
    portals = {p.subdomain: p for p in await list_portals(bridge.services)}
    channels = {c.name: c for c in bridge.slack.workspace.channels.values()}
    for demo in DEMO_PORTALS:
        channel = channels[demo.channel]  # created once, everybody in it
        assert portals[demo.subdomain].channel_id == channel.id
        assert {"UALICE", "UBOB", "UCAROL"} <= channel.members
    assert len([c for c in channels if c.endswith("-support")]) == len(DEMO_PORTALS)
    assert [(a.name, a.is_admin) for a in first.agents] == [
        ("Alice", True),
        ("Bob", False),
        ("Carol", False),
    ]
    async with bridge.services.db.uow() as uow:
        assert all(a.available for a in await uow.agents.all())
