"""Generated payloads to every socket event and HTTP endpoint: documented answers, never a 500."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.uow import Database
from tests.portal.conftest import Site, running_site

ODD_TEXT = st.sampled_from(["\ud800", "٤٥", "4_5", "a" * 5000, "", " ", "<b>x</b>", "\x00"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | ODD_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
SEND = st.fixed_dictionaries({"text": JSON}, optional={"client_id": JSON})
SEEN = st.fixed_dictionaries({"up_to": JSON})
EVENTS = st.sampled_from(
    ["hello", "send", "seen", "stop_waiting", "end_chat", "connect", "disconnect", "message", "x"]
)
SOCKET_ERRORS = {
    "invalid",
    "too_long",
    "ended",
    "unknown_case",
    "unknown_event",
    "rate_limited",
    "already_joined",
}
FORM_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        name: JSON
        for name in (
            "first_name",
            "last_name",
            "email",
            "question",
            "agent",
            "code",
            "support_request",
            "language",
            "device",
        )
    },
)
ADDRESSES = (f"198.18.{n // 250}.{n % 250 + 1}" for n in itertools.count())

pytestmark = pytest.mark.slow
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def fuzzed(db: Database, database_url: str) -> AsyncIterator[Site]:
    """A portal behind a trusted proxy, so each example can come from its own address."""
    async with running_site(database_url, trusted_proxies="127.0.0.1") as running:
        yield running


async def open_chat(site: Site, http: aiohttp.ClientSession) -> str:
    response = await http.post(
        f"{site.url}/p/acme/cases",
        json={"first_name": "Fuzz", "last_name": "Er", "email": "f@example.com", "question": "?"},
        headers={"X-Forwarded-For": next(ADDRESSES)},
    )
    assert response.status == 201
    return str((await response.json())["token"])


def assert_socket_answer(answer: Any) -> None:
    assert isinstance(answer, dict), answer
    assert isinstance(answer.get("ok"), bool), answer
    if not answer["ok"]:
        assert answer["error"] in SOCKET_ERRORS, answer
        if answer["error"] == "rate_limited":
            assert isinstance(answer["retry_after"], int | float)


@FUZZ
@given(event=EVENTS, payload=JSON | SEND | SEEN)
async def test_any_socket_event_with_any_payload_gets_a_documented_answer(
    fuzzed: Site, event: str, payload: Any
) -> None:
    async with aiohttp.ClientSession() as http:
        token = await open_chat(fuzzed, http)
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        await client.connect(
            fuzzed.url,
            auth={"token": token},
            namespaces=["/chat"],
            transports=["websocket"],
            headers={"X-Forwarded-For": next(ADDRESSES)},
        )
        try:
            assert_socket_answer(await client.call(event, payload, namespace="/chat", timeout=5))
            # The socket still works afterwards.
            assert (await client.call("hello", namespace="/chat", timeout=5))["ok"]
        finally:
            await client.disconnect()


@FUZZ
@given(
    body=FORM_FIELDS | JSON,
    raw=st.none() | st.binary(max_size=200),
    subdomain=st.sampled_from(["acme", "globex", "umbrella", "nope", "ACME", "%ff", "٤٥"]),
    code_page=st.booleans(),
    language=st.none() | st.text(max_size=12),
)
async def test_any_body_for_opening_a_case_gets_a_documented_answer(
    fuzzed: Site,
    body: Any,
    raw: bytes | None,
    subdomain: str,
    code_page: bool,
    language: str | None,
) -> None:
    url = f"{fuzzed.url}/code/cases" if code_page else f"{fuzzed.url}/p/{subdomain}/cases"
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"X-Forwarded-For": next(ADDRESSES), "Content-Type": "application/json"}
    if language is not None and language.isprintable() and language.isascii():
        headers["Accept-Language"] = language
    async with aiohttp.ClientSession() as http:
        response = await http.post(url, data=data, headers=headers)
        assert response.status < 500, await response.text()
        answer = await response.json()
    if response.status == 201:
        assert isinstance(answer["token"], str)
    elif response.status == 404:
        assert answer == {"error": "unknown_portal"}
    else:
        assert response.status in (400, 409, 413, 429, 503)
        assert set(answer) == {"errors", "codes"}
        assert answer["codes"] and all(
            isinstance(k, str) and isinstance(v, str) for k, v in answer["codes"].items()
        )
        assert set(answer["errors"]) == set(answer["codes"])


@FUZZ
@given(
    path=st.sampled_from(
        [
            "/p/{s}",
            "/p/{s}/",
            "/p/{s}/agents",
            "/p/{s}/widget.js",
            "/",
            "/widget.js",
            "/code",
            "/transcript",
            "/portal/vendor/{s}",
            "/healthz",
        ]
    ),
    segment=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_characters="/?#%"),
        min_size=1,
        max_size=12,
    ),
    lang=st.none() | st.text(max_size=8),
    bearer=st.none() | st.text(max_size=60),
)
async def test_any_get_gets_an_answer_never_a_500(
    fuzzed: Site, path: str, segment: str, lang: str | None, bearer: str | None
) -> None:
    headers = {"X-Forwarded-For": next(ADDRESSES)}
    if bearer is not None and bearer.isascii() and bearer.isprintable():
        headers["Authorization"] = f"Bearer {bearer}"
    params = {"lang": lang} if lang is not None else {}
    async with aiohttp.ClientSession() as http:
        response = await http.get(
            fuzzed.url + path.format(s=segment), params=params, headers=headers
        )
        assert response.status < 500 or (path == "/p/{s}" and response.status == 503), (
            await response.text()
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
