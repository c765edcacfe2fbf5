"""The addresses casebridge hands out, with a plain and with a wildcard PUBLIC_URL."""

from __future__ import annotations

import pytest

from bridge.links import code_page_url, embed_snippets, portal_url, subdomain_of_host


def test_a_plain_public_url_puts_portals_under_p() -> None:
    assert portal_url("https://help.example.com/", "acme") == "https://help.example.com/p/acme"
    assert code_page_url("https://help.example.com") == "https://help.example.com/code"
    assert subdomain_of_host("https://help.example.com", "acme.help.example.com") is None


def test_a_wildcard_public_url_gives_each_portal_its_own_host() -> None:
    public = "https://*.support.example.com"
    assert portal_url(public, "acme") == "https://acme.support.example.com"
    assert code_page_url(public) == "https://support.example.com/code"
    snippets = embed_snippets(public, "acme", "Acme")
    assert 'src="https://acme.support.example.com/widget.js"' in snippets["widget"]


@pytest.mark.parametrize(
    ("host", "portal"),
    [
        ("acme.support.example.com", "acme"),
        ("ACME.Support.Example.com:443", "acme"),  # case and an explicit port do not matter
        ("support.example.com", None),  # the bare host is the code page's
        ("a.b.support.example.com", None),  # one label only
        ("acme.support.example.com.evil.test", None),
        ("acmesupport.example.com", None),
        ("", None),
    ],
)
def test_the_host_names_the_portal(host: str, portal: str | None) -> None:
    assert subdomain_of_host("https://*.support.example.com", host) == portal
    assert subdomain_of_host("http://*.localhost:8080", "acme.localhost:8080") == "acme"
