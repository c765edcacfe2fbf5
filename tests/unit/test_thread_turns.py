"""A thread's events are handled in the order they arrived, whatever each one's work costs."""

from __future__ import annotations

import asyncio

from bridge.slack.thread_turns import ThreadTurns, thread_of


async def test_replies_of_one_thread_finish_in_arrival_order_others_do_not_wait() -> None:
    turns = ThreadTurns()
    done: list[str] = []

    async def handle(thread: str, name: str, work: float) -> None:
        async with turns.of(thread):
            await asyncio.sleep(work)  # the first reply's database write is the slowest
            done.append(name)

    await asyncio.gather(
        handle("C1:100.1", "first", 0.06),
        handle("C1:100.1", "second", 0.03),
        handle("C2:200.1", "elsewhere", 0.0),
        handle("C1:100.1", "third", 0.0),
    )
    assert [n for n in done if n != "elsewhere"] == ["first", "second", "third"]
    assert done[0] == "elsewhere"  # another thread never queued behind this one
    assert not turns._locks  # nothing kept once nobody waits


def test_the_thread_of_a_reply_an_edit_and_anything_else() -> None:
    reply = {"event": {"type": "message", "channel": "C1", "ts": "2.0", "thread_ts": "1.0"}}
    edit = {"event": {"type": "message", "channel": "C1", "message": {"thread_ts": "1.0"}}}
    assert thread_of(reply) == thread_of(edit) == "C1:1.0"
    assert thread_of({"event": {"type": "app_home_opened"}}) is None
    assert thread_of({"type": "block_actions"}) is None
