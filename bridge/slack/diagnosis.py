"""Slack errors an admin can fix, each as one plain sentence saying what is wrong and what to do.

Shared by `portal create`/`portal channel` (which refuse a channel the bot cannot post in),
`casebridge doctor` and the start-up checks. `{channel}` is filled with a channel mention.
"""

from __future__ import annotations

REINSTALL = (
    "reinstall the app (api.slack.com/apps → your app → Install App) and put its Bot User "
    "OAuth Token in SLACK_BOT_TOKEN"
)

FIXES: dict[str, str] = {
    "not_in_channel": "casebridge is not a member of {channel}. Fix: type `/invite @casebridge` "
    "in {channel}.",
    "channel_not_found": "casebridge cannot see {channel}: it is private and the bot is not in "
    "it, or it was deleted. Fix: type `/invite @casebridge` in it, or run `/casebridge portal "
    "channel <subdomain>` in another channel.",
    "is_archived": "{channel} is archived. Fix: unarchive it, or run `/casebridge portal "
    "channel <subdomain>` in another channel.",
    "method_not_supported_for_channel_type": "{channel} is not a channel casebridge can join. "
    "Fix: run `/casebridge portal channel <subdomain>` in a channel.",
    "missing_scope": "the app lacks the Slack scope `{needed}`. Fix: add it under OAuth & "
    "Permissions (or re-create the app from app_manifest.yml), then " + REINSTALL + ".",
    "token_revoked": "the bot token was revoked (the app was uninstalled). Fix: " + REINSTALL + ".",
    "invalid_auth": "Slack does not accept SLACK_BOT_TOKEN. Fix: " + REINSTALL + ".",
    "not_authed": "SLACK_BOT_TOKEN is not set. Fix: " + REINSTALL + ".",
    "account_inactive": "the bot or the workspace is deactivated. Fix: reactivate it, or "
    + REINSTALL
    + ".",
}


def explain(error: str, channel: str | None = None, needed: str | None = None) -> str:
    """What `error` means for casebridge and the one thing to do, in a sentence."""
    where = f"<#{channel}>" if channel else "the channel"
    known = FIXES.get(error)
    if known is None:
        return f"Slack answered `{error}`" + (f" for {where}." if channel else ".")
    text = known.format(channel=where, needed=needed or "?")
    return text[:1].upper() + text[1:]
