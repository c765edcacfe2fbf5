"""Sends the emails the outbox holds, rendered from the case as it is when they go out."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from bridge.core.cases import Case, CaseType
from bridge.files.links import FileLinks
from bridge.links import portal_url, slack_message_link
from bridge.mail import compose
from bridge.mail.outbox_writer import EMAIL, SEND
from bridge.mail.sender import SmtpSender
from bridge.outbox.deliverer import DeliveryPolicy, OutboxDeliverer
from bridge.outbox.errors import Permanent
from bridge.services import notices
from bridge.services.context import ServiceContext
from storage.repositories.outbox import OutboxItem
from storage.uow import UnitOfWork


class MailDeliverer(OutboxDeliverer):
    kind = EMAIL

    def __init__(
        self,
        services: ServiceContext,
        sender: SmtpSender,
        mail_from: str,
        public_url: str,
        policy: DeliveryPolicy | None = None,
        links: FileLinks | None = None,
    ) -> None:
        super().__init__(services.db, services.clock, {SEND: send_mail}, policy)
        self.services = services
        self.sender, self.mail_from, self.public_url = sender, mail_from, public_url
        self.links = links


async def _files(
    d: MailDeliverer, uow: UnitOfWork, case: Case, subdomain: str | None
) -> list[compose.MailFile]:
    """The case's files with links that work without the token, for a limited time."""
    if d.links is None:
        return []
    now = d.services.clock.now()
    files = []
    for found in await uow.attachments.of_case(case.id):
        if found.storage_key and found.name:
            link = d.links.link(found.id, subdomain, now)
            files.append(compose.MailFile(found.name, found.size, link.url, link.expires))
    return files


async def _compose(
    d: MailDeliverer, uow: UnitOfWork, item: OutboxItem, case: Case
) -> EmailMessage | None:
    payload = item.payload
    portal = await uow.portals.get(case.portal_id)
    company = (portal.brand_name or portal.company) if portal else "us"
    # Our Message-IDs name the case, so a reply that lost its Reply-To still finds it.
    key = f"casebridge.{case.reference.lower()}.{item.id}"
    customer = compose.Envelope(
        d.mail_from, case.customer.full_name, case.customer.email, case.reference, key
    )
    subdomain = portal.subdomain if portal else None
    if payload["template"] == "received":
        return compose.request_received(
            customer,
            language=case.language,
            company=company,
            question=case.question or "—",
            files=await _files(d, uow, case, subdomain),
        )
    if payload["template"] in ("reply", "unseen"):
        messages = {m.id: m for m in await uow.cases.messages(case.id)}
        message = messages.get(int(payload["message_id"]))
        if message is None:
            return None
        if payload["template"] == "reply":
            body = message.text.split("\n\n", 1)[-1]
            return compose.agent_reply(
                customer,
                language=case.language,
                company=company,
                agent=message.author,
                subject=payload["subject"],
                body=body,
            )
        url = portal_url(d.public_url, portal.subdomain) if portal else d.public_url
        return compose.unseen_reply(
            customer,
            language=case.language,
            company=company,
            agent=message.author,
            body=message.text,
            chat_url=url,
            files=await _files(d, uow, case, subdomain),
        )
    agent = await uow.agents.get(payload["agent"])
    if agent is None or not agent.email:
        return None
    where = await uow.cases.slack_message(case.id)
    kind = payload.get("kind") or (
        "support request" if case.type is CaseType.SUPPORT_REQUEST else "live chat"
    )
    return compose.agent_alert(
        compose.Envelope(d.mail_from, agent.display_name, agent.email, case.reference, key),
        kind=kind,
        customer=case.customer.full_name,
        question=case.question or "—",
        link=slack_message_link(*where) if where else None,
    )


async def send_mail(d: MailDeliverer, item: OutboxItem) -> dict[str, Any]:
    """Render and send one email; a refused customer address is reported in the thread."""
    async with d.db.read() as uow:
        case = await uow.cases.get(int(item.payload["case_id"]))
        if case is None or case.deleted:
            return {"skipped": "the case is gone"}
        message = await _compose(d, uow, item, case)
    if message is None:
        return {"skipped": "nothing left to send"}
    try:
        answer = await d.sender.send(message)
    except Permanent as refused:
        if item.payload["template"] != "agent_alert":
            # Recorded as what happened; Slack (when connected) tells the case's thread.
            await notices.email_bounced(d.services, case.id, case.customer.email, f"{refused}")
        raise
    # No recipient in the result: the outbox keeps no customer address once the mail is out.
    return {"message_id": str(message["Message-ID"]), "smtp": answer}
