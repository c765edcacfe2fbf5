"""Links to a case's files that work without the case token, for a limited time: emails and
the transcript carry them. The link names the file and its expiry, signed with HMAC-SHA256
(FILE_LINK_SECRET); casebridge serves it only while the signature holds and the time is not up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bridge.links import portal_origin


@dataclass(frozen=True)
class SignedLink:
    url: str
    expires: datetime


@dataclass(frozen=True)
class FileLinks:
    """Makes and checks the signed, expiring links to files."""

    key: bytes
    lifetime: timedelta
    public_url: str

    def __repr__(self) -> str:
        return f"FileLinks(lifetime={self.lifetime}, public_url={self.public_url!r})"

    def _signature(self, attachment_id: int, expires: int) -> str:
        message = f"casebridge-file:{attachment_id}:{expires}".encode()
        digest = hmac.new(self.key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def link(self, attachment_id: int, subdomain: str | None, now: datetime) -> SignedLink:
        """A link valid for `lifetime` from `now`."""
        expires = math.ceil((now + self.lifetime).timestamp())
        origin = portal_origin(self.public_url, subdomain)
        path = f"/files/{attachment_id}/{expires}/{self._signature(attachment_id, expires)}"
        return SignedLink(origin + path, datetime.fromtimestamp(expires, UTC))

    def valid(self, attachment_id: int, expires: int, signature: str) -> bool:
        """Whether the link was made by us for this file (expiry aside)."""
        expected = self._signature(attachment_id, expires)
        return hmac.compare_digest(expected.encode(), signature.encode())

    @staticmethod
    def expired(expires: int, now: datetime) -> bool:
        """Whether a link's time is up."""
        return now.timestamp() > expires

    @classmethod
    def of(cls, key: bytes, lifetime_seconds: int, public_url: str) -> FileLinks:
        return cls(key, timedelta(seconds=lifetime_seconds), public_url)
