"""How `/casebridge …` text is read: quoting, case, whitespace, options."""

import pytest

from commands.parsing import UsageError, parse

OPTIONS = frozenset({"company", "mode"})


def test_words_are_case_blind_and_whitespace_is_forgiven() -> None:
    assert parse("  Portal   SHOW\tAcme ", OPTIONS).words == ["portal", "show", "acme"]


def test_quoted_option_values_keep_their_spaces_and_case() -> None:
    args = parse('portal create acme company="Acme Inc" MODE=Queue', OPTIONS)
    assert args.words == ["portal", "create", "acme"]
    assert args.options == {"company": "Acme Inc", "mode": "Queue"}


def test_typographic_quotes_from_slack_clients_work_too() -> None:
    assert parse("portal create acme company=“Acme Inc”", OPTIONS).options == {
        "company": "Acme Inc"
    }


def test_an_apostrophe_inside_double_quotes_is_kept() -> None:
    assert parse("""portal create acme company="Bob's Bikes" """, OPTIONS).options == {
        "company": "Bob's Bikes"
    }


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('portal create acme company="Acme', "could not read"),
        ("portal create acme colour=red", "unknown option 'colour'"),
        ("portal create acme mode=pin mode=queue", "given twice"),
    ],
)
def test_what_cannot_be_read_is_said(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse(text, OPTIONS)


def test_nothing_at_all_is_no_words() -> None:
    assert parse("   ", OPTIONS).words == []
