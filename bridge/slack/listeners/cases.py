"""The case message's buttons."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp

from bridge import views
from bridge.core.agents import Agent
from bridge.core.errors import AlreadyClaimed, DomainError, IllegalTransition
from bridge.services import casework
from bridge.slack import actions
from bridge.slack.blocks import device_info
from bridge.slack.listeners import Deps
from bridge.slack.payloads import ButtonClick, CaseButton

log = logging.getLogger(__name__)
Work = Callable[[int, Agent], Awaitable[object]]


def _explain(error: DomainError, action: str) -> str:
    """A refusal in words an agent understands, chosen by the refusal's code."""
    if isinstance(error, AlreadyClaimed):
        who = f"<@{error.assignee_id}>" if error.assignee_id else "someone else"
        return f":raised_hand: {error.case_ref} is already assigned to {who}."
    if error.code == "admin_only":
        return ":no_entry: Only admins can delete cases."
    if isinstance(error, IllegalTransition) and error.code in ("chat_open", "deleted"):
        return f":no_entry: {error.case_ref} can be deleted once its chat has ended."
    return f":warning: {error}"


def register(app: AsyncApp, deps: Deps) -> None:
    """Assign to me, Resolve, Reopen, Leave chat, Device info, Delete case."""
    ctx = deps.services

    def on(action_id: str, work: Work) -> None:
        async def listener(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            try:
                click = ButtonClick.model_validate(body)
                case_id = CaseButton.model_validate(action).value
            except ValidationError:
                log.warning("button %s without a case id", action_id)
                return
            user, channel = click.user.id, click.channel.id
            agent = await deps.people.ensure(user)
            try:
                await work(case_id, agent)
            except DomainError as error:
                await deps.tell(
                    channel,
                    user,
                    _explain(error, action_id),
                    case_id,
                    response_url=body.get("response_url"),
                )

        app.action(action_id)(deps.tracked(listener))

    async def device(case_id: int, agent: Agent) -> None:
        listed = await views.listed_case(ctx, case_id)
        text, blocks = device_info(listed.case)
        where = listed.slack_message
        channel = where[0] if where else agent.slack_user_id
        await deps.tell(channel, agent.slack_user_id, text, case_id, blocks)

    on(actions.CLAIM, lambda case, agent: casework.claim(ctx, case, agent.slack_user_id))
    on(
        actions.RESOLVE,
        lambda case, agent: casework.resolve(ctx, case, agent.slack_user_id, agent.is_admin),
    )
    on(actions.REOPEN, lambda case, agent: casework.reopen(ctx, case, agent.slack_user_id))
    on(actions.LEAVE, lambda case, agent: casework.leave(ctx, case, agent.slack_user_id))
    on(
        actions.DELETE,
        lambda case, agent: casework.delete_case(ctx, case, agent.slack_user_id, agent.is_admin),
    )
    on(actions.DEVICE, device)
