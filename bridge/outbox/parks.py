"""Parked lanes as this worker knows them: the database holds the truth, this mirrors it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextvars import ContextVar

from bridge.outbox.errors import Parked
from storage.repositories.outbox import Park

# The scope an item under way was parked on: its calls are the lane's probe, so let them pass.
PROBING: ContextVar[str | None] = ContextVar("casebridge_probing", default=None)

WORKSPACE = "workspace"


def channel_scope(channel: str) -> str:
    return f"channel:{channel}"


def item_scope(item_id: int) -> str:
    return f"item:{item_id}"


class ParkBoard:
    """Which lanes are parked, so calls into them stop before they reach the other side."""

    def __init__(self) -> None:
        self._parks: dict[str, Park] = {}

    def replace(self, parks: Iterable[Park]) -> None:
        self._parks = {p.scope: p for p in parks}

    def add(self, park: Park) -> None:
        self._parks[park.scope] = park

    def remove(self, scope: str) -> Park | None:
        return self._parks.pop(scope, None)

    def get(self, scope: str) -> Park | None:
        return self._parks.get(scope)

    def all(self) -> Sequence[Park]:
        return sorted(self._parks.values(), key=lambda p: p.since)

    def check(self, scopes: Iterable[str]) -> None:
        """Raise Parked when one of `scopes` is held back (unless this is its probe)."""
        probing = PROBING.get()
        for scope in scopes:
            park = self._parks.get(scope)
            if park is not None and scope != probing:
                raise Parked(scope, park.error, park.fix)
