"""In Chromium: an agent attaches a PDF to a reply in the local Slack's thread; the customer's
page shows it as a link with its size, downloads it, and still has it after a reload."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from bridge.services import casework
from storage.uow import Database
from tests.files_in_browser import PDF
from tests.slack.conftest import running_casebridge


async def downloaded(page: Page, link_text: str) -> bytes:
    """Click the chat's file link and read what the browser saved."""
    link = page.locator("#messages a.file-link", has_text=link_text)
    await expect(link).to_have_attribute("href", re.compile(r"^blob:"))
    async with page.expect_download() as started:
        await link.click()
    download = await started.value
    assert download.suggested_filename == "invoice.pdf"
    saved = await download.path()
    return await asyncio.to_thread(Path(saved).read_bytes)


async def test_an_agent_attaches_a_pdf_in_the_thread_and_the_customer_downloads_it(
    browser: Browser, db: Database, database_url: str, tmp_path: Path
) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(PDF)
    async with running_casebridge(database_url, socket_mode=False) as bridge:
        port = bridge.runner.addresses[0][1]
        context = await browser.new_context(locale="en-US", accept_downloads=True)
        customer = await context.new_page()
        await customer.goto(f"http://127.0.0.1:{port}/p/acme")
        await customer.get_by_label("First name").fill("Ana")
        await customer.get_by_label("Last name").fill("Lima")
        await customer.get_by_label("Email").fill("ana@example.com")
        await customer.get_by_label("Your question").fill("Can I have my invoice?")
        await customer.get_by_role("button", name="Start chat").click()
        await expect(customer.get_by_text("Waiting for an agent…")).to_be_visible()

        async with bridge.services.db.read() as uow:
            case = await uow.cases.get(1)
        assert case is not None
        card = await bridge.case_message(case.reference)
        await casework.claim(bridge.services, case.id, "UBOB")
        await expect(customer.get_by_text("Bob joined")).to_be_visible()

        # Bob, in the local Slack, opens the case's thread and replies with the PDF attached
        agent = await context.new_page()
        await agent.goto(f"{bridge.slack.url}/?as=UBOB&channel=C0SUPPORT&thread={card.ts}")
        await expect(agent.locator("#thread")).to_be_visible()
        await agent.fill("#thread-text", "Here is your invoice")
        await agent.set_input_files("#thread-files", str(invoice))
        await agent.get_by_role("button", name="Reply", exact=True).click()
        await expect(agent.locator("#thread")).to_contain_text("📎 invoice.pdf")

        # The customer's page: the text, then the file as a named link with its size
        line = customer.locator("#messages .message.agent", has_text="Here is your invoice")
        await expect(line.locator("a.file-link")).to_have_text("📎 invoice.pdf")
        await expect(line.locator(".file-size")).to_have_text(re.compile(r"\(\d+(\.\d)? KB\)"))
        await expect(line.locator("p")).to_have_text("Here is your invoice")
        assert await downloaded(customer, "invoice.pdf") == PDF

        # After a reload the line still carries its file, as a working link
        await customer.reload()
        line = customer.locator("#messages .message.agent", has_text="Here is your invoice")
        await expect(line.locator("a.file-link")).to_have_text("📎 invoice.pdf")
        assert await downloaded(customer, "invoice.pdf") == PDF
        await context.close()
