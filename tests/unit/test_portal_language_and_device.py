"""The portal's pure helpers: which language to speak, what the browser is."""

from __future__ import annotations

import re

import pytest

from bridge.core.portals import LANGUAGES
from portal.device import browser_and_os
from portal.i18n import catalog, negotiate, translate


def _keys(tree: dict[str, object], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        keys |= _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_string_with_the_same_placeholders(language: str) -> None:
    english, other = catalog("en"), catalog(language)
    assert _keys(other) == _keys(english)
    for key in _keys(english):
        assert sorted(_placeholders(translate("en", key))) == sorted(
            _placeholders(translate(language, key))
        ), key


# Usages of Portugal's Portuguese a Brazilian reader notices at once.
EUROPEAN_PORTUGUESE = re.compile(
    r"(?:^|[\s(])[Aa] (?:sua|minha|seu|meu)\b"  # the article before a possessive
    r"|\bguard(?:ad[ao]|amos)\b|\butilizador|\bequipa\b|\becrã|\btelemóvel|\bregisto\b"
    r"|\bcontacto|\best(?:á|ou) a \w+r\b"  # "está a escrever" for "está escrevendo"
)


def test_the_brazilian_catalog_reads_as_brazilian_portuguese() -> None:
    texts = {key: translate("pt-BR", key) for key in _keys(catalog("en"))}
    european = {k: t for k, t in texts.items() if EUROPEAN_PORTUGUESE.search(t)}
    assert european == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_too_long_says_the_limit(language: str) -> None:
    assert "4000" in translate(language, "errors.too_long", max=4000)


def _placeholders(text: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", text)


@pytest.mark.parametrize(
    ("default", "accept", "asked", "chosen"),
    [
        ("en", None, None, "en"),
        ("fr", None, None, "fr"),
        ("en", "pt-BR,pt;q=0.9,en;q=0.8", None, "pt-BR"),
        ("en", "pt-PT", None, "pt-BR"),  # the nearest we speak
        ("en", "de-DE,es;q=0.5", None, "es"),
        ("en", "de, fr;q=0", None, "en"),  # q=0 means "not this one"
        ("es", "fr", "pt-br", "pt-BR"),  # ?lang= wins
        ("es", "fr", "klingon", "fr"),
    ],
)
def test_the_language_comes_from_the_url_then_the_browser_then_the_portal(
    default: str, accept: str | None, asked: str | None, chosen: str
) -> None:
    assert negotiate(default, accept, asked) == chosen


@pytest.mark.parametrize(
    ("agent", "browser", "system"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
            "Firefox 140",
            "Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge 131",
            "Windows 10",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mobile Safari 17",
            "iOS 17.5",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome Mobile 131",
            "Android 14",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "Safari 17",
            "Mac OS X 10.15",
        ),
        ("curl/8.5.0", "curl 8", ""),
        ("", "", ""),
    ],
)
def test_the_user_agent_reads_as_browser_and_system(agent: str, browser: str, system: str) -> None:
    assert browser_and_os(agent) == (browser, system)
