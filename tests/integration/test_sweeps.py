"""The scheduler's sweeps with a hand-wound clock: waits abandoned, replies unseen, codes spent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bridge.clock import FakeClock
from bridge.core.cases import CaseStatus, CaseType
from bridge.core.events import (
    CaseConverted,
    CaseHandedOut,
    CustomerWarnedOfWait,
    UnseenReplyQueued,
)
from bridge.core.routing import Mode
from bridge.services import casework, codes, customer, queue
from bridge.services.context import ServiceContext
from bridge.services.email_replies import mark_seen
from bridge.services.sweeps import (
    Timings,
    prune_outbox,
    prune_processed,
    sweep_abandoned,
    sweep_unseen_replies,
    sweep_wait_warnings,
)
from tests.conftest import RecordingBus
from tests.scenario import a_portal, an_agent, customer_opens_chat

TIMINGS = Timings(
    grace=timedelta(seconds=60),
    max_wait=timedelta(minutes=10),
    warn_before=timedelta(minutes=1),
    unseen_reply=timedelta(minutes=5),
)


async def _case(ctx: ServiceContext, case_id: int) -> tuple[CaseType, CaseStatus]:
    async with ctx.db.uow() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None
    return case.type, case.status


async def test_customer_who_stops_waiting_leaves_a_support_request_at_once(
    ctx: ServiceContext, recorder: RecordingBus
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await an_agent(ctx, "UANA")
    opened = await customer_opens_chat(ctx)

    await customer.stop_waiting(ctx, opened.token)

    assert await _case(ctx, opened.case.id) == (CaseType.SUPPORT_REQUEST, CaseStatus.UNASSIGNED)
    assert recorder.of_type(CaseConverted) == [CaseConverted(opened.case.id, "stopped_waiting")]
    assert await customer.stop_waiting(ctx, opened.token) == []  # pressing twice is harmless


async def test_customer_gone_longer_than_the_grace_period_leaves_a_support_request(
    ctx: ServiceContext, clock: FakeClock, recorder: RecordingBus
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await an_agent(ctx, "UANA")
    opened = await customer_opens_chat(ctx)
    await customer.set_presence(ctx, opened.token, connected=True)
    await customer.set_presence(ctx, opened.token, connected=False)

    clock.advance(seconds=59)
    assert await sweep_abandoned(ctx, TIMINGS) == []
    clock.advance(seconds=1)
    assert await sweep_abandoned(ctx, TIMINGS) == [CaseConverted(opened.case.id, "customer_left")]

    assert await _case(ctx, opened.case.id) == (CaseType.SUPPORT_REQUEST, CaseStatus.UNASSIGNED)
    view = await customer.view_case(ctx, opened.token)
    assert [m.text for m in view.messages] == ["My printer is on fire"]  # the question is kept


async def test_customer_back_within_the_grace_period_keeps_their_chat(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    await customer.set_presence(ctx, opened.token, connected=False)
    clock.advance(seconds=45)
    await customer.set_presence(ctx, opened.token, connected=True)  # a reload, say

    clock.advance(seconds=120)
    assert await sweep_abandoned(ctx, TIMINGS) == []
    assert await _case(ctx, opened.case.id) == (CaseType.LIVE_CHAT, CaseStatus.UNASSIGNED)


async def test_wait_past_the_maximum_is_announced_then_becomes_a_support_request(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    await customer.set_presence(ctx, opened.token, connected=True)

    clock.advance(minutes=8, seconds=59)
    assert await sweep_wait_warnings(ctx, TIMINGS) == []
    clock.advance(seconds=1)
    assert await sweep_wait_warnings(ctx, TIMINGS) == [CustomerWarnedOfWait(opened.case.id, 60)]
    clock.advance(seconds=30)
    assert await sweep_wait_warnings(ctx, TIMINGS) == []  # warned once
    assert await sweep_abandoned(ctx, TIMINGS) == []

    clock.advance(seconds=30)
    assert await sweep_abandoned(ctx, TIMINGS) == [CaseConverted(opened.case.id, "max_wait")]


async def test_a_claimed_chat_is_never_converted(ctx: ServiceContext, clock: FakeClock) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await an_agent(ctx, "UANA")
    opened = await customer_opens_chat(ctx)
    await customer.set_presence(ctx, opened.token, connected=False)
    await casework.claim(ctx, opened.case.id, "UANA")

    clock.advance(hours=1)
    assert await sweep_abandoned(ctx, TIMINGS) == []
    assert await sweep_wait_warnings(ctx, TIMINGS) == []
    assert await _case(ctx, opened.case.id) == (CaseType.LIVE_CHAT, CaseStatus.ASSIGNED)


async def test_two_sweeps_racing_convert_the_case_once(
    ctx: ServiceContext, clock: FakeClock, recorder: RecordingBus
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    cases = [await customer_opens_chat(ctx, question=f"question {n}") for n in range(4)]
    clock.advance(minutes=11)

    first, second = await asyncio.gather(
        sweep_abandoned(ctx, TIMINGS), sweep_abandoned(ctx, TIMINGS)
    )

    converted = sorted(e.case_id for e in [*first, *second] if isinstance(e, CaseConverted))
    assert converted == sorted(c.case.id for c in cases)
    assert len(recorder.of_type(CaseConverted)) == 4


async def test_a_case_that_fell_due_while_we_were_down_is_converted_on_the_first_sweep(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    await customer.set_presence(ctx, opened.token, connected=False)

    # Nothing runs for an hour; state lives in the database, so the next sweep catches up.
    clock.advance(hours=1)
    assert await sweep_abandoned(ctx, TIMINGS) == [CaseConverted(opened.case.id, "customer_left")]


async def test_an_unseen_reply_to_a_departed_customer_is_emailed_once(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await an_agent(ctx, "UANA")
    opened = await customer_opens_chat(ctx)
    await customer.set_presence(ctx, opened.token, connected=True)
    await casework.claim(ctx, opened.case.id, "UANA")
    seen = await casework.post_agent_message(ctx, opened.case.id, "UANA", "Hello!", "1.000001")
    await mark_seen(ctx, opened.case.id, _message_id(seen))
    await customer.set_presence(ctx, opened.token, connected=False)
    unseen = await casework.post_agent_message(ctx, opened.case.id, "UANA", "Try this", "1.0002")

    clock.advance(minutes=4, seconds=59)
    assert await sweep_unseen_replies(ctx, TIMINGS) == []
    clock.advance(seconds=1)
    first, second = await asyncio.gather(
        sweep_unseen_replies(ctx, TIMINGS), sweep_unseen_replies(ctx, TIMINGS)
    )
    assert [*first, *second] == [UnseenReplyQueued(opened.case.id, _message_id(unseen))]
    assert await sweep_unseen_replies(ctx, TIMINGS) == []


async def test_a_reply_to_a_connected_customer_is_never_emailed(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await an_agent(ctx, "UANA")
    opened = await customer_opens_chat(ctx)
    await customer.set_presence(ctx, opened.token, connected=True)
    await casework.claim(ctx, opened.case.id, "UANA")
    await casework.post_agent_message(ctx, opened.case.id, "UANA", "Still there?", "1.000001")

    clock.advance(hours=1)
    assert await sweep_unseen_replies(ctx, TIMINGS) == []


async def test_the_queue_sweep_hands_out_to_an_agent_made_available_elsewhere(
    ctx: ServiceContext,
) -> None:
    await a_portal(ctx, Mode.QUEUE)
    await an_agent(ctx, "UANA", available=False)
    waiting = await customer_opens_chat(ctx)
    assert waiting.case.queued
    # Availability written by another worker (or before a crash cut the hand-out short).
    async with ctx.db.uow() as uow:
        await uow.agents.update("UANA", ctx.clock.now(), available=True)
        await uow.commit()

    assert await queue.hand_out_queued(ctx) == [CaseHandedOut(waiting.case.id, "UANA")]
    assert await queue.hand_out_queued(ctx) == []
    assert await _case(ctx, waiting.case.id) == (CaseType.LIVE_CHAT, CaseStatus.ASSIGNED)


async def test_spent_and_expired_codes_are_forgotten_a_day_later(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    await a_portal(ctx, Mode.PIN)
    await an_agent(ctx, "UANA")
    await codes.make_code(ctx, "UANA", None)
    clock.advance(hours=25)
    fresh = await codes.make_code(ctx, "UANA", None)

    assert await codes.purge_codes(ctx) == 1
    assert [c.value for c in await codes.live_codes(ctx, "UANA")] == [fresh.value]


def _message_id(events: object) -> int:
    (posted,) = [e for e in events if hasattr(e, "message_id")]  # type: ignore[attr-defined]
    return int(posted.message_id)


async def test_processed_event_ids_are_forgotten_after_a_week_not_before(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    async with ctx.db.uow() as uow:
        assert await uow.processed.first_time("event:Ev-old", clock.now())
        await uow.commit()
    clock.advance(days=6)
    async with ctx.db.uow() as uow:
        assert await uow.processed.first_time("event:Ev-recent", clock.now())
        await uow.commit()
    clock.advance(days=1, seconds=1)

    assert await prune_processed(ctx, TIMINGS) == 1

    async with ctx.db.uow() as uow:
        # Slack's retry of the recent event is still recognised; the week-old one is gone
        assert not await uow.processed.first_time("event:Ev-recent", clock.now())
        assert await uow.processed.first_time("event:Ev-old", clock.now())
        await uow.commit()
    assert await prune_processed(ctx, TIMINGS) == 0


async def test_delivered_outbox_items_go_after_the_retention_dm_records_with_the_case(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)

    async def item(operation: str, status: str) -> int:
        async with ctx.db.uow() as uow:
            added = await uow.outbox.add(
                kind="slack",
                ordering_key=f"case:{opened.case.id}",
                operation=operation,
                payload={"case_id": opened.case.id, "text": "Ana's words"},
                now=clock.now(),
                case_id=opened.case.id,
            )
            if status == "sent":
                await uow.outbox.mark_sent(added, {"channel": "D1", "ts": "1.2"}, clock.now())
            await uow.commit()
        return added

    posted, dm = await item("thread.post", "sent"), await item("alert.dm", "sent")
    waiting = await item("thread.post", "pending")
    clock.advance(days=6)
    assert await prune_outbox(ctx, TIMINGS, keep=("alert.dm",)) == 0
    clock.advance(days=1, seconds=1)
    assert await prune_outbox(ctx, TIMINGS, keep=("alert.dm",)) == 1
    async with ctx.db.uow() as uow:
        assert await uow.outbox.get(posted) is None
        assert await uow.outbox.get(waiting) is not None  # not delivered yet: never pruned
        # The DM's record says where the DM is, for deleting it with the case.
        assert await uow.outbox.posted_for_case(opened.case.id, ("alert.dm",)) == [("D1", "1.2")]
    await customer.end_chat(ctx, opened.token)
    await casework.delete_case(ctx, opened.case.id, "UADMIN", is_admin=True)
    assert await prune_outbox(ctx, TIMINGS, keep=("alert.dm",)) == 1
    async with ctx.db.uow() as uow:
        assert await uow.outbox.get(dm) is None
