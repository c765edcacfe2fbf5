"""Delivering to the app as Slack does: signed HTTP requests with retries, or Socket Mode."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

EVENTS, INTERACTIVE, COMMANDS = "events_api", "interactive", "slash_commands"
# Slack's published schedule for an event that was not acknowledged: retried at once, after
# about a minute and after about five minutes, then given up. Tests shrink it.
SLACK_RETRY_DELAYS: tuple[float, ...] = (0.0, 60.0, 300.0)


@dataclass
class Attempt:
    """One try at delivering something, as the tests and the UI can inspect it."""

    kind: str
    retry_num: int
    status: int | None  # None when it timed out or could not connect
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # what the app answered


@dataclass
class Outcome:
    """How a delivery ended: the app's answer (status and body) or why there was none."""

    ok: bool
    status: int | None = None
    body: Any = None
    attempts: list[Attempt] = field(default_factory=list)


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def encode(kind: str, body: dict[str, Any]) -> tuple[str, str]:
    """The raw request body and its content type, per kind."""
    if kind == EVENTS:
        return json.dumps(body), "application/json"
    if kind == INTERACTIVE:
        return urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded"
    return urlencode(body), "application/x-www-form-urlencoded"


def _parse(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


@dataclass
class HttpDelivery:
    """POSTs signed requests to the app's request URL; retries events like Slack does."""

    app_url: str
    signing_secret: str
    ack_timeout: float = 3.0
    retry_delays: tuple[float, ...] = SLACK_RETRY_DELAYS
    forge_signatures: bool = False  # for tests that prove the app refuses forgeries
    log: list[Attempt] = field(default_factory=list)
    session: aiohttp.ClientSession | None = None

    async def send(self, kind: str, body: dict[str, Any]) -> Outcome:
        raw, content_type = encode(kind, body)
        outcome = Outcome(ok=False)
        tries = 1 + (len(self.retry_delays) if kind == EVENTS else 0)
        reason: str | None = None
        for retry_num in range(tries):
            if retry_num:
                await asyncio.sleep(self.retry_delays[retry_num - 1])
            attempt = await self._post(kind, raw, content_type, retry_num, reason)
            outcome.attempts.append(attempt)
            self.log.append(attempt)
            outcome.status, outcome.body = attempt.status, attempt.body
            if attempt.status == 200:
                outcome.ok = True
                return outcome
            reason = attempt.reason
        return outcome

    async def _post(
        self, kind: str, raw: str, content_type: str, retry_num: int, reason: str | None
    ) -> Attempt:
        timestamp = str(int(time.time()))
        secret = "forged-" + self.signing_secret if self.forge_signatures else self.signing_secret
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(secret, timestamp, raw),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if retry_num:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = reason or "http_error"
        if self.session is None:
            self.session = aiohttp.ClientSession()
        attempt = Attempt(kind, retry_num, None, headers=dict(headers))
        try:
            async with self.session.post(
                self.app_url,
                data=raw.encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.ack_timeout),
            ) as response:
                text = await response.text()
                attempt.status = response.status
                attempt.body = _parse(text)
                if response.status != 200:
                    attempt.reason = "http_error"
        except TimeoutError:
            attempt.reason = "http_timeout"
        except aiohttp.ClientError as exc:
            log.info("delivery to %s failed: %s", self.app_url, exc)
            attempt.reason = "connection_failed"
        return attempt

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


@dataclass
class SocketModeServer:
    """Slack's Socket Mode: envelopes over a WebSocket, acks required, redelivery if none."""

    ack_timeout: float = 3.0
    retry_delays: tuple[float, ...] = SLACK_RETRY_DELAYS
    connect_wait: float = 10.0
    connections: list[web.WebSocketResponse] = field(default_factory=list)
    tickets: set[str] = field(default_factory=set)
    log: list[Attempt] = field(default_factory=list)
    _acks: dict[str, asyncio.Future[Any]] = field(default_factory=dict)
    _turn: int = 0
    _connected: asyncio.Event = field(default_factory=asyncio.Event)

    def new_ticket(self) -> str:
        ticket = uuid.uuid4().hex
        self.tickets.add(ticket)
        return ticket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The WebSocket endpoint the URL from apps.connections.open points at."""
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            raise web.HTTPUnauthorized(text="invalid ticket")
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse(heartbeat=None, autoping=True)
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.connections) + 1,
                "debug_info": {
                    "host": "slackemu",
                    "build_number": 1,
                    "approximate_connection_time": 3600,
                },
                "connection_info": {"app_id": "A0CASEBR"},
            }
        )
        self.connections.append(ws)
        self._connected.set()
        try:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._on_ack(_parse(message.data))
        finally:
            self.connections.remove(ws)
            if not self.connections:
                self._connected.clear()
        return ws

    def _on_ack(self, data: Any) -> None:
        if isinstance(data, dict) and "envelope_id" in data:
            future = self._acks.get(data["envelope_id"])
            if future is not None and not future.done():
                future.set_result(data.get("payload"))

    async def send(self, kind: str, body: dict[str, Any]) -> Outcome:
        envelope_id = str(uuid.uuid4())
        outcome = Outcome(ok=False)
        tries = 1 + (len(self.retry_delays) if kind == EVENTS else 0)
        for retry_num in range(tries):
            if retry_num:
                await asyncio.sleep(self.retry_delays[retry_num - 1])
            envelope: dict[str, Any] = {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": body,
                "accepts_response_payload": kind != EVENTS,
            }
            if kind == EVENTS:
                envelope["retry_attempt"] = retry_num
                envelope["retry_reason"] = "timeout" if retry_num else ""
            attempt = Attempt(kind, retry_num, None)
            outcome.attempts.append(attempt)
            self.log.append(attempt)
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._acks[envelope_id] = future
            try:
                ws = await self._pick()
                await ws.send_json(envelope)
                outcome.body = await asyncio.wait_for(future, self.ack_timeout)
                attempt.status = outcome.status = 200
                outcome.ok = True
                return outcome
            except (TimeoutError, ConnectionError, RuntimeError):
                attempt.reason = "timeout"
            finally:
                self._acks.pop(envelope_id, None)
        return outcome

    async def _pick(self) -> web.WebSocketResponse:
        if not self.connections:
            await asyncio.wait_for(self._connected.wait(), self.connect_wait)
        self._turn = (self._turn + 1) % len(self.connections)
        return self.connections[self._turn]

    async def refresh(self, reason: str = "refresh_requested") -> None:
        """Ask every connected client to reconnect, as Slack does every few hours."""
        for ws in list(self.connections):
            await ws.send_json(
                {
                    "type": "disconnect",
                    "reason": reason,
                    "num_connections": len(self.connections),
                    "debug_info": {"host": "slackemu"},
                    "connection_info": {"app_id": "A0CASEBR"},
                }
            )

    async def drop_all(self) -> None:
        """Close every connection abruptly (a network blip)."""
        for ws in list(self.connections):
            await ws.close()

    async def close(self) -> None:
        await self.drop_all()
