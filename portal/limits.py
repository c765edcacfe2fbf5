"""Abuse limits for customer traffic: moving windows per socket, case, client and recipient.

Kept in process memory by default: a limit is a short-lived guard, not state worth a database
round trip per message. Name a Redis (`storage_uri`) and several workers share the same limits.
"""

from __future__ import annotations

from bridge.rate_limits import Limiter, limit

PER_CASE = limit("8 per 8 seconds")
PER_ADDRESS = limit("30 per 10 seconds")
OPENINGS = limit("10 per 50 seconds")
# Any event from one socket, whatever it is: the cheap guard in front of everything else.
PER_SOCKET = limit("60 per 3 seconds")
CONNECTS = limit("30 per 15 seconds")
HELLOS = limit("10 per 5 seconds")
CASE_ACTIONS = limit("5 per 10 seconds")
UPLOADS_PER_CASE = limit("10 per minute")
UPLOADS_PER_ADDRESS = limit("30 per minute")
# Support-request confirmations go to whatever address was typed in: a few a day each.
CONFIRMATIONS = limit("5 per day")


class CustomerLimits:
    """Every customer action has a bound, checked before any database work.

    Each method answers the seconds to wait before the action may happen (0: it may now).
    """

    def __init__(self, storage_uri: str = "memory://") -> None:
        self.limiter = Limiter(storage_uri)

    async def message(self, case_id: int, address: str) -> float:
        """Before this message may go."""
        # A message one limit refuses must not spend the other's allowance: a customer over
        # their case's limit would otherwise use up what others behind the same address have.
        return await self.limiter.wait_all(
            (PER_CASE, ("portal-case", str(case_id))),
            (PER_ADDRESS, ("portal-address", address)),
        )

    async def opening(self, address: str) -> float:
        """Before this address may open another case."""
        return await self.limiter.wait(OPENINGS, "portal-opening", address)

    async def connect(self, address: str) -> float:
        """Before this address may open another socket."""
        return await self.limiter.wait(CONNECTS, "portal-connect", address)

    async def socket_event(self, sid: str) -> float:
        """Before this socket may send any event."""
        return await self.limiter.wait(PER_SOCKET, "portal-socket", sid)

    async def forget_socket(self, sid: str) -> None:
        """The socket is gone; its count with it."""
        await self.limiter.clear(PER_SOCKET, "portal-socket", sid)

    async def hello(self, case_id: int) -> float:
        """Before this case's page may reload the whole chat."""
        return await self.limiter.wait(HELLOS, "portal-hello", str(case_id))

    async def case_action(self, case_id: int) -> float:
        """Before this case may stop waiting or end again."""
        return await self.limiter.wait(CASE_ACTIONS, "portal-case-action", str(case_id))

    async def upload(self, case_key: str, address: str) -> float:
        """Before this case (by its token's hash) may upload another file from this address."""
        return await self.limiter.wait_all(
            (UPLOADS_PER_CASE, ("portal-upload-case", case_key)),
            (UPLOADS_PER_ADDRESS, ("portal-upload-address", address)),
        )

    async def ban(self, address: str, seconds: float) -> None:
        """Turn this address's new sockets away for `seconds` (it flooded)."""
        await self.limiter.block(seconds, "portal-flooder", address)

    async def banned_for(self, address: str) -> float:
        """Seconds left before this address may open a socket again (0: it may)."""
        return await self.limiter.blocked_for("portal-flooder", address)

    async def confirmation(self, email: str) -> float:
        """Before another support-request confirmation may go to `email`."""
        return await self.limiter.wait(CONFIRMATIONS, "portal-confirmation", email.strip().lower())
