"""Customers' files over HTTP: upload into their case, fetch back, both with the case token.

Files come back only from here, never from a Slack URL: with the type they were sniffed as,
`X-Content-Type-Options: nosniff`, and a CSP (`sandbox`, nothing allowed) so that even a file
that slipped through as something else cannot run script in the portal's origin.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from bridge.core.attachments import INLINE_KINDS
from bridge.core.errors import CaseNotFound, InvalidInput, NotAllowed
from bridge.core.tokens import hash_token
from bridge.files.links import FileLinks
from bridge.services.attachments import (
    attach_customer_file,
    customer_file,
    file_bytes,
    linked_file,
)
from bridge.services.context import ServiceContext
from portal.client_address import ClientAddresses
from portal.i18n import human_size, translate
from portal.limits import CustomerLimits
from storage.repositories.attachments import StoredAttachment

CHUNK = 64 * 1024
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
_STATUS = {"file_too_large": 413, "case_files_full": 413, "file_type": 415}

Errors = Callable[[str, dict[str, str], int], web.Response]
Language = Callable[[web.Request, str], str]


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def content_disposition(name: str, inline: bool) -> str:
    """A Content-Disposition naming the file safely in any browser (RFC 6266, RFC 5987)."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


class FileRoutes:
    """POST /files and GET /files/{id} for the customer's page; GET /files/{id}/{expires}/{sig}."""

    def __init__(
        self,
        ctx: ServiceContext,
        errors: Errors,
        language: Language,
        limits: CustomerLimits,
        addresses: ClientAddresses,
        links: FileLinks | None = None,
    ) -> None:
        self.ctx, self.errors, self.language = ctx, errors, language
        self.limits, self.addresses, self.links = limits, addresses, links

    async def upload(self, request: web.Request) -> web.Response:
        """One file, multipart field `file`, into the token's case."""
        token = _bearer(request)
        if token is None:
            return web.json_response({"error": "no_token"}, status=401)
        lang = self.language(request, "en")
        # Counted before any byte is read or stored: per case (by token) and per address.
        wait = await self.limits.upload(hash_token(token), self.addresses.of_request(request))
        if wait > 0:
            refused = self.errors(lang, {"file": "rate_limited"}, 429)
            refused.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return refused
        limit = self.ctx.attachment_limits.file_bytes
        if not request.content_type.startswith("multipart/"):
            return self.errors(lang, {"file": "required"}, 400)
        reader = await request.multipart()
        part = await reader.next()
        while part is not None and not (isinstance(part, BodyPartReader) and part.name == "file"):
            part = await reader.next()
        if not isinstance(part, BodyPartReader):
            return self.errors(lang, {"file": "required"}, 400)
        data = bytearray()
        while chunk := await part.read_chunk(CHUNK):
            data += chunk
            if len(data) > limit:  # counted as it arrives: Content-Length is not trusted
                return self._refuse(lang, "file_too_large")
        try:
            sent = await attach_customer_file(self.ctx, token, part.filename or "file", bytes(data))
        except CaseNotFound:
            return web.json_response({"error": "unknown_case"}, status=404)
        except NotAllowed:
            return self.errors(lang, {"file": "ended"}, 409)
        except InvalidInput as refused:
            return self._refuse(lang, refused.code)
        return web.json_response(
            {
                "id": sent.attachment_id,
                "message_id": sent.message_id,
                "name": sent.name,
                "kind": sent.kind,
                "size": sent.size,
                "url": f"/files/{sent.attachment_id}",
            },
            status=201,
        )

    def _refuse(self, lang: str, code: str) -> web.Response:
        """What was wrong with the file, in the customer's language; a limit says how much."""
        limits = self.ctx.attachment_limits
        most = {"file_too_large": limits.file_bytes, "case_files_full": limits.case_bytes}
        if code not in most:
            return self.errors(lang, {"file": code}, _STATUS.get(code, 400))
        text = translate(lang, f"errors.{code}", max=human_size(lang, most[code]))
        return web.json_response(
            {"errors": {"file": text}, "codes": {"file": code}}, status=_STATUS[code]
        )

    async def linked(self, request: web.Request) -> web.Response:
        """A file by a signed, expiring link (from an email or the transcript): no token."""
        try:
            attachment_id = int(request.match_info["attachment_id"])
            expires = int(request.match_info["expires"])
        except ValueError:
            return web.json_response({"error": "unknown_file"}, status=404)
        if self.links is None or not self.links.valid(
            attachment_id, expires, request.match_info["signature"]
        ):
            return web.json_response({"error": "unknown_file"}, status=404)
        try:
            found, language = await linked_file(self.ctx, attachment_id)
            if FileLinks.expired(expires, self.ctx.clock.now()):
                text = translate(language, "errors.link_expired")
                return web.Response(status=410, text=text, headers=_SAFE)
            content = await file_bytes(self.ctx, found)
        except (InvalidInput, FileNotFoundError):
            return web.json_response({"error": "unknown_file"}, status=404)
        return _serve(found, content)

    async def download(self, request: web.Request) -> web.Response:
        """A file of the token's own case, served so that it cannot run script."""
        token = _bearer(request)
        if token is None:
            return web.json_response({"error": "no_token"}, status=401)
        try:
            found, content = await customer_file(
                self.ctx, token, int(request.match_info["attachment_id"])
            )
        except (CaseNotFound, InvalidInput, ValueError, FileNotFoundError):
            return web.json_response({"error": "unknown_file"}, status=404)
        return _serve(found, content)


# What every answer with a file's bytes (or about them) carries: it is never taken for a page
# of ours, runs nothing, and is kept by no shared cache nor named in a Referer.
_SAFE = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": FILE_CSP,
    "Cache-Control": "private, no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
}


def _serve(found: StoredAttachment, content: bytes) -> web.Response:
    """The file's bytes as the type they were sniffed as, named safely."""
    disposition = content_disposition(found.name, found.kind in INLINE_KINDS)
    return web.Response(
        body=content,
        content_type=found.kind,
        headers={"Content-Disposition": disposition, **_SAFE},
    )
