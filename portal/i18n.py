"""The customer's languages: JSON catalogs shared by the portal, its script and the emails.

One catalog per language in `translations/`, the same keys in each (a test checks), so the
page, its script and the emails (`mail.*`, read by bridge/mail/compose.py) speak with one
voice. The language is the `?lang=` parameter, else the
best match in the browser's Accept-Language, else the portal's default.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from bridge.core.portals import LANGUAGES

FOLDER = Path(__file__).parent / "translations"


@cache
def catalog(language: str) -> dict[str, Any]:
    """The strings of one supported language."""
    return dict(json.loads((FOLDER / f"{language}.json").read_text(encoding="utf-8")))


def _supported(tag: str) -> str | None:
    """The supported language a tag like 'pt', 'pt-br' or 'fr-CA' stands for."""
    tag = tag.strip().lower()
    for lang in LANGUAGES:
        if lang.lower() == tag:
            return lang
    primary = tag.split("-")[0]
    return next((lang for lang in LANGUAGES if lang.lower().split("-")[0] == primary), None)


def _accepted(header: str) -> list[str]:
    """Accept-Language tags, most wanted first."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(default: str, accept_language: str | None, asked: str | None) -> str:
    """The language to speak: ?lang=, then Accept-Language, then the portal's default."""
    if asked and (chosen := _supported(asked)):
        return chosen
    for tag in _accepted(accept_language or ""):
        if chosen := _supported(tag):
            return chosen
    return default if default in LANGUAGES else "en"


def translate(language: str, key: str, **values: object) -> str:
    """One string, `{placeholders}` filled in; an unknown key falls back to English."""
    strings: Any = catalog(language)
    fallback: Any = catalog("en")
    for part in key.split("."):
        strings = strings.get(part) if isinstance(strings, dict) else None
        fallback = fallback.get(part) if isinstance(fallback, dict) else None
    text = strings if isinstance(strings, str) else str(fallback or key)
    return text.format(**values) if values else text


def human_size(language: str, size: int) -> str:
    """`10 MB`, `1,5 Mo`: a byte count as the customer reads it (one decimal at most)."""
    if size < 1024:
        unit, number = "size.bytes", float(size)
    elif size < 1024 * 1024:
        unit, number = "size.kb", size / 1024
    else:
        unit, number = "size.mb", size / (1024 * 1024)
    shown = f"{round(number, 1):g}"
    if not language.startswith("en"):
        shown = shown.replace(".", ",")
    return translate(language, unit, n=shown)
