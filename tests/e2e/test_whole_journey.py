"""The whole journey as a newcomer plays it after `make run`: a customer on the portal in one
browser tab, an agent in the local Slack in another, and the email in the mail catcher.

`casebridge dev` (what `make run` runs) is started as its own process tree, exactly as the
README says, and stopped with Ctrl-C's signal at the end.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser import artifact
from tests.e2e.dev_process import clean_environment, running_dev

SCREENSHOTS = os.environ.get("CASEBRIDGE_SCREENSHOTS")  # `make screenshots` sets docs/


@dataclass
class Demo:
    """The running demo: where the portal, the local Slack and the caught mail are."""

    portal: str
    slack: str
    banner: str

    def mail(self) -> str:
        return f"{self.slack}/mail"


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    env = clean_environment(GRACE_PERIOD_SECONDS="3", SWEEP_INTERVAL_SECONDS="0.5")
    async with running_dev(tmp_path, env) as run:
        yield Demo(run.web, run.slack, run.banner)


def _shot(name: str) -> str:
    return str(Path(SCREENSHOTS) / name) if SCREENSHOTS else artifact(name)


@pytest.fixture
async def two_tabs(browser: Browser) -> AsyncIterator[tuple[BrowserContext, BrowserContext]]:
    customer = await browser.new_context(
        locale="en-US", accept_downloads=True, viewport={"width": 560, "height": 720}
    )
    agent = await browser.new_context(locale="en-US", viewport={"width": 1280, "height": 760})
    yield customer, agent
    await customer.close()
    await agent.close()


async def open_chat(page: Page, portal: str, name: str, email: str, question: str) -> None:
    await page.goto(portal)
    await page.get_by_label("First name").fill(name)
    await page.get_by_label("Last name").fill("Lima")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Your question").fill(question)
    await page.get_by_role("button", name="Start chat").click()
    await expect(page.get_by_text("Waiting for an agent…")).to_be_visible()


async def test_make_run_prints_where_to_go(demo: Demo) -> None:
    for line in (
        f"{demo.portal}/p/acme",
        f"{demo.portal}/p/globex",
        f"{demo.portal}/p/umbrella",
        f"{demo.portal}/code",
        f"{demo.slack}/",
        f"{demo.slack}/mail",
        "Alice (admin), Bob, Carol",
    ):
        assert line in demo.banner


async def test_customer_and_agent_play_a_case_from_first_message_to_transcript(
    demo: Demo, two_tabs: tuple[BrowserContext, BrowserContext], tmp_path: Path
) -> None:
    customer_tab, agent_tab = two_tabs
    customer = await customer_tab.new_page()
    await open_chat(
        customer, f"{demo.portal}/p/hooli", "Ana", "ana@example.com", "My invoice shows 3 seats"
    )

    # Bob, in the local Slack, sees the case in #hooli-support and claims it.
    agent = await agent_tab.new_page()
    await agent.goto(f"{demo.slack}/?as=UBOB")
    await agent.get_by_role("button", name="# hooli-support").click()
    case = agent.locator("#messages article").filter(has_text="C-000001")
    await expect(case).to_contain_text("My invoice shows 3 seats")
    await case.get_by_role("button", name="Assign to me").click()
    await expect(customer.get_by_text("Bob joined the chat.")).to_be_visible()

    # They talk in the case's thread.
    await case.get_by_role("button", name=re.compile("Reply in thread|repl")).click()
    await agent.fill("#thread-text", "Hi Ana, I am fixing the seat count now.")
    await agent.get_by_role("button", name="Reply", exact=True).click()
    await expect(customer.get_by_text("I am fixing the seat count now.")).to_be_visible()
    # Ana's page showed it: Bob's reply is marked as read in Slack.
    bobs_reply = agent.locator("#thread article").filter(has_text="fixing the seat count")
    await expect(bobs_reply.get_by_label("eyes 1")).to_be_visible(timeout=10000)
    await customer.get_by_label("Your message").fill("Thank you! It should be 2 seats.")
    await customer.keyboard.press("Enter")
    await expect(agent.locator("#thread")).to_contain_text("It should be 2 seats.")
    # …and Ana's page says her line reached the team.
    mine = customer.locator(".message.customer").filter(has_text="It should be 2 seats.")
    await expect(mine.locator("small.delivery")).to_have_text("sent")
    await customer.screenshot(path=_shot("customer-portal.png"))
    await agent.screenshot(path=_shot("agent-slack.png"))

    # Bob resolves; Ana sees the chat end and downloads the transcript.
    await case.get_by_role("button", name="Resolve").click()
    await expect(customer.locator("#done-text")).to_have_text("The chat has ended.")
    async with customer.expect_download() as downloading:
        await customer.get_by_role("button", name="Download transcript").click()
    saved = tmp_path / "transcript.txt"
    await (await downloading.value).save_as(saved)
    transcript = saved.read_text(encoding="utf-8")
    assert "Reference: C-000001" in transcript
    assert "You: My invoice shows 3 seats" in transcript
    assert "Bob: Hi Ana, I am fixing the seat count now." in transcript
    assert "You: Thank you! It should be 2 seats." in transcript


async def test_a_customer_who_gives_up_waiting_gets_an_email_confirmation(
    demo: Demo, two_tabs: tuple[BrowserContext, BrowserContext]
) -> None:
    customer_tab, agent_tab = two_tabs
    customer = await customer_tab.new_page()
    await open_chat(
        customer, f"{demo.portal}/p/hooli", "Zoe", "zoe@example.com", "Can I pay by invoice?"
    )
    await customer.close()  # nobody claimed it, and the customer went away

    # The grace period (3 s here) passes: the wait becomes a support request, answered by email.
    agent = await agent_tab.new_page()
    await agent.goto(f"{demo.slack}/?as=UCAROL")
    await agent.get_by_role("button", name="# hooli-support").click()
    await expect(agent.locator("#messages")).to_contain_text("Support request", timeout=20000)
    await agent.goto(demo.mail())
    caught = agent.locator("#mail-list li").filter(has_text="zoe@example.com")
    await expect(caught).to_contain_text("We received your request C-000001", timeout=20000)

    # Zoe answers the email; her answer comes back into the case's thread in Slack.
    await caught.get_by_label("Reply to").fill("Invoice is fine, my PO number is 4711.")
    await caught.get_by_role("button", name="Reply as the customer").click()
    await expect(caught.get_by_role("status")).to_have_text("Sent.")
    await agent.goto(f"{demo.slack}/?as=UCAROL")
    await agent.get_by_role("button", name="# hooli-support").click()
    card = agent.locator("#messages .message").filter(has_text="C-000001").first
    await card.get_by_role("button", name=re.compile(r"repl")).click()
    await expect(agent.locator("#thread-messages")).to_contain_text(
        "my PO number is 4711", timeout=20000
    )
    await expect(agent.locator("#thread-messages")).to_contain_text("Zoe Lima replied by email")
