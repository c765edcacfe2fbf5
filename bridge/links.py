"""Addresses people are given: case messages in Slack, the portal's pages, embed snippets."""

from __future__ import annotations

from html import escape


def slack_message_link(channel: str, ts: str) -> str:
    """A link to a Slack message that works in every client (Slack redirects it)."""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def portal_url(public_url: str, subdomain: str) -> str:
    return f"{public_url.rstrip('/')}/p/{subdomain}"


def code_page_url(public_url: str) -> str:
    return f"{public_url.rstrip('/')}/code"


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
