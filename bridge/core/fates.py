"""What became of an agent's reply, as the agent sees it on their own message in Slack.

Only the latest fate is shown (one reaction at a time), so the thread never fills with marks.
"""

from __future__ import annotations

import enum


class Fate(enum.StrEnum):
    """Each value is the Slack reaction (emoji name) that shows it."""

    DELIVERED = "white_check_mark"  # the customer's browser has it
    SEEN = "eyes"  # the customer's page showed it
    EMAILED = "email"  # the customer left before seeing it: it went out by email


def fate_of(delivered: bool, seen: bool, emailed: bool) -> Fate | None:
    """The fate to show; None while the reply waits for the customer's browser."""
    if seen:
        return Fate.SEEN
    if emailed:
        return Fate.EMAILED
    if delivered:
        return Fate.DELIVERED
    return None
