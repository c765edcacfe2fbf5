"""How each outbox operation is carried out against the Slack Web API."""

from __future__ import annotations

from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bridge.core.cases import Case, CaseStatus, format_reference
from bridge.core.events import CustomerMessagesPosted
from bridge.core.text import escape_mrkdwn
from bridge.links import slack_message_link
from bridge.outbox.deliverer import Handler, Outcome
from bridge.outbox.errors import Permanent, Transient
from bridge.slack import operations as op
from bridge.slack.blocks import CaseCard, alert_dm, alert_mention, case_message
from bridge.slack.delivering import METADATA_TYPE, SlackDeliverer
from bridge.slack.email_delivery import EMAIL_HANDLERS
from bridge.slack.file_delivery import FILE_HANDLERS
from bridge.slack.home import LIST_LIMIT, CaseList, HomeData, home_view
from bridge.slack.limits import MESSAGE_TEXT
from storage.repositories.outbox import OutboxItem
from storage.uow import UnitOfWork

THREAD_ICON = ":bust_in_silhouette:"
COALESCE_LIMIT = 20


def _metadata(item: OutboxItem, also: list[int] | None = None) -> dict[str, Any]:
    """Tags a post with the outbox items it carries, so a retry can find it in Slack."""
    return {
        "event_type": METADATA_TYPE,
        "event_payload": {"outbox_id": item.id, "also": also or []},
    }


async def _case(d: SlackDeliverer, item: OutboxItem) -> Case:
    async with d.db.read() as uow:
        case = await uow.cases.get(int(item.payload["case_id"]))
    if case is None:
        raise Permanent(f"case {item.payload['case_id']} does not exist")
    return case


async def _thread(d: SlackDeliverer, case_id: int) -> tuple[str, str]:
    async with d.db.read() as uow:
        where = await uow.cases.slack_message(case_id)
    if where is None:
        raise Permanent("the case message was never posted")
    return where


async def _card(d: SlackDeliverer, case: Case) -> tuple[CaseCard, str | None]:
    async with d.db.read() as uow:
        portal = await uow.portals.get(case.portal_id)
        agent = await uow.agents.get(case.assignee_id) if case.assignee_id else None
    if portal is None:
        raise Permanent(f"portal {case.portal_id} does not exist")
    name = portal.brand_name or portal.company
    return (
        CaseCard(
            case,
            f"{name} ({portal.subdomain})",
            agent.display_name if agent else None,
            d.clock.now(),
        ),
        portal.channel_id,
    )


async def post_case(d: SlackDeliverer, item: OutboxItem) -> Outcome:
    case = await _case(d, item)
    card, channel = await _card(d, case)
    if not channel:
        raise Permanent("the portal has no Slack channel (/casebridge portal channel)")
    found = await d.posted_before(item, channel)
    if found is None:
        text, blocks = case_message(card)
        found = (
            await d.calls(
                "chat_postMessage",
                channel=channel,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
                metadata=_metadata(item),
            )
        )["message"]
    ts = found["ts"]

    async def record(uow: UnitOfWork) -> None:
        await uow.cases.set_slack_message(case.id, channel, ts)

    return Outcome({"channel": channel, "ts": ts}, record)


async def update_case(d: SlackDeliverer, item: OutboxItem) -> Outcome:
    """Re-render the case message; later queued updates of it are covered by this one."""
    async with d.db.read() as uow:
        # Read the queued updates before the case: each was committed with its change, so
        # the case read next already shows every change they were queued for.
        later = await uow.outbox.following(item, limit=200, operation=op.CASE_UPDATE)
    case = await _case(d, item)
    channel, ts = await _thread(d, case.id)
    card, _ = await _card(d, case)
    text, blocks = case_message(card)
    await d.calls("chat_update", channel=channel, ts=ts, text=text, blocks=blocks)
    covered = [o.id for o in later]
    return Outcome({"channel": channel, "ts": ts, "coalesced": covered}, coalesced=covered)


async def _contiguous_posts(d: SlackDeliverer, item: OutboxItem) -> list[OutboxItem]:
    """Customer lines queued right behind this one, from the same author: sent as one post."""
    async with d.db.read() as uow:
        following = await uow.outbox.following(item, limit=COALESCE_LIMIT)
    run = []
    # Slack cuts a post's text at 40,000 characters: the run stops before that, and the
    # rest goes out in the next post, in order.
    length = len(item.payload["text"])
    for other in following:
        length += 1 + len(other.payload.get("text", ""))
        if (
            other.operation != op.THREAD_POST
            or other.payload.get("username") != item.payload.get("username")
            or other.attempts
            or length > MESSAGE_TEXT
        ):
            break
        run.append(other)
    return run


async def post_in_thread(d: SlackDeliverer, item: OutboxItem) -> Outcome:
    channel, thread_ts = await _thread(d, int(item.payload["case_id"]))
    found = await d.posted_before(item, channel, thread_ts)
    if found is not None:
        also = list(found["metadata"]["event_payload"].get("also", []))
        async with d.db.read() as uow:
            batch = [o for o in await uow.outbox.following(item) if o.id in also]
    else:
        batch = await _contiguous_posts(d, item)
        text = "\n".join([item.payload["text"], *(o.payload["text"] for o in batch)])
        found = (
            await d.calls(
                "chat_postMessage",
                channel=channel,
                thread_ts=thread_ts,
                text=text,
                username=item.payload.get("username") or None,
                icon_emoji=THREAD_ICON,
                unfurl_links=False,
                unfurl_media=False,
                metadata=_metadata(item, [o.id for o in batch]),
            )
        )["message"]
    ts = found["ts"]

    async def record(uow: UnitOfWork) -> None:
        for posted in (item, *batch):
            if posted.payload.get("message_id"):
                await uow.cases.set_message_ts(int(posted.payload["message_id"]), ts)

    covered = [o.id for o in batch]
    customer_lines = tuple(
        int(posted.payload["message_id"])
        for posted in (item, *batch)
        if posted.payload.get("message_id")
    )

    async def tell_customer() -> None:
        if customer_lines:
            await d.announce([CustomerMessagesPosted(int(item.payload["case_id"]), customer_lines)])

    return Outcome(
        {"channel": channel, "ts": ts, "coalesced": covered}, record, covered, tell_customer
    )


async def purge_thread(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any]:
    channel, thread_ts = await _thread(d, int(item.payload["case_id"]))
    replies = await d.calls("conversations_replies", channel=channel, ts=thread_ts)
    deleted = 0
    for message in replies.get("messages", [])[1:]:
        if message.get("bot_id"):
            try:
                await d.calls("chat_delete", channel=channel, ts=message["ts"])
                deleted += 1
            except Permanent as gone:
                if "message_not_found" not in str(gone):
                    raise
    return {"deleted": deleted}


async def purge_dms(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any]:
    """The alerts and notices the bot sent agents about a deleted case go too."""
    async with d.db.read() as uow:
        posted = await uow.outbox.posted_for_case(
            int(item.payload["case_id"]), (op.ALERT_DM, op.NOTICE_DM)
        )
    deleted = 0
    for channel, ts in posted:
        try:
            await d.calls("chat_delete", channel=channel, ts=ts)
            deleted += 1
        except Permanent as gone:
            if not any(e in str(gone) for e in ("message_not_found", "channel_not_found")):
                raise
    return {"deleted": deleted}


async def dm_alert(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any]:
    case = await _case(d, item)
    if case.deleted or case.status is CaseStatus.RESOLVED:
        return {"skipped": "case no longer needs attention"}
    channel, ts = await _thread(d, case.id)
    opened = await d.calls("conversations_open", users=item.payload["user"])
    dm = opened["channel"]["id"]
    if (found := await d.posted_before(item, dm)) is not None:
        return {"channel": dm, "ts": found["ts"]}
    posted = await d.calls(
        "chat_postMessage",
        channel=dm,
        text=alert_dm(case, slack_message_link(channel, ts)),
        unfurl_links=False,
        metadata=_metadata(item),
    )
    return {"channel": dm, "ts": posted["ts"]}


async def mention_alert(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any]:
    case = await _case(d, item)
    channel, thread_ts = await _thread(d, case.id)
    if (found := await d.posted_before(item, channel, thread_ts)) is not None:
        return {"channel": channel, "ts": found["ts"]}
    text = alert_mention(
        list(item.payload.get("loud", [])), list(item.payload.get("quiet", [])), case
    )
    posted = await d.calls(
        "chat_postMessage",
        channel=channel,
        thread_ts=thread_ts,
        text=text,
        metadata=_metadata(item),
    )
    return {"channel": channel, "ts": posted["ts"]}


async def ephemeral(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any]:
    """A private answer: through the click's own response_url when there is one (no tier)."""
    payload = item.payload
    if payload.get("response_url"):
        answered = await _respond(payload)
        if answered is not None:
            return answered
    kwargs: dict[str, Any] = {
        "channel": payload["channel"],
        "user": payload["user"],
        "text": payload["text"],
    }
    if payload.get("blocks"):
        kwargs["blocks"] = payload["blocks"]
    if payload.get("thread_ts"):
        kwargs["thread_ts"] = payload["thread_ts"]
    posted = await d.calls("chat_postEphemeral", **kwargs)
    return {"message_ts": posted.get("message_ts")}


async def _respond(payload: dict[str, Any]) -> dict[str, Any] | None:
    """Answer through a response_url; None when it has expired (then the Web API is used)."""
    try:
        answer = await AsyncWebhookClient(payload["response_url"], timeout=15).send(
            text=payload["text"],
            blocks=payload.get("blocks") or None,
            response_type="ephemeral",
            replace_original=False,
        )
    except (OSError, TimeoutError) as exc:
        raise Transient(f"response_url: {type(exc).__name__}: {exc}") from None
    if answer.status_code == 429:
        raise Transient("response_url: ratelimited", maybe_done=False)
    if answer.status_code >= 500:
        raise Transient(f"response_url: HTTP {answer.status_code}")
    if answer.status_code in (404, 410) or answer.body in ("expired_url", "used_url"):
        return None
    if answer.status_code >= 400:
        raise Permanent(f"response_url: HTTP {answer.status_code} {answer.body}")
    return {"via": "response_url"}


async def reaction(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any]:
    try:
        await d.calls(
            "reactions_add",
            channel=item.payload["channel"],
            timestamp=item.payload["ts"],
            name=item.payload["name"],
        )
    except Permanent as refused:
        if "already_reacted" not in str(refused):
            raise
    return {}


async def publish_home(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any]:
    user = item.payload["user"]
    async with d.db.read() as uow:
        agent = await uow.agents.get(user)
        if agent is None:
            return {"skipped": "not an agent yet"}
        unassigned, unassigned_total = await uow.cases.newest(
            status=CaseStatus.UNASSIGNED, limit=LIST_LIMIT
        )
        mine, mine_total = await uow.cases.newest(
            status=CaseStatus.ASSIGNED, assignee=user, limit=LIST_LIMIT
        )
        everything, all_total = await uow.cases.newest(limit=LIST_LIMIT)
        links = {}
        for case in (*unassigned, *mine, *everything):
            where = await uow.cases.slack_message(case.id)
            if where:
                links[case.id] = slack_message_link(*where)
        failures = []
        if agent.is_admin:
            for f in await uow.outbox.failed(limit=5):
                place = await uow.cases.slack_message(f.case_id) if f.case_id else None
                failures.append(failed_line(f, place))
    problems = (
        [f"{_where(p.scope)}: `{escape_mrkdwn(p.error)}`. To fix: {p.fix}" for p in await _parks(d)]
        if agent.is_admin
        else []
    )
    view = home_view(
        HomeData(
            agent,
            CaseList("Unassigned", unassigned, unassigned_total),
            CaseList("My cases", mine, mine_total),
            CaseList("All cases", everything, all_total),
            links,
            failures,
            problems,
        )
    )
    await d.calls("views_publish", user_id=user, view=view)
    return {"user": user}


# What a failed delivery was, in the words of the people who read the list.
_WHAT_FAILED = {
    op.CASE_POST: "Posting the case",
    op.CASE_UPDATE: "Updating the case message",
    op.THREAD_POST: "A line in the case's thread",
    op.FILE_POST: "A customer's file in the case's thread",
    op.PURGE_FILES: "Deleting a deleted case's files from Slack",
    op.EMAIL_POST: "The customer's email, in the thread",
    op.ALERT_DM: "An agent's alert",
    op.ALERT_MENTION: "Mentioning agents in the thread",
    op.NOTICE_DM: "A direct message",
    op.FATE_MARK: "The mark on a reply",
    op.HOME_PUBLISH: "An App Home",
    op.PURGE_THREAD: "Erasing the thread",
    op.PURGE_DMS: "Erasing direct messages",
    "mail.send": "Email to the customer",
}


def failed_line(item: OutboxItem, place: tuple[str, str] | None) -> tuple[str, str]:
    """One failed delivery for admins: what it was and the case's reference (a link) — our
    words — and why, as the outside world put it."""
    what = _WHAT_FAILED.get(item.operation, item.operation)
    reason = item.last_error or "unknown error"
    if item.case_id is None:
        return f"{what}: ", reason
    reference = format_reference(item.case_id)
    case = f"<{slack_message_link(*place)}|{reference}>" if place else reference
    return f"{what} for {case}: ", reason


def _where(scope: str) -> str:
    """A parked scope as admins read it."""
    if scope.startswith("channel:"):
        return f"<#{scope.removeprefix('channel:')}>"
    if scope.startswith("item:"):
        return f"one item (#{scope.removeprefix('item:')})"
    return "the whole workspace"


async def _parks(d: SlackDeliverer) -> list[Any]:
    async with d.db.read() as uow:
        return list(await uow.outbox.parks())


HANDLERS: dict[str, Handler] = {
    op.CASE_POST: post_case,
    op.CASE_UPDATE: update_case,
    op.THREAD_POST: post_in_thread,
    op.PURGE_THREAD: purge_thread,
    op.PURGE_DMS: purge_dms,
    op.ALERT_DM: dm_alert,
    op.ALERT_MENTION: mention_alert,
    op.EPHEMERAL: ephemeral,
    op.REACTION: reaction,
    op.HOME_PUBLISH: publish_home,
    **EMAIL_HANDLERS,
    **FILE_HANDLERS,
}
