"""How one delivery attempt can fail, whatever it delivers."""

from __future__ import annotations


class DeliveryError(Exception):
    """Base of the ways an attempt can fail."""


class RateLimited(DeliveryError):
    """The other side asked us to slow down: never a failure, never counted toward giving up."""

    def __init__(self, channel: str | None, retry_after: float) -> None:
        self.channel, self.retry_after = channel, retry_after
        super().__init__(f"ratelimited (retry after {retry_after:g}s)")


class Transient(DeliveryError):
    """Worth retrying with back-off (5xx, connection trouble, a busy server).

    `maybe_done`: the other side may have carried it out before the trouble (a timeout after
    sending, Slack's `internal_error`), so the next attempt must look before repeating it.
    """

    def __init__(self, message: str, *, maybe_done: bool = True) -> None:
        super().__init__(message)
        self.maybe_done = maybe_done


class Permanent(DeliveryError):
    """Retrying cannot help (a refused address, a message that no longer exists): mark failed."""


class Parked(DeliveryError):
    """Something an admin can fix stops a whole lane (a channel, the workspace, one item).

    The lane is held back, not failed; admins are told `fix`; a probe now and then finds out
    when it works again, and then everything waiting goes out in order.
    """

    def __init__(self, scope: str, error: str, fix: str) -> None:
        self.scope, self.error, self.fix = scope, error, fix
        super().__init__(f"{error} ({scope})")
