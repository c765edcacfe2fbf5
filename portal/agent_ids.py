"""Opaque agent ids for the portal: customers choose an agent without learning Slack user ids.

An id is an HMAC of the Slack user id under a server-side key, so every worker hands out and
reads back the same ids, and nobody outside can turn one into a Slack user id.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


class AgentIds:
    """Slack user id ↔ the id the portal shows."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def public(self, slack_user_id: str) -> str:
        """The id a customer sees for this agent."""
        digest = hmac.new(self.key, slack_user_id.encode(), hashlib.sha256).hexdigest()
        return "a" + digest[:20]

    def resolve(self, public_id: str, candidates: Iterable[str]) -> str | None:
        """The Slack user id among `candidates` that `public_id` names, if any."""
        for slack_user_id in candidates:
            if hmac.compare_digest(self.public(slack_user_id), public_id):
                return slack_user_id
        return None
