"""A customer who misbehaves gets clear refusals and hurts nobody else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from bridge.log_limits import RepeatLimit
from bridge.services.customer import case_for_token
from tests.portal.conftest import Site, eventually, running_site
from tests.portal.test_live_socket import connect, open_chat

FORM = {"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com", "question": "Hi"}


async def connected(site: Site, token: str) -> bool:
    async with site.services.db.uow() as uow:
        return (await case_for_token(uow, token)).customer_connected


async def _false_when(value: bool) -> bool:
    return not value


async def test_an_event_named_connect_or_disconnect_does_not_run_the_servers_handlers(
    site: Site,
) -> None:
    chat = await open_chat(site)
    socket, _ = await connect(site, chat["token"])
    try:
        fake_environ = {"REMOTE_ADDR": "10.9.8.7", "HTTP_ORIGIN": "https://evil.test"}
        answer = await socket.call(
            "connect", (fake_environ, {"token": chat["token"]}), namespace="/chat"
        )
        assert answer == {"ok": False, "error": "unknown_event"}
        answer = await socket.call("disconnect", "client disconnect", namespace="/chat")
        assert answer == {"ok": False, "error": "unknown_event"}
        assert await connected(site, chat["token"])
        assert (await socket.call("hello", namespace="/chat"))["ok"]
    finally:
        await socket.disconnect()

    async def gone() -> bool:
        return not await connected(site, chat["token"])

    # Presence was counted once, so the one real disconnect leaves the customer gone.
    await eventually(gone)


async def test_odd_payloads_get_the_documented_error_never_a_traceback(site: Site) -> None:
    chat = await open_chat(site)
    socket, _ = await connect(site, chat["token"])
    try:
        sent: tuple[object, ...] = (
            None,
            "x",
            [],
            {"text": 5},
            {"text": "\ud800"},
            {"text": "a" * 5000},
        )
        for payload in sent:
            answer = await socket.call("send", payload, namespace="/chat")
            assert answer["ok"] is False and answer["error"] in ("invalid", "too_long"), payload
        marks: tuple[object, ...] = (None, {"up_to": 2**63}, {"up_to": True}, {"up_to": "4"}, {})
        for payload in marks:
            answer = await socket.call("seen", payload, namespace="/chat")
            assert answer == {"ok": False, "error": "invalid"}, payload
        assert await socket.call("seen", {"up_to": 2}, namespace="/chat") == {"ok": True}
        assert await socket.call("whatever", {}, namespace="/chat") == {
            "ok": False,
            "error": "unknown_event",
        }
    finally:
        await socket.disconnect()


async def test_a_flooding_socket_is_refused_cheaply_then_cut_off_while_others_chat(
    site: Site,
) -> None:
    flooder_chat, other_chat = await open_chat(site), await open_chat(site)
    flooder, _ = await connect(site, flooder_chat["token"])
    other, _ = await connect(site, other_chat["token"])
    try:
        answers = await asyncio.gather(
            *(
                flooder.call("seen", {"up_to": n + 1}, namespace="/chat", timeout=2)
                for n in range(300)
            ),
            return_exceptions=True,
        )
        refusals = [a for a in answers if isinstance(a, dict) and a.get("error")]
        assert refusals and all(a["error"] == "rate_limited" for a in refusals)
        assert "retry_after" in refusals[0]
        hello = await other.call("hello", namespace="/chat")
        assert hello["ok"]
        sent = await other.call("send", {"text": "still here"}, namespace="/chat")
        assert sent["ok"]
        # Cut off, and its address turned away before any handshake work for a while.
        await eventually(lambda: _false_when(flooder.connected))
        async with aiohttp.ClientSession() as http:
            handshake = await http.get(f"{site.url}/socket.io/?EIO=4&transport=polling")
            assert handshake.status == 429
            assert int(handshake.headers["Retry-After"]) > 0
    finally:
        await flooder.disconnect()
        await other.disconnect()


async def test_opening_cases_refuses_big_bodies_and_bad_text_with_the_documented_shape(
    site: Site,
) -> None:
    async with aiohttp.ClientSession() as http:

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"first_name": "'
            for _ in range(1024):
                yield b"a" * 1024
            yield b'"}'

        # Chunked: no Content-Length to trust, the bytes themselves are counted.
        big = await http.post(f"{site.url}/p/acme/cases", data=chunks())
        assert big.status == 413
        assert (await big.json())["codes"] == {"form": "too_large"}

        surrogate = await http.post(
            f"{site.url}/p/acme/cases",
            data=b'{"first_name": "\\ud800", "last_name": "L", "email": "a@example.com"}',
            headers={"Content-Type": "application/json"},
        )
        assert surrogate.status == 400
        assert (await surrogate.json())["codes"] == {"form": "generic"}

        odd = await http.post(f"{site.url}/p/acme/cases", json={**FORM, "support_request": "yes"})
        assert odd.status == 400
        assert (await odd.json())["codes"] == {"support_request": "invalid"}


async def test_too_many_openings_say_what_was_limited(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(11):
            response = await http.post(f"{site.url}/p/acme/cases", json=FORM)
            statuses.append(response.status)
        assert statuses == [201] * 10 + [429]
        body = await response.json()
        assert body["codes"] == {"form": "too_many_cases"}
        assert "too fast" not in body["errors"]["form"]
        assert "chats were opened" in body["errors"]["form"]
        assert int(response.headers["Retry-After"]) >= 1


async def test_the_transcript_and_every_answer_say_nosniff(site: Site) -> None:
    chat = await open_chat(site)
    async with aiohttp.ClientSession() as http:
        transcript = await http.get(
            f"{site.url}/transcript", headers={"Authorization": f"Bearer {chat['token']}"}
        )
        assert transcript.status == 200
        assert transcript.headers["X-Content-Type-Options"] == "nosniff"
        health = await http.get(f"{site.url}/healthz")
        assert health.headers["X-Content-Type-Options"] == "nosniff"


async def test_support_request_confirmations_are_bounded_per_recipient(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        statuses = []
        for n in range(7):
            response = await http.post(
                f"{site.url}/p/acme/cases",
                json={**FORM, "email": "victim@example.com", "support_request": True},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},  # ignored: no proxy trusted
            )
            statuses.append(response.status)
        assert statuses == [201] * 5 + [429, 429]
        assert (await response.json())["codes"] == {"email": "too_many_for_email"}
        other = await http.post(f"{site.url}/p/acme/cases", json={**FORM, "support_request": True})
        assert other.status == 201


@pytest.fixture
async def proxied_site(database_url: str, db: Any) -> AsyncIterator[Site]:
    """The portal behind a reverse proxy on 127.0.0.1 that the settings trust."""
    async with running_site(database_url, trusted_proxies="127.0.0.1") as running:
        yield running


async def test_behind_a_trusted_proxy_each_customer_has_their_own_limit(
    proxied_site: Site,
) -> None:
    site = proxied_site
    async with aiohttp.ClientSession() as http:

        async def open_from(address: str) -> int:
            response = await http.post(
                f"{site.url}/p/acme/cases",
                json=FORM,
                headers={"X-Forwarded-For": f"{address}, 127.0.0.1"},
            )
            return response.status

        assert [await open_from("203.0.113.1") for _ in range(11)] == [201] * 10 + [429]
        assert await open_from("203.0.113.2") == 201


async def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        statuses = [
            (
                await http.post(
                    f"{site.url}/p/acme/cases",
                    json=FORM,
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                )
            ).status
            for n in range(11)
        ]
        assert statuses == [201] * 10 + [429]


@pytest.fixture
async def tight_site(database_url: str, db: Any) -> AsyncIterator[Site]:
    """The portal with a one-connection pool that gives up waiting quickly."""
    async with running_site(
        database_url,
        database_pool_size=1,
        database_pool_overflow=0,
        database_pool_timeout_seconds=0.2,
    ) as running:
        yield running


async def test_an_exhausted_pool_gives_short_documented_refusals_and_few_log_lines(
    tight_site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    site = tight_site
    chat = await open_chat(site)
    socket, _ = await connect(site, chat["token"])
    # As `casebridge run` sets up its log: repeats of one failure are counted, not written.
    # pytest keeps one capture handler for the whole session: the filter must go afterwards.
    repeats = RepeatLimit(per_window=3, window=60)
    try:
        async with site.components.db.engine.connect() as held:  # the only connection
            await held.execute(text("SELECT 1"))
            caplog.clear()
            caplog.handler.addFilter(repeats)
            async with aiohttp.ClientSession() as http:
                for _ in range(8):
                    response = await http.post(f"{site.url}/p/acme/cases", json=FORM)
                    assert response.status == 503
                    assert await response.json() == {"error": "unavailable"}
                    assert response.headers["Retry-After"] == "1"
                health = await http.get(f"{site.url}/healthz")
                assert health.status == 503
            answer = await socket.call("hello", namespace="/chat")
            assert answer == {"ok": False, "error": "unavailable"}
        # The pool is back: so is everything else.
        assert (await socket.call("hello", namespace="/chat"))["ok"]
    finally:
        caplog.handler.removeFilter(repeats)
        await socket.disconnect()
    failures = [r for r in caplog.records if "POST /p/acme/cases failed" in r.getMessage()]
    assert len(failures) == 3
