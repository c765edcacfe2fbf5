"""Text rules: Slack escaping, message, name, email and subdomain validation."""

import pytest

from bridge.core.errors import InvalidInput
from bridge.core.portals import clean_language, clean_subdomain, subdomain_problems
from bridge.core.text import (
    MAX_MESSAGE_LENGTH,
    clean_email,
    clean_message,
    clean_name,
    escape_mrkdwn,
)
from bridge.core.tokens import hash_token, new_case_token


def test_customer_text_cannot_ping_or_link_in_slack() -> None:
    assert escape_mrkdwn("<!channel> hi <@U1> & <http://evil|bank>") == (
        "&lt;!channel&gt; hi &lt;@U1&gt; &amp; &lt;http://evil|bank&gt;"
    )


def test_messages_are_trimmed_and_bounded() -> None:
    assert clean_message("  hello\x00 ") == "hello"
    with pytest.raises(InvalidInput, match="message: is empty"):
        clean_message("   ")
    with pytest.raises(InvalidInput, match=f"longer than {MAX_MESSAGE_LENGTH}"):
        clean_message("x" * (MAX_MESSAGE_LENGTH + 1))
    with pytest.raises(InvalidInput, match="must be text"):
        clean_message(42)


def test_names_are_one_line() -> None:
    assert clean_name(" Ana \n Maria ", "first_name") == "Ana Maria"
    with pytest.raises(InvalidInput, match="first_name: is required"):
        clean_name("", "first_name")


@pytest.mark.parametrize("good", ["ana@example.com", "a.b+c@Sub.Example.ORG"])
def test_plausible_emails_pass(good: str) -> None:
    assert clean_email(good).endswith(good.split("@")[1].lower())


@pytest.mark.parametrize(
    "bad",
    ["", "ana", "ana@", "@x.com", "ana@x", "a b@x.com", "a@x.com\r\nBcc: all@x.com", "<a@x.com>"],
)
def test_implausible_emails_are_refused_by_name(bad: str) -> None:
    with pytest.raises(InvalidInput, match="email"):
        clean_email(bad)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ab", "3 to 63 characters"),
        ("a" * 64, "3 to 63 characters"),
        ("acme_inc", "letters a–z, digits 0–9 and hyphens"),
        ("-acme", "must not start or end with a hyphen"),
        ("acme-", "must not start or end with a hyphen"),
        ("açme", "letters a–z"),
    ],
)
def test_each_subdomain_rule_is_named(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_subdomain(text)
    assert problem in str(refused.value) and f"'{text}'" in str(refused.value)


def test_a_subdomain_breaking_several_rules_hears_of_each() -> None:
    assert len(subdomain_problems("-a")) == 2


def test_subdomains_are_canonical_lower_case() -> None:
    assert clean_subdomain(" Acme-Support ") == "acme-support"


def test_languages() -> None:
    assert clean_language("PT-br") == "pt-BR"
    with pytest.raises(InvalidInput, match="en, pt-BR, fr, es"):
        clean_language("de")


def test_case_tokens_are_long_random_and_stored_hashed() -> None:
    token = new_case_token()
    assert len(token) >= 43 and new_case_token() != token
    stored = hash_token(token)
    assert token not in stored and hash_token(token) == stored
    assert hash_token(token + "x") != stored
