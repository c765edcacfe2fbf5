"""What the customer's browser said about itself, read into the case's device info."""

from __future__ import annotations

from collections.abc import Mapping

from ua_parser import parse


def browser_and_os(user_agent: str) -> tuple[str, str]:
    """('Firefox 140', 'Linux') from a User-Agent header (ua-parser); '' for what it cannot tell."""
    parsed = parse(user_agent)
    browser = system = ""
    if parsed.user_agent is not None and parsed.user_agent.family != "Other":
        browser = " ".join(filter(None, (parsed.user_agent.family, parsed.user_agent.major)))
    if parsed.os is not None and parsed.os.family != "Other":
        version = ".".join(filter(None, (parsed.os.major, parsed.os.minor)))
        system = " ".join(filter(None, (parsed.os.family, version)))
    return browser, system


def device_info(sent: Mapping[str, object], user_agent: str, referrer: str) -> dict[str, str]:
    """The browser's own report (language, time zone, screen) plus what its headers say."""
    browser, system = browser_and_os(user_agent)
    found = {
        "browser": browser,
        "os": system,
        "user_agent": user_agent,
        "language": str(sent.get("language") or ""),
        "time_zone": str(sent.get("time_zone") or ""),
        "screen": str(sent.get("screen") or ""),
        "referrer": str(sent.get("referrer") or referrer or ""),
    }
    return {key: _storable(value) for key, value in found.items()}


def _storable(text: str) -> str:
    """Headers with bytes that are not UTF-8 reach us as lone surrogates; those become '?'."""
    return text.encode("utf-8", "replace").decode("utf-8")
