"""The real client address of an HTTP request or a Socket.IO connection.

Behind a reverse proxy every request comes from the proxy, so the client is read from
`X-Forwarded-For` — but only hops added by proxies we trust (the TRUSTED_PROXIES setting; none
by default) count: anyone can send that header, so an untrusted peer's claim is ignored.
engineio's aiohttp driver puts 127.0.0.1 in every socket's `REMOTE_ADDR`; the peer comes from
the aiohttp request it keeps in the environ instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from bridge.settings import Network

UNKNOWN = "unknown"


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class ClientAddresses:
    """Finds the client behind the trusted proxies named in the settings."""

    def __init__(self, trusted: Iterable[Network] = ()) -> None:
        self.trusted = tuple(trusted)

    def _is_trusted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address.version == n.version and address in n for n in self.trusted)

    def resolve(self, peer: str | None, forwarded_for: Iterable[str] = ()) -> str:
        """The client: the peer, or, while the hop is a trusted proxy, the hop before it."""
        client = _ip(peer or "")
        if client is None:
            return UNKNOWN
        # Each proxy appends the address it saw; read from the right, stop at the first hop
        # no trusted proxy vouches for.
        hops = [hop for header in forwarded_for for hop in header.split(",")]
        while self._is_trusted(client) and hops:
            previous = _ip(hops.pop())
            if previous is None:
                break
            client = previous
        return str(client)

    def of_request(self, request: web.BaseRequest) -> str:
        """The client address of an aiohttp request."""
        return self.resolve(request.remote, request.headers.getall("X-Forwarded-For", []))

    def of_socket(self, environ: dict[str, Any]) -> str:
        """The client address of a Socket.IO connection (from engineio's environ)."""
        request = environ.get("aiohttp.request")
        if isinstance(request, web.BaseRequest):
            return self.of_request(request)
        return UNKNOWN
