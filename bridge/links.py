"""Addresses people are given: case messages in Slack, the portal's pages, embed snippets."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit


def slack_message_link(channel: str, ts: str) -> str:
    """A link to a Slack message that works in every client (Slack redirects it)."""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def _wildcard(public_url: str) -> tuple[str, str] | None:
    """(scheme, host after '*.' with port) when PUBLIC_URL names a wildcard host, else None."""
    parts = urlsplit(public_url)
    if not parts.netloc.startswith("*."):
        return None
    return parts.scheme, parts.netloc[2:]


def portal_url(public_url: str, subdomain: str) -> str:
    """The portal's page: `<subdomain>.<host>/` under a wildcard PUBLIC_URL, else `/p/<sub>`."""
    wildcard = _wildcard(public_url)
    if wildcard:
        scheme, host = wildcard
        return f"{scheme}://{subdomain}.{host}"
    return f"{public_url.rstrip('/')}/p/{subdomain}"


def portal_origin(public_url: str, subdomain: str | None) -> str:
    """Where a portal's own routes (files, transcript) are reached, without a trailing slash."""
    wildcard = _wildcard(public_url)
    if wildcard and subdomain:
        scheme, host = wildcard
        return f"{scheme}://{subdomain}.{host}"
    if wildcard:
        return f"{wildcard[0]}://{wildcard[1]}"
    return public_url.rstrip("/")


def code_page_url(public_url: str) -> str:
    """The global code page; under a wildcard PUBLIC_URL it lives on the bare host."""
    wildcard = _wildcard(public_url)
    if wildcard:
        scheme, host = wildcard
        return f"{scheme}://{host}/code"
    return f"{public_url.rstrip('/')}/code"


def subdomain_of_host(public_url: str, host: str) -> str | None:
    """Which portal a request's Host header names under a wildcard PUBLIC_URL, if any."""
    wildcard = _wildcard(public_url)
    if not wildcard or not host:
        return None
    # Ports are compared by nobody: a proxy may add or drop a default port on the way in.
    suffix = "." + wildcard[1].rsplit(":", 1)[0].lower()
    name = host.rsplit(":", 1)[0].lower()
    label = name[: -len(suffix)] if name.endswith(suffix) else ""
    return label if label and "." not in label else None


def embed_snippets(public_url: str, subdomain: str, company: str) -> dict[str, str]:
    """The three ways to put a portal in front of customers, as copy-paste text."""
    url = portal_url(public_url, subdomain)
    label = escape(f"Chat with {company}")
    return {
        "url": url,
        "popup": (
            f'<a href="{url}" target="casebridge" onclick="window.open(this.href, '
            f"'casebridge', 'width=420,height=640'); return false;\">{label}</a>"
        ),
        "widget": f'<script src="{url}/widget.js" async></script>',
    }
