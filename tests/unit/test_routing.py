"""Routing per mode, and the fairness of the queue's round-robin."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.core.errors import AgentUnavailable, InvalidInput
from bridge.core.routing import AgentSlot, Mode, parse_mode, route, select_queue

ANA, BEA, CAI = AgentSlot("UANA", True), AgentSlot("UBEA", True), AgentSlot("UCAI", False)
TEAM = [ANA, BEA, CAI]


def test_match_hands_the_case_to_the_chosen_agent() -> None:
    decision = route(Mode.MATCH, TEAM, chosen="UBEA")
    assert (decision.alert, decision.assignee) == (("UBEA",), "UBEA")


def test_match_refuses_an_unavailable_agent_clearly() -> None:
    with pytest.raises(AgentUnavailable, match="UCAI is not available"):
        route(Mode.MATCH, TEAM, chosen="UCAI")


def test_match_needs_a_choice() -> None:
    with pytest.raises(InvalidInput, match="choose an agent"):
        route(Mode.MATCH, TEAM)


@pytest.mark.parametrize("mode", [Mode.BROADCAST, Mode.BUTTON])
def test_broadcast_and_button_alert_every_available_agent(mode: Mode) -> None:
    decision = route(mode, TEAM)
    assert (decision.alert, decision.assignee) == (("UANA", "UBEA"), None)


def test_pin_goes_straight_to_the_codes_agent_even_if_unavailable() -> None:
    decision = route(Mode.PIN, TEAM, code_agent="UCAI")
    assert (decision.alert, decision.assignee) == (("UCAI",), "UCAI")


def test_queue_hands_to_the_next_available_agent_after_the_cursor() -> None:
    first = route(Mode.QUEUE, TEAM)
    second = route(Mode.QUEUE, TEAM, cursor=first.cursor)
    third = route(Mode.QUEUE, TEAM, cursor=second.cursor)
    assert [first.assignee, second.assignee, third.assignee] == ["UANA", "UBEA", "UANA"]


def test_queue_with_nobody_available_keeps_the_case_queued() -> None:
    decision = route(Mode.QUEUE, [CAI], cursor="UANA")
    assert (decision.assignee, decision.queued, decision.cursor) == (None, True, "UANA")


def test_queue_cursor_on_an_agent_who_left_moves_on() -> None:
    assert select_queue([ANA, BEA], cursor="UAAA-gone") == "UANA"
    assert select_queue([ANA, BEA], cursor="UZZZ-gone") == "UANA"
    assert select_queue([ANA, BEA], cursor="UBAA-gone") == "UBEA"


def test_mode_text_is_parsed_case_insensitively_with_a_clear_refusal() -> None:
    assert parse_mode(" Queue ") is Mode.QUEUE
    with pytest.raises(InvalidInput, match="choose one of match, broadcast, button, pin, queue"):
        parse_mode("smartbox")


agents = st.lists(
    st.builds(AgentSlot, st.from_regex(r"U[A-Z0-9]{3}", fullmatch=True), st.booleans()),
    min_size=1,
    max_size=8,
    unique_by=lambda a: a.id,
)


@given(
    team=agents,
    cases=st.integers(min_value=1, max_value=200),
    start=st.none() | st.from_regex(r"U[A-Z0-9]{3}", fullmatch=True),
)
def test_queue_is_fair_and_never_picks_an_unavailable_agent(
    team: list[AgentSlot], cases: int, start: str | None
) -> None:
    available = {a.id for a in team if a.available}
    cursor, handed = start, Counter[str]()
    for _ in range(cases):
        decision = route(Mode.QUEUE, team, cursor=cursor)
        if not available:
            assert decision.assignee is None and decision.queued
            continue
        assert decision.assignee in available
        handed[decision.assignee] += 1
        cursor = decision.cursor
    if available:
        counts = [handed[a] for a in available]
        assert max(counts) - min(counts) <= 1
