"""The customer's live connection: a Socket.IO namespace with one room per case.

A socket proves its case with the case token when it connects and can then only act on that
case. Every message passes the abuse limits; a message resent after a reconnect carries the
same client id and is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from pydantic import ValidationError

from bridge.core.errors import CaseNotFound, DomainError, IllegalTransition, NotAllowed
from bridge.core.events import CustomerMessagePosted
from bridge.customer_updates import file_shown
from bridge.services import customer
from bridge.services.context import ServiceContext
from bridge.services.customer import CaseView
from bridge.services.email_replies import mark_delivered, mark_seen
from portal.client_address import ClientAddresses
from portal.limits import CustomerLimits
from portal.origins import Origins
from portal.schemas import SeenData, SendData, first_problem
from portal.turns import Turns
from portal.workers import LocalSockets

log = logging.getLogger(__name__)

NAMESPACE = "/chat"
FLOOD_DISCONNECT = 200  # refused events in a row before a socket is cut off
FLOOD_BAN_SECONDS = 30.0  # then its address may not open a new socket for this long
MAX_TOKEN = 100  # a case token is 43 characters
Handler = Callable[[str, int, Any], Awaitable[dict[str, Any]]]
MarkWriter = Callable[[ServiceContext, int, int], Awaitable[object]]


def room(case_id: int) -> str:
    return f"case:{case_id}"


def _files_of(view: CaseView, message_id: int) -> dict[str, Any]:
    files = view.files.get(message_id)
    return {"files": [file_shown(f) for f in files]} if files else {}


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
                # A customer's line has reached the team's Slack thread (or is still on its way).
                "posted": m.slack_ts is not None,
                # The files the line carries, each fetched from casebridge with the case token.
                **_files_of(view, m.id),
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
    """The `/chat` namespace: every client event is bounded and checked before any work."""

    def __init__(
        self,
        ctx: ServiceContext,
        limits: CustomerLimits,
        origins: Origins,
        addresses: ClientAddresses,
        sockets: LocalSockets | None = None,
    ) -> None:
        super().__init__(NAMESPACE)
        self.ctx = ctx
        self.limits = limits
        self.origins = origins
        self.addresses = addresses
        self.sockets = sockets or LocalSockets()
        self.presence_turns = Turns()
        self.present: dict[str, int] = {}  # sid → case, for sockets that really connected
        self.refusals: Counter[str] = Counter()
        self.seen = MarkCoalescer(ctx, mark_seen)
        self.received = MarkCoalescer(ctx, mark_delivered)
        self.handlers: dict[str, Handler] = {
            "hello": self._hello,
            "send": self._send,
            "seen": self._seen,
            "received": self._received,
            "stop_waiting": self._stop_waiting,
            "end_chat": self._end_chat,
        }

    async def trigger_event(self, event: str, sid: str, *args: Any) -> Any:
        """Socket.IO's dispatch: only the server's own connect/disconnect run those handlers."""
        manager = self.server.manager
        if event == "connect":
            environ = args[0] if args else None
            eio_sid = manager.eio_sid_from_sid(sid, NAMESPACE)
            # A client may emit an ordinary event named "connect"; the real one comes while the
            # socket is still pending and carries the environ the server itself built.
            if manager.is_pre_connected(sid, NAMESPACE) and environ is self.server.environ.get(
                eio_sid
            ):
                return await self.on_connect(sid, environ, args[1] if len(args) > 1 else None)
            return {"ok": False, "error": "unknown_event"}
        if event == "disconnect":
            if sid in manager.pending_disconnect.get(NAMESPACE, ()):
                return await self.on_disconnect(sid)
            return {"ok": False, "error": "unknown_event"}
        return await self._client_event(event, sid, args[0] if args else None)

    async def _client_event(self, event: str, sid: str, data: Any) -> dict[str, Any] | None:
        case_id = self.present.get(sid)
        if case_id is None:
            return {"ok": False, "error": "unknown_case"}
        # Cheap first: an in-memory limit per socket before looking at the event at all.
        wait = await self.limits.socket_event(sid)
        if wait > 0:
            await self._refused(sid)
            return {"ok": False, "error": "rate_limited", "retry_after": round(wait, 2)}
        handler = self.handlers.get(event)
        if handler is None:
            await self._refused(sid)
            return {"ok": False, "error": "unknown_event"}
        self.refusals.pop(sid, None)
        try:
            return await handler(sid, case_id, data)
        except CaseNotFound:
            return {"ok": False, "error": "unknown_case"}
        except Exception as trouble:  # the documented answer, never a traceback per event
            log.error("portal: %s failed: %s", event, type(trouble).__name__)
            return {"ok": False, "error": "unavailable"}

    async def _refused(self, sid: str) -> None:
        """A socket that keeps going over its limits is cut off, and its address may not open
        another for a while (turned away before the WebSocket handshake: see `attach`)."""
        self.refusals[sid] += 1
        if self.refusals[sid] >= FLOOD_DISCONNECT:
            self.refusals.pop(sid, None)
            session = await self._session(sid)
            await self.limits.ban(str(session.get("address")), FLOOD_BAN_SECONDS)
            log.warning("portal: socket disconnected for flooding")
            await self.disconnect(sid)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        address = self.addresses.of_socket(environ)
        if await self.limits.connect(address) > 0:
            raise socketio.exceptions.ConnectionRefusedError("rate_limited")
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
            raise socketio.exceptions.ConnectionRefusedError("no_token")
        try:
            # Presence changes of one case go one at a time, counted with the sockets they
            # concern: a reload's connect must not read the row before its own disconnect is
            # written, or a second tab's arrival be missed, or the customer would look gone.
            async with self.presence_turns.of(token):
                case = await customer.set_presence(self.ctx, token, connected=True)
                await self.sockets.add(case.id, sid)
                if self.sockets.shared:
                    # Another worker's last tab may have closed between the two lines above
                    # and marked the customer gone; now that this socket counts, say so again
                    # (a read, and a write only if it did).
                    case = await customer.set_presence(self.ctx, token, connected=True)
        except CaseNotFound:
            raise socketio.exceptions.ConnectionRefusedError("unknown_case") from None
        if not await self.origins.allowed_for_case(environ, case.portal_id):
            await self._socket_gone(token, case.id, sid)
            raise socketio.exceptions.ConnectionRefusedError("origin_not_allowed")
        session = {"token": token, "case_id": case.id, "address": address}
        await self.save_session(sid, session | {"email": case.customer.email})
        await self.enter_room(sid, room(case.id))
        self.present[sid] = case.id

    async def on_disconnect(self, sid: str, *_reason: Any) -> None:
        self.refusals.pop(sid, None)
        await self.limits.forget_socket(sid)
        case_id = self.present.pop(sid, None)
        if case_id is None:
            return
        session = await self.get_session(sid)
        await self._socket_gone(session["token"], case_id, sid)

    async def _socket_gone(self, token: str, case_id: int, sid: str) -> None:
        """One socket of the case is gone; the last one going (on any worker) marks the
        customer away."""
        async with self.presence_turns.of(token):
            if await self.sockets.remove(case_id, sid) > 0:
                return
            with contextlib.suppress(CaseNotFound):  # deleted meanwhile
                await customer.set_presence(self.ctx, token, connected=False)

    async def _session(self, sid: str) -> dict[str, Any]:
        return dict(await self.get_session(sid))

    async def _hello(self, sid: str, case_id: int, _data: Any) -> dict[str, Any]:
        """The page asks for the whole chat (first connect, reconnect, reload)."""
        wait = await self.limits.hello(case_id)
        if wait > 0:
            return {"ok": False, "error": "rate_limited", "retry_after": round(wait, 2)}
        session = await self._session(sid)
        return {
            "ok": True,
            "case": case_state(await customer.view_case(self.ctx, session["token"])),
        }

    async def _send(self, sid: str, case_id: int, data: Any) -> dict[str, Any]:
        try:
            message = SendData.model_validate(data)
        except ValidationError as problem:
            return {"ok": False, "error": first_problem(problem)}
        session = await self._session(sid)
        wait = await self.limits.message(case_id, session["address"])
        if wait > 0:
            return {"ok": False, "error": "rate_limited", "retry_after": round(wait, 2)}
        try:
            events = await customer.post_customer_message(
                self.ctx, session["token"], message.text, client_id=message.client_id
            )
        except NotAllowed:
            return {"ok": False, "error": "ended"}
        except DomainError:
            return {"ok": False, "error": "invalid"}
        posted = [e for e in events if isinstance(e, CustomerMessagePosted)]
        # Other tabs of the same customer show it too; the sender already does.
        for event in posted:
            await self.emit(
                "customer_message",
                {"id": event.message_id, "text": event.text, "client_id": message.client_id},
                room=room(case_id),
                skip_sid=sid,
            )
        if not posted:
            # A resend of a message the server already has (its answer was lost on the way).
            return {"ok": True, "id": None, "duplicate": True}
        return {"ok": True, "id": posted[0].message_id}

    async def _seen(self, _sid: str, case_id: int, data: Any) -> dict[str, Any]:
        try:
            seen = SeenData.model_validate(data)
        except ValidationError as problem:
            return {"ok": False, "error": first_problem(problem)}
        self.seen.note(case_id, seen.up_to)
        return {"ok": True}

    async def _received(self, _sid: str, case_id: int, data: Any) -> dict[str, Any]:
        try:
            received = SeenData.model_validate(data)  # the same shape: {"up_to": id}
        except ValidationError as problem:
            return {"ok": False, "error": first_problem(problem)}
        self.received.note(case_id, received.up_to)
        return {"ok": True}

    async def _stop_waiting(self, sid: str, case_id: int, _data: Any) -> dict[str, Any]:
        session = await self._session(sid)
        wait = max(
            await self.limits.case_action(case_id),
            await self.limits.confirmation(session["email"]),
        )
        if wait > 0:
            return {"ok": False, "error": "rate_limited", "retry_after": round(wait, 2)}
        try:
            await customer.stop_waiting(self.ctx, session["token"])
        except IllegalTransition:
            return {"ok": False, "error": "already_joined"}
        return {"ok": True}

    async def _end_chat(self, sid: str, case_id: int, _data: Any) -> dict[str, Any]:
        wait = await self.limits.case_action(case_id)
        if wait > 0:
            return {"ok": False, "error": "rate_limited", "retry_after": round(wait, 2)}
        session = await self._session(sid)
        await customer.end_chat(self.ctx, session["token"])
        return {"ok": True}


class MarkCoalescer:
    """`seen` / `received` marks for one case become one write at a time, of the highest id."""

    def __init__(self, ctx: ServiceContext, write: MarkWriter) -> None:
        self.ctx = ctx
        self.write = write
        self.latest: dict[int, int] = {}
        self.writing: dict[int, asyncio.Task[None]] = {}

    def note(self, case_id: int, up_to: int) -> None:
        """Remember the mark; start the case's writer unless one is already at work."""
        if up_to <= self.latest.get(case_id, 0):
            return
        self.latest[case_id] = up_to
        if case_id not in self.writing:
            self.writing[case_id] = asyncio.create_task(self._write(case_id))

    async def _write(self, case_id: int) -> None:
        written = 0
        try:
            while (up_to := self.latest.get(case_id, 0)) > written:
                await self.write(self.ctx, case_id, up_to)
                written = up_to
        except Exception as trouble:  # a lost mark only delays an email or a reaction
            log.warning("portal: mark not recorded: %s", type(trouble).__name__)
        finally:
            self.writing.pop(case_id, None)
            if self.latest.get(case_id, 0) <= written:
                self.latest.pop(case_id, None)
