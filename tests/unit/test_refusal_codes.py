"""Adapters word a refusal by its code: each rule's refusal carries one, whatever its English."""

from datetime import UTC, datetime

import pytest

from bridge.core.cases import Case, CaseStatus, CaseType, Customer
from bridge.core.errors import IllegalTransition, InvalidInput, NotAllowed
from bridge.core.portals import Portal
from bridge.core.routing import Mode
from bridge.core.text import clean_email, clean_message, clean_name

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("check", "code"),
    [
        (lambda: clean_name("", "first_name"), "required"),
        (lambda: clean_name("x" * 500, "first_name"), "too_long"),
        (lambda: clean_email("not an address"), "email"),
        (lambda: clean_email(""), "required"),
        (lambda: clean_message("   "), "required"),
        (lambda: clean_message("x" * 100_000), "too_long"),
    ],
)
def test_what_the_customer_typed_is_refused_with_a_code(check: object, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check()  # type: ignore[operator]
    assert refused.value.code == code


def a_request(**kw: object) -> Case:
    fields: dict[str, object] = {"type": CaseType.SUPPORT_REQUEST, **kw}
    return Case(
        id=7,
        portal_id=1,
        customer=Customer("Ana", "Lima", "ana@example.com"),
        status=CaseStatus.ASSIGNED,
        assignee_id="U1",
        **fields,  # type: ignore[arg-type]
    )


def test_only_the_assignee_of_a_support_request_replies_by_email() -> None:
    a_request().check_email_reply("U1")
    with pytest.raises(NotAllowed) as refused:
        a_request().check_email_reply("U2")
    assert refused.value.code == "not_assignee"
    with pytest.raises(NotAllowed) as refused:
        a_request(type=CaseType.LIVE_CHAT).check_email_reply("U1")
    assert refused.value.code == "live_chat"
    with pytest.raises(IllegalTransition) as gone:
        a_request(deleted_at=NOW).check_email_reply("U1")
    assert gone.value.code == "deleted"


def test_the_refusals_of_delete_say_which_rule() -> None:
    open_chat = a_request(type=CaseType.LIVE_CHAT)
    with pytest.raises(NotAllowed) as refused:
        open_chat.erase("U1", NOW, is_admin=False)
    assert refused.value.code == "admin_only"
    with pytest.raises(IllegalTransition) as refused_too:
        open_chat.erase("UADMIN", NOW, is_admin=True)
    assert refused_too.value.code == "chat_open"


@pytest.mark.parametrize(
    ("mode", "active", "anyone", "page"),
    [
        (Mode.BROADCAST, False, True, "unavailable"),
        (Mode.BROADCAST, True, False, "offline"),
        (Mode.MATCH, True, False, "offline"),
        (Mode.PIN, True, False, "pin"),
        (Mode.QUEUE, True, True, "queue"),
    ],
)
def test_which_page_a_customer_gets(mode: Mode, active: bool, anyone: bool, page: str) -> None:
    portal = Portal(id=1, company="Acme", subdomain="acme", mode=mode, active=active)
    assert portal.page(anyone) == page
