"""Portal rules, the outbox's ordering, deduplication and the schema, on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bridge.clock import FakeClock
from bridge.core.errors import InvalidInput, NotAllowed, PortalNotFound
from bridge.core.routing import Mode
from bridge.services import agents as agent_services
from bridge.services import portals as portal_services
from bridge.services.context import ServiceContext
from storage.models import Base
from storage.uow import Database


async def test_only_admins_may_configure_portals_as_slack_last_said(ctx: ServiceContext) -> None:
    await agent_services.ensure_agent(ctx, "UOWNER", "Olga", is_admin=True)
    await agent_services.ensure_agent(ctx, "UBOB", "Bob")
    await portal_services.require_admin(ctx, "UOWNER")
    await portal_services.require_admin(ctx, "UADMIN")  # listed in CASEBRIDGE_ADMINS, unseen yet
    for nobody in ("UBOB", "USTRANGER"):
        with pytest.raises(NotAllowed) as refused:
            await portal_services.require_admin(ctx, nobody)
        assert refused.value.code == "admin_only"

    # Slack says Olga is no longer an owner: her next command finds her refused.
    await agent_services.ensure_agent(ctx, "UOWNER", "Olga", is_admin=False)
    with pytest.raises(NotAllowed):
        await portal_services.require_admin(ctx, "UOWNER")


async def test_subdomains_are_unique_whatever_their_case(ctx: ServiceContext) -> None:
    await portal_services.create_portal(ctx, company="Acme", subdomain="acme")
    with pytest.raises(InvalidInput) as refused:
        await portal_services.create_portal(ctx, company="Other", subdomain="ACME")
    assert str(refused.value) == "subdomain 'acme' is taken"


async def test_a_company_has_one_portal(ctx: ServiceContext) -> None:
    await portal_services.create_portal(ctx, company="Acme", subdomain="acme")
    with pytest.raises(InvalidInput, match="already has a portal"):
        await portal_services.create_portal(ctx, company="Acme", subdomain="acme-two")


async def test_concurrent_creates_of_one_subdomain_make_one_portal(ctx: ServiceContext) -> None:
    results = await asyncio.gather(
        *(
            portal_services.create_portal(ctx, company=f"Co {n}", subdomain="race")
            for n in range(5)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert len(await portal_services.list_portals(ctx)) == 1


async def test_portal_settings_change_and_unknown_ones_are_named(ctx: ServiceContext) -> None:
    await portal_services.create_portal(ctx, company="Acme", subdomain="acme")
    portal = await portal_services.update_portal(
        ctx, "ACME", mode=Mode.PIN, active=False, channel_id="CNEW", language="fr"
    )
    assert (portal.mode, portal.active, portal.channel_id, portal.language) == (
        Mode.PIN,
        False,
        "CNEW",
        "fr",
    )
    with pytest.raises(PortalNotFound, match="no portal 'globex'"):
        await portal_services.update_portal(ctx, "globex", active=True)


async def test_outbox_delivers_in_order_per_key_and_waits_for_retries(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with db.uow() as uow:
        a1 = await uow.outbox.add(
            kind="slack", ordering_key="case:1", operation="a1", payload={}, now=now
        )
        a2 = await uow.outbox.add(
            kind="slack", ordering_key="case:1", operation="a2", payload={}, now=now
        )
        b1 = await uow.outbox.add(
            kind="slack", ordering_key="case:2", operation="b1", payload={"n": 1}, now=now
        )
        await uow.commit()
    lease = timedelta(seconds=30)
    async with db.uow() as uow:
        assert [i.id for i in await uow.outbox.due(now)] == [a1, b1]
        assert await uow.outbox.begin_attempt(a1, now, lease)
        assert not await uow.outbox.begin_attempt(a1, now, lease)  # another worker: no
        await uow.outbox.mark_sent(b1, {"ts": "1.2"}, now)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.outbox.due(now) == []  # a1 is leased, a2 waits behind it
        await uow.outbox.retry_later(a1, now + timedelta(seconds=5), "ratelimited")
        await uow.commit()
    async with db.uow() as uow:
        later = now + timedelta(seconds=5)
        assert [i.id for i in await uow.outbox.due(later)] == [a1]
        assert await uow.outbox.begin_attempt(a1, later, lease)
        await uow.outbox.mark_failed(a1, "channel_not_found", later)
        await uow.commit()
    async with db.uow() as uow:
        assert [i.id for i in await uow.outbox.due(now)] == [a2]
        failed = await uow.outbox.failed()
        assert [(f.id, f.last_error, f.attempts) for f in failed] == [(a1, "channel_not_found", 2)]


async def test_an_inbound_event_is_processed_once_even_when_delivered_together(
    db: Database, clock: FakeClock
) -> None:
    async def deliver() -> bool:
        async with db.uow() as uow:
            first = await uow.processed.first_time("event:Ev123", clock.now())
            await uow.commit()
            return first

    results = await asyncio.gather(*(deliver() for _ in range(10)))
    assert sorted(results) == [False] * 9 + [True]


async def test_the_migrations_build_exactly_the_models(db: Database) -> None:
    async with db.engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert diff == []


async def test_times_come_back_in_utc(db: Database, clock: FakeClock) -> None:
    async with db.uow() as uow:
        await uow.agents.upsert(
            "UANA", display_name="Ana", email="", is_admin=False, now=clock.now()
        )
        await uow.commit()
    async with db.uow() as uow:
        from storage.models import AgentRow

        row = await uow.session.get(AgentRow, "UANA")
        assert row is not None and row.updated_at == clock.now()
        assert row.updated_at.tzinfo is not None


async def test_work_in_flight_does_not_absorb_a_new_request(db: Database, clock: FakeClock) -> None:
    # Regression: a home refresh already being rendered swallowed the request that followed
    # an availability change, leaving the Home tab stale.
    now = clock.now()
    async with db.uow() as uow:
        first = await uow.outbox.add(
            kind="slack", ordering_key="home:UBOB", operation="home.publish", payload={}, now=now
        )
        assert await uow.outbox.has_pending("home:UBOB", "home.publish")
        assert await uow.outbox.begin_attempt(first, now, timedelta(seconds=30))
        assert not await uow.outbox.has_pending("home:UBOB", "home.publish")
        await uow.commit()
