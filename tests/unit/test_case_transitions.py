"""Every move of the case state machine, legal and illegal."""

from datetime import UTC, datetime

import pytest

from bridge.core.cases import TRANSITIONS, Case, CaseStatus, CaseType, Customer
from bridge.core.errors import IllegalTransition

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACTIONS = ("claim", "resolve", "reopen", "leave")


def a_case(status: CaseStatus = CaseStatus.UNASSIGNED, **kw: object) -> Case:
    assignee = "U1" if status is not CaseStatus.UNASSIGNED else None
    return Case(
        id=123,
        portal_id=1,
        customer=Customer("Ana", "Lima", "ana@example.com"),
        status=status,
        assignee_id=assignee,
        **kw,
    )  # type: ignore[arg-type]


def act(case: Case, action: str) -> Case:
    if action == "claim":
        return case.claim("U2", NOW)
    if action == "resolve":
        return case.resolve(NOW)
    if action == "reopen":
        return case.reopen("U3", NOW)
    return case.leave()


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
    claimed = a_case(queued=True).claim("U2", NOW)
    assert (claimed.assignee_id, claimed.claimed_at, claimed.queued) == ("U2", NOW, False)


def test_reopen_assigns_to_the_reopener() -> None:
    reopened = a_case(CaseStatus.RESOLVED).reopen("U3", NOW)
    assert (reopened.status, reopened.assignee_id, reopened.resolved_at) == (
        CaseStatus.ASSIGNED,
        "U3",
        None,
    )


def test_resolving_ends_the_chat() -> None:
    assert a_case(CaseStatus.ASSIGNED).resolve(NOW).chat_ended


def test_leaving_clears_the_assignee() -> None:
    assert a_case(CaseStatus.ASSIGNED).leave().assignee_id is None


def test_an_unclaimed_live_chat_converts_to_a_support_request() -> None:
    converted = a_case().convert_to_support_request(NOW)
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
        a_case(deleted=True),
    ],
)
def test_only_unclaimed_live_chats_convert(case: Case) -> None:
    with pytest.raises(IllegalTransition):
        case.convert_to_support_request(NOW)


def test_delete_waits_for_the_chat_to_end() -> None:
    with pytest.raises(IllegalTransition, match="chat still open"):
        a_case(CaseStatus.ASSIGNED).erase()


def test_delete_erases_personal_data_and_keeps_the_reference() -> None:
    erased = a_case(CaseStatus.RESOLVED, chat_ended=True, question="my printer").erase()
    assert erased.deleted and erased.reference == "C-000123"
    assert erased.customer == Customer("", "", "") and erased.question == ""


def test_a_deleted_case_moves_no_more() -> None:
    gone = a_case(CaseStatus.RESOLVED, chat_ended=True).erase()
    for action in ACTIONS:
        with pytest.raises(IllegalTransition):
            act(gone, action)
    with pytest.raises(IllegalTransition):
        gone.erase()


def test_reference_is_short_and_padded() -> None:
    assert a_case().reference == "C-000123"
