"""Ports: what the services' outward adapters must offer. Fakes in tests satisfy these."""

from __future__ import annotations

from typing import Any, Protocol


class CustomerPush(Protocol):
    """Live updates to the customer's browser (the portal's Socket.IO room for the case)."""

    async def push(self, case_id: int, kind: str, data: dict[str, Any]) -> None: ...


class NoCustomerPush:
    """Used when no portal is attached: the outcome is still stored, nothing is pushed live."""

    async def push(self, case_id: int, kind: str, data: dict[str, Any]) -> None:
        return None
