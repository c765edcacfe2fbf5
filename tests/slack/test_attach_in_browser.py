"""In Chromium: the customer attaches a screenshot on the portal (the button, or pasting it from
the clipboard); the agents see it in Slack."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, expect

from storage.uow import Database
from tests.files_in_browser import PNG, paste_screenshot
from tests.slack.conftest import running_casebridge


async def test_customer_attaches_an_image_on_the_page_and_it_lands_in_the_thread(
    browser: Browser, db: Database, database_url: str, tmp_path: Path
) -> None:
    screenshot = tmp_path / "my screen.png"
    screenshot.write_bytes(PNG)
    async with running_casebridge(database_url, socket_mode=False) as bridge:
        port = bridge.runner.addresses[0][1]
        context = await browser.new_context(locale="en-US")
        page = await context.new_page()
        await page.goto(f"http://127.0.0.1:{port}/p/acme")
        await page.get_by_label("First name").fill("Ana")
        await page.get_by_label("Last name").fill("Lima")
        await page.get_by_label("Email").fill("ana@example.com")
        await page.get_by_label("Your question").fill("The app shows this")
        await page.get_by_role("button", name="Start chat").click()
        await expect(page.get_by_text("Waiting for an agent…")).to_be_visible()

        await page.locator("#attach-file").set_input_files(str(screenshot))
        link = page.locator("#messages a.file-link")
        await expect(link).to_have_text("📎 my screen.png")
        await expect(page.locator("#messages img.file-image")).to_be_visible()
        drawn = await page.locator("#messages img.file-image").evaluate("i => i.naturalWidth")
        assert drawn == 1  # fetched through casebridge with the token, and drawn

        async with bridge.services.db.read() as uow:
            case = await uow.cases.get(1)
        assert case is not None
        card = await bridge.case_message(case.reference)
        slack = bridge.slack

        def shared() -> list[str]:
            return [
                f["name"] for m in slack.thread("C0SUPPORT", card.ts)[1:] for f in m.files or []
            ]

        await slack.wait_for(lambda: shared() == ["my screen.png"], timeout=15)
        await context.close()


async def test_customer_pastes_a_screenshot_and_the_agents_see_it_in_the_thread(
    browser: Browser, db: Database, database_url: str
) -> None:
    async with running_casebridge(database_url, socket_mode=False) as bridge:
        port = bridge.runner.addresses[0][1]
        context = await browser.new_context(locale="en-US")
        page = await context.new_page()
        await page.goto(f"http://127.0.0.1:{port}/p/acme")
        await page.get_by_label("First name").fill("Ana")
        await page.get_by_label("Last name").fill("Lima")
        await page.get_by_label("Email").fill("ana@example.com")
        await page.get_by_label("Your question").fill("Look at this error")
        await page.get_by_role("button", name="Start chat").click()
        await expect(page.get_by_text("Waiting for an agent…")).to_be_visible()

        assert await paste_screenshot(page), "the page left the pasted image to the text box"
        # Named so an agent can tell one screenshot from the next, shown inline.
        link = page.locator("#messages a.file-link")
        await expect(link).to_have_text(re.compile(r"📎 screenshot-[0-9-]+\.png"))
        await expect(page.locator("#messages img.file-image")).to_be_visible()
        await expect(page.locator("#messages .file-size")).to_have_text("(71 B)")
        await expect(page.locator(".upload-preview")).to_have_count(0)
        await expect(page.get_by_label("Your message")).to_have_value("")

        async with bridge.services.db.read() as uow:
            case = await uow.cases.get(1)
        assert case is not None
        card = await bridge.case_message(case.reference)
        slack = bridge.slack

        def shared() -> list[str]:
            return [
                f["name"] for m in slack.thread("C0SUPPORT", card.ts)[1:] for f in m.files or []
            ]

        await slack.wait_for(lambda: len(shared()) == 1, timeout=15)
        assert re.fullmatch(r"screenshot-[0-9-]+\.png", shared()[0])
        await context.close()
