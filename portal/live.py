"""The customer's live connection: a Socket.IO namespace with one room per case.

A socket proves its case with the case token when it connects and can then only act on that
case. Every message passes the abuse limits; a message resent after a reconnect carries the
same client id and is stored once.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from typing import Any

import socketio

from bridge.core.errors import CaseNotFound, DomainError, IllegalTransition, NotAllowed
from bridge.core.events import CustomerMessagePosted
from bridge.core.text import MAX_MESSAGE_LENGTH
from bridge.services import customer
from bridge.services.context import ServiceContext
from bridge.services.customer import CaseView
from bridge.services.email_replies import mark_seen
from portal.limits import CustomerLimits
from portal.origins import Origins

log = logging.getLogger(__name__)

NAMESPACE = "/chat"


def room(case_id: int) -> str:
    return f"case:{case_id}"


def case_state(view: CaseView) -> dict[str, Any]:
    """The whole chat as the page draws it (after a connect or a reload)."""
    case = view.case
    return {
        "reference": case.reference,
        "type": case.type.value,
        "status": case.status.value,
        "agent": view.assignee_name,
        "chat_ended": case.chat_ended,
        "created_at": case.created_at.isoformat() if case.created_at else None,
        "messages": [
            {
                "id": m.id,
                "direction": m.direction,
                "author": m.author,
                "text": m.text,
                "at": m.created_at.isoformat(),
            }
            for m in view.messages
            if m.direction in ("customer", "agent")
        ],
    }


class SocketPush:
    """The CustomerPush port: emits to the case's room."""

    def __init__(self, server: socketio.AsyncServer) -> None:
        self.server = server

    async def push(self, case_id: int, kind: str, data: dict[str, Any]) -> None:
        await self.server.emit(kind, data, room=room(case_id), namespace=NAMESPACE)


class ChatNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(self, ctx: ServiceContext, limits: CustomerLimits, origins: Origins) -> None:
        super().__init__(NAMESPACE)
        self.ctx = ctx
        self.limits = limits
        self.origins = origins
        self.sockets_per_case: Counter[int] = Counter()

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise socketio.exceptions.ConnectionRefusedError("no_token")
        try:
            case = await customer.set_presence(self.ctx, token, connected=True)
        except CaseNotFound:
            raise socketio.exceptions.ConnectionRefusedError("unknown_case") from None
        if not await self.origins.allowed_for_case(environ, case.portal_id):
            await customer.set_presence(self.ctx, token, connected=False)
            raise socketio.exceptions.ConnectionRefusedError("origin_not_allowed")
        address = str(environ.get("REMOTE_ADDR") or "unknown")
        await self.save_session(sid, {"token": token, "case_id": case.id, "address": address})
        await self.enter_room(sid, room(case.id))
        self.sockets_per_case[case.id] += 1

    async def on_disconnect(self, sid: str, *_reason: Any) -> None:
        session = await self.get_session(sid)
        case_id = session.get("case_id")
        if case_id is None:
            return
        self.sockets_per_case[case_id] -= 1
        if self.sockets_per_case[case_id] <= 0:
            del self.sockets_per_case[case_id]
            with contextlib.suppress(CaseNotFound):  # deleted meanwhile
                await customer.set_presence(self.ctx, session["token"], connected=False)

    async def _session(self, sid: str) -> dict[str, Any]:
        return dict(await self.get_session(sid))

    async def on_hello(self, sid: str, _data: Any = None) -> dict[str, Any]:
        """The page asks for the whole chat (first connect, reconnect, reload)."""
        session = await self._session(sid)
        try:
            return {
                "ok": True,
                "case": case_state(await customer.view_case(self.ctx, session["token"])),
            }
        except CaseNotFound:
            return {"ok": False, "error": "unknown_case"}

    async def on_send(self, sid: str, data: Any) -> dict[str, Any]:
        session = await self._session(sid)
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return {"ok": False, "error": "invalid"}
        if len(data["text"]) > MAX_MESSAGE_LENGTH:
            return {"ok": False, "error": "too_long"}
        client_id = data.get("client_id")
        wait = self.limits.message(session["case_id"], session["address"])
        if wait > 0:
            return {"ok": False, "error": "rate_limited", "retry_after": round(wait, 2)}
        try:
            events = await customer.post_customer_message(
                self.ctx,
                session["token"],
                data["text"],
                client_id=client_id if isinstance(client_id, str) else None,
            )
        except NotAllowed:
            return {"ok": False, "error": "ended"}
        except CaseNotFound:
            return {"ok": False, "error": "unknown_case"}
        except DomainError:
            return {"ok": False, "error": "invalid"}
        posted = [e for e in events if isinstance(e, CustomerMessagePosted)]
        # Other tabs of the same customer show it too; the sender already does.
        for event in posted:
            await self.emit(
                "customer_message",
                {"id": event.message_id, "text": event.text, "client_id": client_id},
                room=room(session["case_id"]),
                skip_sid=sid,
            )
        if not posted:
            # A resend of a message the server already has (its answer was lost on the way).
            return {"ok": True, "id": None, "duplicate": True}
        return {"ok": True, "id": posted[0].message_id}

    async def on_seen(self, sid: str, data: Any) -> None:
        session = await self._session(sid)
        up_to = data.get("up_to") if isinstance(data, dict) else None
        if isinstance(up_to, int) and up_to > 0:
            await mark_seen(self.ctx, session["case_id"], up_to)

    async def on_stop_waiting(self, sid: str, _data: Any = None) -> dict[str, Any]:
        session = await self._session(sid)
        try:
            await customer.stop_waiting(self.ctx, session["token"])
        except IllegalTransition:
            return {"ok": False, "error": "already_joined"}
        except CaseNotFound:
            return {"ok": False, "error": "unknown_case"}
        return {"ok": True}

    async def on_end_chat(self, sid: str, _data: Any = None) -> dict[str, Any]:
        session = await self._session(sid)
        try:
            await customer.end_chat(self.ctx, session["token"])
        except CaseNotFound:
            return {"ok": False, "error": "unknown_case"}
        return {"ok": True}
