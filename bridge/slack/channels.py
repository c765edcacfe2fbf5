"""Making sure the bot can work in a portal's channel: joining public ones itself."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bridge.slack.diagnosis import explain

log = logging.getLogger(__name__)


async def make_postable(client: AsyncWebClient, channel: str) -> str | None:
    """None when the bot is in `channel` (after joining it, if public); else the problem and
    its fix, in a sentence.

    Membership matters beyond posting: Slack only sends the bot the thread replies of
    channels it is in, so chat:write.public alone would post cases nobody can answer.
    """
    try:
        info = (await client.conversations_info(channel=channel))["channel"]
        if info.get("is_archived"):
            return explain("is_archived", channel)
        if info.get("is_member") or info.get("is_im"):
            return None
        if info.get("is_private"):
            return explain("not_in_channel", channel)
        await client.conversations_join(channel=channel)
        log.info("joined %s", channel)
        return None
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return explain(str(data.get("error") or "unknown"), channel, data.get("needed"))
