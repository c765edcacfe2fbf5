"""The portal points the customer the right way: agents' links are links (safe ones), and a
refusal for length says what the limit is."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from bridge.services import casework
from tests.portal.conftest import Site
from tests.portal.test_portal_browser import start_chat


@pytest.fixture
async def customer(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(locale="en-US")
    yield context
    await context.close()


async def test_links_an_agent_writes_are_safe_links_for_the_customer(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "Where is the manual?")
    await casework.claim(site.services, 1, "UBOB")
    await casework.post_agent_message(
        site.services,
        1,
        "UBOB",
        "See https://example.com/help?topic=1. Not javascript:alert(1) nor <a href=x>this</a>",
    )
    message = page.locator(".message.agent").last
    await expect(message).to_contain_text("See https://example.com/help?topic=1. Not javascript")
    links = message.get_by_role("link")
    await expect(links).to_have_count(1)
    link = links.first
    await expect(link).to_have_text("https://example.com/help?topic=1")  # not the full stop
    await expect(link).to_have_attribute("href", "https://example.com/help?topic=1")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    await expect(link).to_have_attribute("target", "_blank")
    await expect(message).to_contain_text("<a href=x>this</a>")  # the rest stays text


async def test_too_long_says_the_limit(site: Site) -> None:
    form = {"first_name": "A" * 150, "last_name": "Lima", "email": "ana@example.com"}
    async with aiohttp.ClientSession() as http:
        answer = await http.post(f"{site.url}/p/acme/cases", json={**form, "question": "Hi"})
        body = await answer.json()
    assert answer.status == 400
    assert body["errors"]["first_name"] == "This is too long: at most 100 characters."
