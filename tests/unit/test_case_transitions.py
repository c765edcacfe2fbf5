"""Every move of the case state machine, legal and illegal, and what each move asks of storage."""

from datetime import UTC, datetime
from typing import Any

import pytest

from bridge.core.cases import TRANSITIONS, Case, CaseStatus, CaseType, Change, Customer, DeviceInfo
from bridge.core.errors import AlreadyClaimed, IllegalTransition, NotAllowed
from bridge.core.events import (
    AgentLeftCase,
    CaseClaimed,
    CaseConverted,
    CaseDeleted,
    CaseHandedOut,
    CaseReopened,
    CaseResolved,
    ChatEnded,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACTIONS = ("claim", "resolve", "reopen", "leave")


def a_case(status: CaseStatus = CaseStatus.UNASSIGNED, **kw: Any) -> Case:
    assignee = "U1" if status is not CaseStatus.UNASSIGNED else None
    return Case(
        id=123,
        portal_id=1,
        customer=Customer("Ana", "Lima", "ana@example.com"),
        status=status,
        assignee_id=assignee,
        **kw,
    )


def act(case: Case, action: str) -> Case:
    if action == "claim":
        return case.claim("U2", NOW).new
    if action == "resolve":
        return case.resolve("U1", NOW).new
    if action == "reopen":
        return case.reopen("U3", NOW).new
    return case.leave("U1").new


TARGET = {
    "claim": CaseStatus.ASSIGNED,
    "resolve": CaseStatus.RESOLVED,
    "reopen": CaseStatus.ASSIGNED,
    "leave": CaseStatus.UNASSIGNED,
}
LEGAL = {(frm, action) for (frm, _to), action in TRANSITIONS.items()}


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_from_each_status(status: CaseStatus, action: str) -> None:
    case = a_case(status)
    if (status, action) in LEGAL:
        assert act(case, action).status is TARGET[action]
    else:
        with pytest.raises(IllegalTransition) as refused:
            act(case, action)
        assert refused.value.case_ref == "C-000123"
        assert refused.value.from_state == status.value
        assert refused.value.to_state == TARGET[action].value
        assert "C-000123" in str(refused.value)


def test_the_table_is_exactly_the_product_lifecycle() -> None:
    assert TRANSITIONS == {
        (CaseStatus.UNASSIGNED, CaseStatus.ASSIGNED): "claim",
        (CaseStatus.ASSIGNED, CaseStatus.UNASSIGNED): "leave",
        (CaseStatus.ASSIGNED, CaseStatus.RESOLVED): "resolve",
        (CaseStatus.RESOLVED, CaseStatus.ASSIGNED): "reopen",
    }


def test_claim_records_who_and_when() -> None:
    claimed = a_case(queued=True).claim("U2", NOW).new
    assert (claimed.assignee_id, claimed.claimed_at, claimed.queued) == ("U2", NOW, False)


def test_reopen_assigns_to_the_reopener() -> None:
    reopened = a_case(CaseStatus.RESOLVED).reopen("U3", NOW).new
    assert (reopened.status, reopened.assignee_id, reopened.resolved_at) == (
        CaseStatus.ASSIGNED,
        "U3",
        None,
    )


def test_resolving_ends_the_chat() -> None:
    assert a_case(CaseStatus.ASSIGNED).resolve("U1", NOW).new.chat_ended


def test_leaving_clears_the_assignee() -> None:
    assert a_case(CaseStatus.ASSIGNED).leave("U1").new.assignee_id is None


def test_an_unclaimed_live_chat_converts_to_a_support_request() -> None:
    converted = a_case().convert_to_support_request(NOW, "max_wait").new
    assert (converted.type, converted.chat_ended, converted.converted_at) == (
        CaseType.SUPPORT_REQUEST,
        True,
        NOW,
    )


@pytest.mark.parametrize(
    "case",
    [
        a_case(CaseStatus.ASSIGNED),
        a_case(CaseStatus.RESOLVED),
        a_case(type=CaseType.SUPPORT_REQUEST),
        a_case(deleted_at=NOW),
    ],
)
def test_only_unclaimed_live_chats_convert(case: Case) -> None:
    with pytest.raises(IllegalTransition):
        case.convert_to_support_request(NOW, "max_wait")


def test_delete_waits_for_the_chat_to_end() -> None:
    with pytest.raises(IllegalTransition, match="chat still open"):
        a_case(CaseStatus.ASSIGNED).erase("UADMIN", NOW, is_admin=True)


def test_delete_erases_personal_data_and_keeps_the_reference() -> None:
    erased = (
        a_case(CaseStatus.RESOLVED, chat_ended=True, question="my printer")
        .erase("UADMIN", NOW, is_admin=True)
        .new
    )
    assert erased.deleted and erased.reference == "C-000123"
    assert erased.customer == Customer("", "", "") and erased.question == ""


def test_a_deleted_case_moves_no_more() -> None:
    gone = a_case(CaseStatus.RESOLVED, chat_ended=True).erase("UADMIN", NOW, is_admin=True).new
    for action in ACTIONS:
        with pytest.raises(IllegalTransition):
            act(gone, action)
    with pytest.raises(IllegalTransition):
        gone.erase("UADMIN", NOW, is_admin=True)


def test_reference_is_short_and_padded() -> None:
    assert a_case().reference == "C-000123"


# What each move asks of storage: the fields it writes, the precondition that makes it
# exactly-once, and the events that tell everyone else. No database is involved here.


def test_a_claim_writes_the_assignment_only_while_still_unassigned() -> None:
    change = a_case(queued=True).claim("U2", NOW)
    assert change.changed() == {
        "status": CaseStatus.ASSIGNED,
        "assignee_id": "U2",
        "claimed_at": NOW,
        "queued": False,
    }
    assert change.expect == {"status": CaseStatus.UNASSIGNED}
    assert change.events == (CaseClaimed(123, "U2"),)


def test_claiming_a_claimed_case_names_who_has_it() -> None:
    with pytest.raises(AlreadyClaimed) as refused:
        a_case(CaseStatus.ASSIGNED).claim("U2", NOW)
    assert refused.value.assignee_id == "U1" and "already assigned to U1" in str(refused.value)


def test_the_queue_hands_out_only_cases_still_waiting_in_it() -> None:
    change = a_case(queued=True).hand_out("U2", NOW)
    assert change.expect == {"status": CaseStatus.UNASSIGNED, "queued": True}
    assert change.events == (CaseHandedOut(123, "U2"),)
    assert change.new.assignee_id == "U2" and not change.new.queued
    with pytest.raises(IllegalTransition, match="not queued"):
        a_case().hand_out("U2", NOW)


def test_only_the_assignee_or_an_admin_resolves() -> None:
    with pytest.raises(NotAllowed, match="only the assigned agent or an admin"):
        a_case(CaseStatus.ASSIGNED).resolve("U9", NOW)
    change = a_case(CaseStatus.ASSIGNED).resolve("U9", NOW, is_admin=True)
    assert change.changed() == {
        "status": CaseStatus.RESOLVED,
        "resolved_at": NOW,
        "chat_ended": True,
    }
    assert change.expect == {"status": CaseStatus.ASSIGNED}
    assert change.events == (CaseResolved(123, "U9"),)


def test_reopen_expects_the_case_still_resolved() -> None:
    change = a_case(CaseStatus.RESOLVED).reopen("U3", NOW)
    assert change.expect == {"status": CaseStatus.RESOLVED}
    assert change.events == (CaseReopened(123, "U3"),)


def test_only_the_assignee_leaves_and_only_while_still_theirs() -> None:
    with pytest.raises(NotAllowed):
        a_case(CaseStatus.ASSIGNED).leave("U9")
    change = a_case(CaseStatus.ASSIGNED).leave("U1")
    assert change.expect == {"status": CaseStatus.ASSIGNED, "assignee_id": "U1"}
    assert change.changed() == {
        "status": CaseStatus.UNASSIGNED,
        "assignee_id": None,
    }
    assert change.events == (AgentLeftCase(123, "U1"),)


def test_a_conversion_records_why_and_expects_an_unclaimed_live_chat() -> None:
    change = a_case().convert_to_support_request(NOW, "customer_left")
    assert change.new.conversion_reason == "customer_left"
    assert change.expect == {"status": CaseStatus.UNASSIGNED, "type": CaseType.LIVE_CHAT}
    assert change.events == (CaseConverted(123, "customer_left"),)


def test_ending_a_chat_twice_is_nothing_the_second_time() -> None:
    live = a_case(customer_connected=True)
    change = live.end_chat("customer")
    assert change.changed() == {"chat_ended": True, "customer_connected": False}
    assert change.expect == {"chat_ended": False}
    assert change.events == (ChatEnded(123, by="customer"),)
    again = change.new.end_chat("customer")
    assert again.is_none and again.events == () and again.changed() == {}


def test_only_admins_delete_and_nothing_personal_is_left_to_write_back() -> None:
    over = a_case(CaseStatus.RESOLVED, chat_ended=True, device=DeviceInfo(browser="Firefox"))
    with pytest.raises(NotAllowed, match="only admins"):
        over.erase("U1", NOW, is_admin=False)
    change = over.erase("UADMIN", NOW, is_admin=True)
    assert change.changed() == {
        "customer": Customer("", "", ""),
        "device": DeviceInfo(),
        "deleted_at": NOW,
    }
    assert change.expect == {"chat_ended": True}
    assert change.events == (CaseDeleted(123, by="UADMIN"),)


def test_presence_is_a_plain_change_without_events() -> None:
    change = a_case(customer_connected=True).customer_presence(False, NOW)
    assert change.changed() == {"customer_connected": False, "customer_left_at": NOW}
    assert change.expect == {} and change.events == ()


def test_a_case_opens_with_the_fields_its_kind_implies() -> None:
    def opened(kind: CaseType, assignee: str | None) -> Case:
        return Case.open(
            portal_id=1,
            customer=Customer("Ana", "Lima", "ana@example.com"),
            type=kind,
            assignee_id=assignee,
            question="",
            device=DeviceInfo(),
            language="en",
            now=NOW,
            queued=False,
        )

    chat = opened(CaseType.LIVE_CHAT, "U1")
    assert (chat.status, chat.claimed_at, chat.customer_connected, chat.chat_ended) == (
        CaseStatus.ASSIGNED,
        NOW,
        True,
        False,
    )
    request = opened(CaseType.SUPPORT_REQUEST, None)
    assert (request.status, request.claimed_at, request.customer_connected) == (
        CaseStatus.UNASSIGNED,
        None,
        False,
    )
    assert request.chat_ended


def test_nothing_to_do_is_a_change_with_no_fields_and_no_events() -> None:
    case = a_case()
    assert Change.none(case).is_none and Change.none(case).expect == {}
