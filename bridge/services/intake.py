"""Opening a case: validate the customer's form, route it per the portal's mode, record it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from bridge.core.cases import Case, CaseType, Customer, DeviceInfo
from bridge.core.codes import CodeRefusal, normalize_code, refusal
from bridge.core.errors import CodeRefused, InvalidInput, PortalInactive, PortalNotFound
from bridge.core.events import CaseOpened, Event
from bridge.core.portals import Portal, clean_language
from bridge.core.routing import AgentSlot, Mode, Routing, route
from bridge.core.text import clean_email, clean_message, clean_name
from bridge.core.tokens import hash_token, new_case_token
from bridge.services.context import ServiceContext, commit
from storage.uow import UnitOfWork

_DEVICE_FIELDS = frozenset(DeviceInfo.__dataclass_fields__)
_DEVICE_VALUE_MAX = 512


@dataclass(frozen=True)
class NewCase:
    """What the customer's pre-chat (or support-request) form sent."""

    subdomain: str | None
    first_name: str
    last_name: str
    email: str
    question: str = ""
    device: Mapping[str, object] = field(default_factory=dict)
    language: str | None = None
    agent: str | None = None  # match mode: the agent the customer picked
    code: str | None = None  # pin mode (and the global code page, where subdomain is None)
    support_request: bool = False  # nobody available, or the customer chose the form
    # The page's id for this form: the same id again (a retry whose answer was lost) gets the
    # case the first attempt opened, not a second one.
    request_id: str | None = None


@dataclass(frozen=True)
class OpenedCase:
    case: Case
    token: str  # shown once to the customer's browser; only its hash is stored
    events: list[Event]


def _device(raw: Mapping[str, object]) -> DeviceInfo:
    """Keep the known fields, as bounded strings; the browser's word is not trusted."""
    return DeviceInfo(
        **{
            k: str(v)[:_DEVICE_VALUE_MAX]
            for k, v in raw.items()
            if k in _DEVICE_FIELDS and v is not None
        }
    )


async def _portal_for(uow: UnitOfWork, request: NewCase, code_portal: int | None) -> Portal:
    if request.subdomain is None:
        portal = await uow.portals.get(code_portal) if code_portal is not None else None
        if portal is None:
            raise InvalidInput("code", "this code is not linked to a portal", "unlinked")
        return portal
    portal = await uow.portals.by_subdomain(request.subdomain)
    if portal is None:
        raise PortalNotFound(request.subdomain)
    return portal


async def _reopened(ctx: ServiceContext, request_key: str) -> OpenedCase | None:
    """The case an earlier attempt of the same form opened, with a token for this answer.

    Only a hash of a token is stored, so the first answer's token cannot be shown again: the
    case gets a new one. Whoever sent the first attempt never saw its answer (or it would not
    have asked again), so no page loses its chat. Nobody is alerted again.
    """
    async with ctx.db.uow() as uow:
        case = await uow.cases.by_request_key(request_key)
        if case is None:
            return None
        token = new_case_token()
        await uow.cases.replace_token(case.id, hash_token(token))
        await uow.commit()
    return OpenedCase(case, token, [])


async def _display_name(uow: UnitOfWork, agent_id: str | None) -> str:
    agent = await uow.agents.get(agent_id) if agent_id else None
    return agent.display_name if agent else ""


async def open_case(ctx: ServiceContext, request: NewCase) -> OpenedCase:
    """Record a new case from the portal and decide who hears of it (once per request id)."""
    request_key = hash_token(request.request_id) if request.request_id else None
    if request_key is not None:
        again = await _reopened(ctx, request_key)
        if again is not None:
            return again
    try:
        return await _open_new(ctx, request, request_key)
    except IntegrityError:
        # The same request, sent twice at once: the other attempt inserted the case first.
        again = await _reopened(ctx, request_key) if request_key is not None else None
        if again is None:
            raise
        return again


async def _route_queue(uow: UnitOfWork, portal_id: int, slots: list[AgentSlot]) -> Routing:
    """Queue mode: the next available agent after the portal's cursor, which moves to them."""
    cursor = await uow.agents.cursor(portal_id)
    decision = route(Mode.QUEUE, slots, cursor=cursor)
    if decision.cursor != cursor:
        await uow.agents.set_cursor(portal_id, decision.cursor)
    return decision


async def _open_new(ctx: ServiceContext, request: NewCase, request_key: str | None) -> OpenedCase:
    customer = Customer(
        clean_name(request.first_name, "first_name"),
        clean_name(request.last_name, "last_name"),
        clean_email(request.email),
    )
    question = clean_message(request.question, "question") if request.question.strip() else ""
    code_value = normalize_code(request.code) if request.code is not None else None
    if request.code is not None and code_value is None:
        raise InvalidInput("code", "a code is 9 digits", "format")
    now = ctx.clock.now()
    # Everything decided before the write is read without SQLite's write lock: a refused or
    # invalid request never waits for (or holds up) the intakes being written.
    async with ctx.db.read() as reader:
        code = await reader.codes.get(code_value) if code_value else None
        portal = await _portal_for(reader, request, code.portal_id if code else None)
        wants_code = portal.mode is Mode.PIN or request.subdomain is None
        routed = not request.support_request
        slots = await reader.agents.slots() if routed else []
    if not portal.active:
        raise PortalInactive(portal.subdomain)
    language = clean_language(request.language) if request.language else portal.language
    if wants_code:
        if code_value is None:
            raise InvalidInput("code", "a code is required", "required")
        why = refusal(code, now)
        if why is not None:
            raise CodeRefused(why)
    if request.support_request and not question:
        raise InvalidInput("question", "is required", "required")
    mode = portal.mode if not wants_code else Mode.PIN
    queue_turn = routed and mode is Mode.QUEUE
    decision = Routing(alert=(), assignee=None, cursor=None)
    if queue_turn and ctx.db.writers_in_parallel:
        # Where intakes are written in parallel (PostgreSQL), the queue's cursor row is locked
        # only for its own short transaction, not for each intake's whole one: intakes of one
        # portal would otherwise run one at a time. A turn taken by an intake that then fails
        # only skips that agent once.
        async with ctx.db.uow() as turn:
            decision = await _route_queue(turn, portal.id, slots)
            await turn.commit()
        queue_turn = False
    elif routed and not queue_turn:
        decision = route(
            mode, slots, chosen=request.agent, code_agent=code.agent_id if code else None
        )
    async with ctx.db.uow() as uow:
        if queue_turn:  # SQLite: writers queue anyway, so the turn is part of the intake
            decision = await _route_queue(uow, portal.id, slots)
        token = new_case_token()
        new_case = Case.open(
            portal_id=portal.id,
            customer=customer,
            type=CaseType.SUPPORT_REQUEST if request.support_request else CaseType.LIVE_CHAT,
            assignee_id=decision.assignee,
            question=question,
            device=_device(request.device),
            language=language,
            now=now,
            queued=decision.queued,
        )
        case = await uow.cases.add(new_case, hash_token(token), request_key)
        if code is not None and not await uow.codes.use(code.value, case.id, now):
            raise CodeRefused(CodeRefusal.USED)  # spent by a concurrent customer
        if question:
            await uow.cases.add_message(
                case.id, direction="customer", author=customer.full_name, text=question, now=now
            )
        events: list[Event] = [
            CaseOpened(
                case.id,
                portal.id,
                decision.alert,
                decision.assignee,
                decision.queued,
                await _display_name(uow, decision.assignee),
                support_request=case.type is CaseType.SUPPORT_REQUEST,
            )
        ]
        await commit(ctx, uow, events)
    return OpenedCase(case, token, events)
