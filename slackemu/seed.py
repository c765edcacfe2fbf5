"""The people and channels a fresh workspace starts with: the demo's, or a JSON file's.

A seed is `{"users": [...], "channels": [...]}`. A user needs `id`, `name` and `real_name`
(`email`, `display_name`, `is_admin`, `is_owner`, `tz` are optional); a channel needs `id`
and `name`; `members` (a list of user ids, the app's bot joining them; "everyone", the bot
included; or "people", everyone but the bot; "everyone" by default) and `is_private` are
optional. The bot user is always there. An optional `team` names the workspace itself
(`{"id": "T…", "domain": "…"}`, either or both; `T0CASEBR` and `casebridge-local` otherwise).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_SEED: dict[str, Any] = {
    "users": [
        {
            "id": "UALICE",
            "name": "alice",
            "real_name": "Alice Admin",
            "email": "alice@casebridge.localhost",
            "is_admin": True,
            "is_owner": True,
            "display_name": "Alice",
        },
        {
            "id": "UBOB",
            "name": "bob",
            "real_name": "Bob Agent",
            "email": "bob@casebridge.localhost",
            "display_name": "Bob",
        },
        {
            "id": "UCAROL",
            "name": "carol",
            "real_name": "Carol Agent",
            "email": "carol@casebridge.localhost",
            "display_name": "Carol",
        },
    ],
    "channels": [
        {"id": "C0SUPPORT", "name": "support", "members": "everyone"},
        {"id": "C0GENERAL", "name": "general", "members": "people"},
    ],
}

USER_FIELDS = {"id", "name", "real_name", "email", "display_name", "is_admin", "is_owner", "tz"}
CHANNEL_FIELDS = {"id", "name", "members", "is_private"}
TEAM_FIELDS = {"id", "domain"}
# Slack's ids are upper-case letters and digits; a domain is what may precede `.slack.com`.
TEAM_ID = re.compile(r"T[A-Z0-9]{2,20}")
TEAM_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,19}[a-z0-9])?")


class SeedError(ValueError):
    """A seed that cannot describe a workspace; the message names the entry."""


def load_seed(path: str | Path) -> dict[str, Any]:
    """Read and check a seed file (JSON)."""
    try:
        seed = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        raise SeedError(f"{path}: {problem}") from None
    check_seed(seed)
    return dict(seed)


def check_seed(seed: object) -> None:
    """Refuse, with one line naming the entry, a seed the workspace could not be made from."""
    if not isinstance(seed, Mapping) or set(seed) - {"users", "channels", "team"}:
        raise SeedError('a seed is an object with "users" and "channels" lists (and a "team")')
    _check_team(seed.get("team", {}))
    users, channels = seed.get("users", []), seed.get("channels", [])
    if not isinstance(users, list) or not isinstance(channels, list):
        raise SeedError('"users" and "channels" are lists')
    ids: set[str] = set()
    for n, user in enumerate(users):
        _check_entry(f"users[{n}]", user, {"id", "name", "real_name"}, USER_FIELDS)
        if not str(user["id"]).startswith(("U", "W")):
            raise SeedError(f"users[{n}]: a user id starts with U or W, not {user['id']!r}")
        ids.add(user["id"])
    for n, channel in enumerate(channels):
        _check_entry(f"channels[{n}]", channel, {"id", "name"}, CHANNEL_FIELDS)
        if not str(channel["id"]).startswith(("C", "G")):
            raise SeedError(f"channels[{n}]: a channel id starts with C or G")
        members = channel.get("members", "everyone")
        if members not in ("everyone", "people") and not (
            isinstance(members, list) and set(members) <= ids
        ):
            raise SeedError(
                f'channels[{n}]: members is "everyone", "people" or a list of the users\' ids'
            )


def _check_team(team: object) -> None:
    _check_entry("team", team, set(), TEAM_FIELDS)
    assert isinstance(team, Mapping)
    if "id" in team and not (isinstance(team["id"], str) and TEAM_ID.fullmatch(team["id"])):
        raise SeedError("team: an id is T and 2 to 20 upper-case letters or digits")
    domain = team.get("domain", "x")
    if not (isinstance(domain, str) and TEAM_DOMAIN.fullmatch(domain)):
        raise SeedError("team: a domain is 1 to 21 lower-case letters, digits or inner hyphens")


def _check_entry(where: str, entry: object, required: set[str], allowed: set[str]) -> None:
    if not isinstance(entry, Mapping):
        raise SeedError(f"{where}: an object")
    missing, unknown = required - set(entry), set(entry) - allowed
    if missing:
        raise SeedError(f"{where}: missing {', '.join(sorted(missing))}")
    if unknown:
        raise SeedError(f"{where}: unknown {', '.join(sorted(unknown))}")
