"""bolt's request with url-encoded bodies read correctly, whatever their text contains.

slack-bolt (1.30) takes any url-encoded body in which the letters `payload` appear for an
interactive payload; finding no `payload=` field it reads the body as empty, so no listener
matches and Slack shows the agent a failure. A slash command's text is in that body, so
`/casebridge portal create payload-co` was refused for its subdomain alone. Socket Mode hands
bolt the payload already parsed and never had the problem. The raw body is left untouched:
signatures are checked on it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

FORM = "application/x-www-form-urlencoded"


def read_form_fields(bolt: AsyncBoltRequest) -> AsyncBoltRequest:
    """`bolt` itself, its body set to the form's fields where bolt read none."""
    if bolt.body or not bolt.raw_body or not (bolt.content_type or "").startswith(FORM):
        return bolt
    fields = dict(parse_qsl(bolt.raw_body, keep_blank_values=True))
    if "payload" in fields:  # an interactive payload bolt could not read: not ours to fix
        return bolt
    bolt.body = fields
    bolt.context = build_async_context(AsyncBoltContext(), fields)
    return bolt
