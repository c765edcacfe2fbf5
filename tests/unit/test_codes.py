"""Connection codes: format, randomness source, and every refusal reason."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.codes import (
    CodeRefusal,
    generate_code,
    new_code,
    normalize_code,
    refusal,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_code_is_nine_digits_with_leading_zeros_kept() -> None:
    assert generate_code(lambda _n: 42) == "000000042"
    assert all(len(c) == 9 and c.isdigit() for c in (generate_code() for _ in range(200)))


def test_codes_span_the_whole_range_uniformly() -> None:
    seen: list[int] = []

    def draw(n: int) -> int:
        seen.append(n)
        return 0

    generate_code(draw)
    assert seen == [10**9]  # one uniform draw over all nine-digit values


def test_codes_do_not_repeat_in_practice() -> None:
    assert len({generate_code() for _ in range(1000)}) == 1000


def test_a_fresh_code_is_bound_to_its_agent_and_lives_twenty_minutes() -> None:
    code = new_code("UANA", NOW)
    assert code.agent_id == "UANA" and code.expires_at == NOW + timedelta(minutes=20)
    assert refusal(code, NOW) is None and code.is_live(NOW)


def test_unknown_code_is_refused_as_unknown() -> None:
    assert refusal(None, NOW) is CodeRefusal.UNKNOWN


def test_used_code_is_refused_as_used() -> None:
    code = new_code("UANA", NOW)
    assert refusal(replace(code, used_at=NOW), NOW) is CodeRefusal.USED


def test_expired_code_is_refused_as_expired() -> None:
    code = new_code("UANA", NOW, lifetime=timedelta(minutes=20))
    assert refusal(code, NOW + timedelta(minutes=20)) is CodeRefusal.EXPIRED
    assert refusal(code, NOW + timedelta(minutes=19, seconds=59)) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456789", "123456789"),
        (" 123 456 789 ", "123456789"),
        ("123-456-789", "123456789"),
        ("12345678", None),
        ("1234567890", None),
        ("12345678a", None),
        ("١٢٣٤٥٦٧٨٩", None),
    ],
)
def test_what_the_customer_types_is_normalized(typed: str, expected: str | None) -> None:
    assert normalize_code(typed) == expected
