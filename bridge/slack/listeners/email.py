"""Reply by email: the button opens a modal; submitting it emails the customer."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bridge.core.cases import format_reference
from bridge.core.errors import DomainError, InvalidInput
from bridge.services.email_replies import default_subject, may_reply, reply_by_email
from bridge.slack import actions
from bridge.slack.blocks import reply_email_modal
from bridge.slack.listeners import Deps
from bridge.slack.payloads import ButtonClick, CaseButton, CaseModal

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    ctx = deps.services

    @app.action(actions.REPLY_EMAIL)
    @deps.tracked
    async def on_reply_email(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        try:
            click = ButtonClick.model_validate(body)
            case_id = CaseButton.model_validate(action).value
        except ValidationError:
            log.warning("reply by email: button without a case id")
            return
        user, channel = click.user.id, click.channel.id
        try:
            case = await may_reply(ctx, case_id, user)
        except DomainError as refused:
            reference = format_reference(case_id)
            text = (
                f":raised_hand: Assign {reference} to yourself "
                "first (Assign to me), then reply by email."
                if refused.code == "not_assignee"
                else f":warning: {refused}"
            )
            await deps.tell(channel, user, text, case_id)
            return
        # A modal must open within three seconds of the click (the trigger expires), so this
        # one call goes straight to Slack rather than through the outbox.
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=reply_email_modal(case, default_subject(case.reference, case.language)),
        )

    @app.view(actions.REPLY_EMAIL_VIEW)
    @deps.tracked
    async def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        # Slack wants action_ids unique within a view, so each input is named after its block.
        subject = values.get("subject", {}).get("subject", {}).get("value") or ""
        text = values.get("body", {}).get("body", {}).get("value") or ""
        try:
            case_id = CaseModal.model_validate(view).private_metadata
        except ValidationError:
            await ack(response_action="errors", errors={"body": "This case no longer exists."})
            return
        try:
            await reply_by_email(ctx, case_id, body["user"]["id"], subject, text)
        except InvalidInput as problem:
            block = "subject" if problem.field == "subject" else "body"
            await ack(response_action="errors", errors={block: problem.problem})
            return
        except DomainError as problem:
            await ack(response_action="errors", errors={"body": str(problem)})
            return
        await ack()
