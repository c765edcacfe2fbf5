"""In Chromium: the customer attaches a screenshot on the portal; the agents see it in Slack."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from storage.uow import Database
from tests.slack.conftest import running_casebridge

# A real 1x1 PNG, so Chromium can draw it inline.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5e3"
    "d9f30000000049454e44ae426082"
)


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
