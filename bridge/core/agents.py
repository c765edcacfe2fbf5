"""Agents as the core sees them: availability and notification preferences."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preferences:
    """How an agent wants to hear of new cases: DM, mention (quietly or not), email."""

    dm: bool = True
    mention: bool = False
    email: bool = False
    quiet: bool = False


@dataclass(frozen=True)
class Agent:
    slack_user_id: str
    display_name: str
    available: bool = False
    is_admin: bool = False
    email: str = ""
    preferences: Preferences = Preferences()
