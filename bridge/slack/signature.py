"""The first step of every request to /slack/events: is it really from Slack?

The signature is checked on the raw bytes before anything reads them as text, JSON or a form,
so an outsider's body reaches no parser and no log; a refusal is one short, escaped line.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from bridge.http_body import read_capped

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's largest payloads (view submissions) are far smaller
MAX_AGE = 5 * 60  # seconds: Slack's replay window
SHOWN = 80  # bytes of a refused body shown in the log


def _shown(data: bytes | str, limit: int = SHOWN) -> str:
    """A log-safe excerpt: escaped (no newline can forge a line) and cut."""
    text = data if isinstance(data, str) else data.decode("utf-8", "backslashreplace")
    excerpt = text[:limit].encode("unicode_escape").decode("ascii")
    return excerpt + ("…" if len(text) > limit else "")


_OBJECT: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


def readable_body(body: bytes, content_type: str) -> str | None:
    """The body as text if it has the shape bolt reads (a JSON object, a form, a form whose
    `payload` is a JSON object); None otherwise."""
    try:
        text = body.decode("utf-8")
        if content_type == "application/x-www-form-urlencoded":
            payload = parse_qs(text).get("payload")
            if payload:
                _OBJECT.validate_json(payload[0])
        else:
            _OBJECT.validate_json(text)
    except (UnicodeDecodeError, ValidationError):
        return None
    return text


class SlackSignature:
    """Verifies Slack's request signature on the raw body."""

    def __init__(self, signing_secret: str, clock: Callable[[], float] = time.time) -> None:
        self.secret = signing_secret.encode()
        self.clock = clock

    def valid(self, body: bytes, timestamp: str, signature: str) -> bool:
        """Slack's v0 scheme over the raw bytes (slack_sdk's verifier decodes them first)."""
        if abs(self.clock() - int(timestamp)) > MAX_AGE:
            return False
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self.secret, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

    async def signed_body(self, request: web.Request) -> bytes | web.Response:
        """The raw body when Slack signed it; otherwise the refusal to send back."""
        body = await read_capped(request, MAX_BODY)
        if body is None:
            self._refuse(request, "body over 1 MiB", b"")
            return web.json_response({"error": "too_large"}, status=413)
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        # Only a plain number is a timestamp.
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            self._refuse(request, "bad timestamp", body)
            return web.json_response({"error": "invalid_signature"}, status=401)
        if not self.valid(body, timestamp, signature):
            self._refuse(request, "bad signature", body)
            return web.json_response({"error": "invalid_signature"}, status=401)
        return body

    def _refuse(self, request: web.Request, why: str, body: bytes) -> None:
        log.warning(
            "slack: refused a request from %s (%s, %d bytes): %s",
            request.remote,
            why,
            len(body),
            _shown(body),
        )
