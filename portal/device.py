"""What the customer's browser said about itself, read into the case's device info."""

from __future__ import annotations

import re
from collections.abc import Mapping

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android (\d+)")),
    ("iOS", re.compile(r"(?:iPhone|iPad); CPU (?:iPhone )?OS (\d+)")),
    ("Windows", re.compile(r"Windows NT (\d+\.\d+)")),
    ("macOS", re.compile(r"Mac OS X (\d+[_.]\d+)")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)
_WINDOWS = {"10.0": "10/11", "6.3": "8.1", "6.2": "8", "6.1": "7"}


def browser_and_os(user_agent: str) -> tuple[str, str]:
    """('Firefox 140', 'Linux') from a User-Agent header; '' for what it does not say."""
    browser = next(
        (f"{name} {m.group(1)}" for name, rx in _BROWSERS if (m := rx.search(user_agent))), ""
    )
    system = ""
    for name, rx in _SYSTEMS:
        if m := rx.search(user_agent):
            version = m.group(1) if m.groups() else ""
            if name == "Windows":
                version = _WINDOWS.get(version, version)
            system = f"{name} {version.replace('_', '.')}".strip()
            break
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
