"""How one delivery attempt can fail, whatever it delivers."""

from __future__ import annotations


class DeliveryError(Exception):
    """Base of the three ways an attempt can fail."""


class RateLimited(DeliveryError):
    def __init__(self, channel: str | None, retry_after: float) -> None:
        self.channel, self.retry_after = channel, retry_after
        super().__init__(f"ratelimited (retry after {retry_after:g}s)")


class Transient(DeliveryError):
    """Worth retrying with back-off (5xx, connection trouble, a busy server)."""


class Permanent(DeliveryError):
    """Retrying cannot help (channel_not_found, a refused address…): mark failed, tell people."""
