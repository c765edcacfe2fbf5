"""The customer's page in every state: waiting again after an agent leaves, the conversation
kept readable after the end, the chat back on when an agent reopens it."""

from __future__ import annotations

from collections.abc import AsyncIterator

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


async def test_left_resolved_and_reopened_as_the_customer_sees_it(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "It will not start")
    await casework.claim(site.services, 1, "UBOB")
    await expect(page.get_by_text("Bob joined the chat.")).to_be_visible()
    await expect(page.get_by_text("Waiting for an agent…")).to_be_hidden()

    # Bob leaves: the customer waits again, and may stop waiting
    await casework.leave(site.services, 1, "UBOB")
    await expect(page.get_by_text("Bob left the chat.")).to_be_visible()
    await expect(page.get_by_text("Waiting for an agent…")).to_be_visible()
    stop = page.get_by_role("button", name="Stop waiting and leave my question")
    await expect(stop).to_be_visible()

    # Carol takes it, answers and resolves: the conversation stays, with the transcript
    await casework.claim(site.services, 1, "UCAROL")
    await casework.post_agent_message(site.services, 1, "UCAROL", "Hold the power button")
    await expect(page.get_by_text("Hold the power button")).to_be_visible()
    await casework.resolve(site.services, 1, "UCAROL")
    await expect(page.locator("#done-text")).to_have_text("The chat has ended.")
    await expect(page.get_by_text("Hold the power button")).to_be_visible()
    await expect(page.get_by_text("It will not start")).to_be_visible()
    await expect(page.get_by_role("button", name="Download transcript")).to_be_visible()
    await expect(page.get_by_label("Your message")).to_be_hidden()
    # and after a reload too
    await page.reload()
    await expect(page.get_by_text("Hold the power button")).to_be_visible()
    await expect(page.get_by_role("button", name="Download transcript")).to_be_visible()

    # Carol reopens: the chat is on again, both ways
    await casework.reopen(site.services, 1, "UCAROL")
    await expect(page.get_by_label("Your message")).to_be_visible()
    await casework.post_agent_message(site.services, 1, "UCAROL", "One more check, please")
    await expect(page.get_by_text("One more check, please")).to_be_visible()
    await page.get_by_label("Your message").fill("Sure")
    await page.keyboard.press("Enter")
    await expect(page.locator(".message.customer.pending")).to_have_count(0)
