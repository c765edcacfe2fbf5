"""Requests to /slack/events that Slack did not sign: refused first, logged in one short line."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.uow import Database
from tests.slack.conftest import SECRET, Casebridge, running_casebridge

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
FORGED_LINE = b"x\nCRITICAL casebridge admin login ok\r\n"

# The shapes that used to reach a parser (and give a 500 with a traceback) before the check.
SHAPES: list[tuple[dict[str, str], bytes, str]] = [
    ({"X-Slack-Request-Timestamp": "soon"}, b"{}", JSON),
    ({}, b"{not json", JSON),
    ({}, b"[1, 2, 3]", JSON),
    ({}, b"\xff\xfe\xfd", JSON),
    ({}, b"payload=not-json", FORM),
    ({}, b"payload=%5B1%5D", FORM),
    ({}, b"null", JSON),
    ({}, b'"text"', JSON),
    ({}, FORGED_LINE, JSON),
    ({}, b"a" * (1024 * 1024 - 10), JSON),
]


@pytest.fixture
async def http_bridge(db: Database, database_url: str) -> AsyncIterator[Casebridge]:
    async with running_casebridge(database_url, socket_mode=False) as running:
        yield running


def url_of(bridge: Casebridge) -> str:
    host, port = bridge.runner.addresses[0][:2]
    return f"http://{host}:{port}/slack/events"


def signed(body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}


async def test_unsigned_requests_get_401_and_one_short_escaped_log_line(
    http_bridge: Casebridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as http:
        for headers, body, content_type in SHAPES:
            caplog.clear()
            response = await http.post(
                url_of(http_bridge),
                data=body,
                headers={
                    "Content-Type": content_type,
                    "X-Slack-Request-Timestamp": str(int(time.time())),
                    "X-Slack-Signature": "v0=forged",
                    **headers,
                },
            )
            assert response.status == 401, body[:40]
            # Background work (deliveries, sweeps) may log meanwhile; the request's own lines:
            lines = [
                r.getMessage()
                for r in caplog.records
                if r.name.startswith(("bridge.slack", "slack_bolt", "aiohttp"))
            ]
            assert len(lines) == 1, lines
            assert "\n" not in lines[0] and "\r" not in lines[0]
            assert len(lines[0]) < 300
            assert not any("\nCRITICAL" in r.getMessage() for r in caplog.records)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


async def test_a_body_over_the_cap_is_refused_without_being_read_whole(
    http_bridge: Casebridge,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(2048):
            yield b"a" * 1024

    async with aiohttp.ClientSession() as http:
        response = await http.post(url_of(http_bridge), data=chunks())
        assert response.status == 413


async def test_a_signed_body_bolt_cannot_read_is_a_400_not_a_500(
    http_bridge: Casebridge,
) -> None:
    async with aiohttp.ClientSession() as http:
        for body, content_type in (
            (b"[1]", JSON),
            (b"payload=not-json", FORM),
            (b"\xff", JSON),
        ):
            response = await http.post(
                url_of(http_bridge),
                data=body,
                headers={"Content-Type": content_type, **signed(body)},
            )
            assert response.status == 400, body


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.binary(max_size=300) | JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    content_type=st.sampled_from([JSON, FORM, "text/plain", "multipart/form-data"]),
    stamp=st.none() | st.text(max_size=14),
    sign=st.booleans(),
)
async def test_any_body_signed_or_not_gets_an_answer_never_a_500(
    http_bridge: Casebridge, body: bytes, content_type: str, stamp: str | None, sign: bool
) -> None:
    headers = {"Content-Type": content_type}
    if sign:
        headers |= signed(body)
    elif stamp is not None and stamp.isascii() and stamp.isprintable():
        headers |= {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=00"}
    async with aiohttp.ClientSession() as http:
        response = await http.post(url_of(http_bridge), data=body, headers=headers)
        assert response.status < 500, (response.status, body)
        if not sign:
            assert response.status == 401
