"""Edge rules: case numbers are ASCII digits, customer posts say so, mail headers stay whole."""

from __future__ import annotations

import email
import json
from email import policy
from email.utils import getaddresses
from pathlib import Path

import pytest
from pydantic import ValidationError

from bridge.core.identifiers import case_number
from bridge.core.inbound_email import case_number_from_addresses
from bridge.mail.compose import Envelope, request_received
from bridge.slack.blocks import customer_username
from bridge.slack.payloads import ButtonClick, CaseButton

FIXTURES = Path(__file__).parent.parent / "fixtures" / "slack"


@pytest.mark.parametrize(
    "text", ["٤٥", "４５", "4_5", " 45", "45 ", "+45", "-4", "0", str(2**63), ""]
)
def test_only_plain_ascii_digits_are_a_case_number(text: str) -> None:
    assert case_number(text) is None


def test_a_plain_number_is_a_case_number() -> None:
    assert case_number("45") == 45
    assert case_number_from_addresses(("support+c-000045@acme.test",)) == 45
    assert case_number_from_addresses(("support+c-٤٥@acme.test",)) is None


def test_a_recorded_button_click_reads_and_odd_values_are_refused() -> None:
    body = json.loads((FIXTURES / "block_actions.json").read_text())
    click = ButtonClick.model_validate(body)
    assert (click.user.id, click.channel.id) == ("W0SAMPLE", "C0SAMPLE")
    assert CaseButton.model_validate(body["actions"][0]).value == 1
    for value in ("٤٥", "4_5", str(2**63), 45, True, None):
        with pytest.raises(ValidationError):
            CaseButton.model_validate({**body["actions"][0], "value": value})


def test_a_customer_named_like_staff_still_posts_as_a_customer() -> None:
    assert customer_username("casebridge") == "Customer · casebridge"
    assert customer_username("Alice Admin").startswith("Customer · ")
    assert len(customer_username("x" * 300)) == 80


def test_a_name_with_an_address_in_it_stays_a_name_in_the_to_header() -> None:
    envelope = Envelope(
        "Acme Support <support@acme.test>",
        "Jöhn <attacker@evil.test>",
        "victim@example.com",
        "C-000001",
        "key",
    )
    message = request_received(envelope, language="en", company="Acme", question="Hi")
    raw = message.as_bytes()
    for parsed in (
        email.message_from_bytes(raw),
        email.message_from_bytes(raw, policy=policy.default),
    ):
        assert [address for _, address in getaddresses([str(parsed["To"])])] == [
            "victim@example.com"
        ]
