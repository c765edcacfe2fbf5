"""Reading case numbers from text people and programs send us."""

from __future__ import annotations

import re

# ASCII digits only: int() and \d also accept "٤٥", "４５" and "4_5", which are not case numbers.
_DIGITS = re.compile(r"[0-9]{1,10}")
MAX_CASE_NUMBER = 2**31 - 1  # the id column's range on every database we run on


def case_number(text: object) -> int | None:
    """The case number `text` spells in plain ASCII digits, or None."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_CASE_NUMBER else None
