"""How a new case reaches agents, for each portal mode. Pure selectors over plain data."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from bridge.core.errors import AgentUnavailable, InvalidInput


class Mode(enum.StrEnum):
    MATCH = "match"
    BROADCAST = "broadcast"
    BUTTON = "button"
    PIN = "pin"
    QUEUE = "queue"


def parse_mode(text: str) -> Mode:
    """Mode from user text, case-insensitively; a clear error names the choices."""
    try:
        return Mode(text.strip().lower())
    except ValueError:
        choices = ", ".join(m.value for m in Mode)
        raise InvalidInput("mode", f"'{text}' is not a mode (choose one of {choices})") from None


@dataclass(frozen=True)
class AgentSlot:
    """What routing needs to know of an agent."""

    id: str
    available: bool


@dataclass(frozen=True)
class Routing:
    """The decision: who is alerted, who (if anyone) gets the case outright, the new cursor."""

    alert: tuple[str, ...]
    assignee: str | None
    cursor: str | None
    queued: bool = False


def available_ids(agents: Sequence[AgentSlot]) -> list[str]:
    """Available agents in a stable order (by id), so round-robin has a fixed ring."""
    return sorted(a.id for a in agents if a.available)


def select_match(agents: Sequence[AgentSlot], chosen: str | None) -> str:
    """The customer's chosen agent, who must be available."""
    if not chosen:
        raise InvalidInput("agent", "choose an agent", "required")
    if chosen not in available_ids(agents):
        raise AgentUnavailable(chosen)
    return chosen


def select_queue(agents: Sequence[AgentSlot], cursor: str | None) -> str | None:
    """The first available agent after `cursor` on the ring; None when nobody is available."""
    ring = available_ids(agents)
    if not ring:
        return None
    if cursor is None:
        return ring[0]
    after = [agent_id for agent_id in ring if agent_id > cursor]
    return after[0] if after else ring[0]


def route(
    mode: Mode,
    agents: Sequence[AgentSlot],
    *,
    cursor: str | None = None,
    chosen: str | None = None,
    code_agent: str | None = None,
) -> Routing:
    """Decide where a new case goes. Modes naming one agent (match, pin, queue) hand it over."""
    if mode is Mode.MATCH:
        agent = select_match(agents, chosen)
        return Routing(alert=(agent,), assignee=agent, cursor=cursor)
    if mode is Mode.PIN:
        # The code's agent read the code out on the phone: they expect this customer,
        # available or not.
        if not code_agent:
            raise InvalidInput("code", "a code is required", "required")
        return Routing(alert=(code_agent,), assignee=code_agent, cursor=cursor)
    if mode is Mode.QUEUE:
        agent_or_none = select_queue(agents, cursor)
        if agent_or_none is None:
            return Routing(alert=(), assignee=None, cursor=cursor, queued=True)
        return Routing(alert=(agent_or_none,), assignee=agent_or_none, cursor=agent_or_none)
    # broadcast and button: everyone available hears of it, the first to claim wins.
    return Routing(alert=tuple(available_ids(agents)), assignee=None, cursor=cursor)
