"""One limiter for the portal's abuse limits and Slack pacing: in memory, or shared in Redis."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
from limits import RateLimitItem

from bridge.rate_limits import Limiter, limit
from bridge.slack.calls import ChannelPacing
from portal.limits import CustomerLimits

REDIS = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["memory://", REDIS])
async def storage_uri(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    uri: str = request.param
    if uri.startswith("redis") and not redis_answers():
        pytest.skip("no Redis at 127.0.0.1:6379")
    yield uri


def fresh(key: str) -> str:
    """A key no other run (or worker sharing the Redis) has used."""
    return f"{key}-{uuid.uuid4().hex}"


async def test_a_burst_goes_then_the_next_waits_and_others_are_not_slowed(
    storage_uri: str,
) -> None:
    limiter = Limiter(storage_uri)
    two_a_second = limit("2 per second")
    try:
        await a_burst_then_a_wait(limiter, two_a_second)
    finally:
        await limiter.aclose()


async def a_burst_then_a_wait(limiter: Limiter, two_a_second: RateLimitItem) -> None:
    case_1, case_2 = fresh("case:1"), fresh("case:2")
    assert [await limiter.wait(two_a_second, case_1) for _ in range(2)] == [0, 0]
    wait = await limiter.wait(two_a_second, case_1)
    assert 0 < wait <= 1
    assert await limiter.wait(two_a_second, case_2) == 0  # someone else is not slowed down
    await asyncio.sleep(wait)  # the limiter's own answer: after that, one more fits
    assert await limiter.wait(two_a_second, case_1) == 0


async def test_two_workers_naming_the_same_redis_share_one_limit() -> None:
    if not redis_answers():
        pytest.skip("no Redis at 127.0.0.1:6379")
    first, second = Limiter(REDIS), Limiter(REDIS)
    once = limit("1 per minute")
    key = fresh("address")
    assert await first.wait(once, key) == 0
    assert await second.wait(once, key) > 0
    await first.aclose()
    await second.aclose()


async def test_separate_memory_limiters_keep_their_own_counts() -> None:
    first, second = Limiter(), Limiter()
    once = limit("1 per minute")
    assert await first.wait(once, "address") == 0
    assert await second.wait(once, "address") == 0


async def test_a_429_blocks_the_channel_for_its_retry_after(storage_uri: str) -> None:
    pacing = ChannelPacing("50 per second", storage_uri)
    channel, other = fresh("C0SUPPORT"), fresh("C0OTHER")
    await pacing.block(channel, 1)
    assert 0 < await pacing.limiter.blocked_for("slack-channel", channel) <= 1
    assert await pacing.limiter.blocked_for("slack-channel", other) == 0
    await asyncio.wait_for(pacing.wait_turn(other), 0.5)  # another channel goes at once
    await asyncio.wait_for(pacing.wait_turn(channel), 3)
    assert await pacing.limiter.blocked_for("slack-channel", channel) == 0
    await pacing.limiter.aclose()


async def test_a_customer_flooding_one_case_is_told_how_long_to_wait() -> None:
    limits = CustomerLimits()
    waits = [await limits.message(1, "198.51.100.7") for _ in range(9)]
    assert waits[:8] == [0] * 8 and 0 < waits[8] <= 8
    assert await limits.message(2, "198.51.100.8") == 0


def test_a_storage_that_is_neither_memory_nor_redis_is_refused() -> None:
    with pytest.raises(ValueError, match="memory:// or redis://"):
        Limiter("memcached://127.0.0.1:11211")


async def test_a_customer_over_their_case_limit_spends_nothing_of_their_address(
    storage_uri: str,
) -> None:
    # Ana floods her own chat; Bea, behind the same office NAT, still gets her messages out.
    limits = CustomerLimits(storage_uri)
    office = fresh("203.0.113.9")
    ana, bea = 10_000_000 + uuid.uuid4().int % 10**6, 20_000_000 + uuid.uuid4().int % 10**6
    try:
        sent = [await limits.message(ana, office) for _ in range(60)]
        assert sent[:8] == [0.0] * 8 and all(wait > 0 for wait in sent[8:])
        assert await limits.message(bea, office) == 0.0
    finally:
        await limits.limiter.aclose()
