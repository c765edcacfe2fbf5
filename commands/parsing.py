"""From the text after `/casebridge` to words and key=value options, quoting respected."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

# Slack clients often turn straight quotes into typographic ones.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


class UsageError(Exception):
    """The command line could not be understood; the message says what was wrong."""


@dataclass(frozen=True)
class Args:
    words: list[str]
    options: dict[str, str] = field(default_factory=dict)

    def word(self, n: int) -> str | None:
        return self.words[n] if n < len(self.words) else None


def parse(text: str, allowed_options: frozenset[str] = frozenset()) -> Args:
    """Split a command line; words are lower-cased (subdomains and verbs are case-blind),
    options are `key=value` with their value kept as typed (quotes allowed)."""
    try:
        tokens = shlex.split(text.translate(_QUOTES))
    except ValueError as exc:  # e.g. a quote opened and never closed
        raise UsageError(f"could not read that: {exc}") from None
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and key:
            name = key.lower()
            if name not in allowed_options:
                raise UsageError(
                    f"unknown option '{key}'"
                    + (
                        f" (options: {', '.join(sorted(allowed_options))})"
                        if allowed_options
                        else ""
                    )
                )
            if name in options:
                raise UsageError(f"option '{name}' given twice")
            options[name] = value.strip()
        else:
            words.append(token)
    return Args(words=[w.lower() for w in words], options=options)
