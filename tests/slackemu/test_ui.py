"""A person plays an agent in the stand-in's browser UI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, expect

from tests.browser import artifact
from tests.slackemu.conftest import Rig

CASE_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Case C-000042* from Ana Lima"}},
    {
        "type": "actions",
        "block_id": "case",
        "elements": [
            {
                "type": "button",
                "action_id": "claim",
                "value": "42",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Assign to me"},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Take this case?"},
                    "text": {"type": "mrkdwn", "text": "You will answer Ana."},
                    "confirm": {"type": "plain_text", "text": "Take it"},
                    "deny": {"type": "plain_text", "text": "Not now"},
                },
            }
        ],
    },
]


async def test_agent_switches_user_clicks_a_button_and_replies_in_a_thread(
    http_rig: Rig, browser: Browser, tmp_path: Path
) -> None:
    slack, client = http_rig.slack, http_rig.app.client
    await client.chat_postMessage(channel="C0SUPPORT", text="Case C-000042", blocks=CASE_BLOCKS)
    await client.chat_postMessage(
        channel="C0SUPPORT", text="&lt;img src=x onerror=alert(1)&gt; <!channel>"
    )
    page = await browser.new_page()
    await page.goto(f"{slack.url}/")

    await page.select_option("#who", "UBOB")
    await expect(page.get_by_text("Case C-000042")).to_be_visible()
    # customer-ish text shows literally, and <!channel> renders as a harmless label
    await expect(page.get_by_text("<img src=x onerror=alert(1)>")).to_be_visible()

    await page.get_by_role("button", name="Assign to me").click()
    await expect(page.get_by_text("Take this case?")).to_be_visible()
    await page.get_by_role("button", name="Take it").click()
    await expect(page.get_by_text("claimed by @Bob")).to_be_visible()
    assert http_rig.heard.actions[0]["user"]["id"] == "UBOB"

    await page.fill("#compose-text", "echo hello from the browser")
    await page.keyboard.press("Enter")
    await page.locator("#messages").get_by_role("button", name="1 reply").click()
    await expect(page.locator("#thread")).to_contain_text("you said hello from the browser")
    await page.fill("#thread-text", "thanks, bot")
    await page.get_by_role("button", name="Reply", exact=True).click()
    parent = slack.messages("C0SUPPORT")[-1]
    reply = await slack.wait_for_message("C0SUPPORT", thread_ts=parent.ts, contains="thanks")
    assert reply.user == "UBOB"
    await expect(page.locator("#thread")).to_contain_text("thanks, bot")

    # "Also send to channel": the reply shows in the channel too, as a thread_broadcast
    await page.fill("#thread-text", "for everyone")
    await page.check("#thread-broadcast")
    await page.get_by_role("button", name="Reply", exact=True).click()
    await expect(page.locator("#messages")).to_contain_text("for everyone")
    # a reply with a file: a file_share carrying the text and the file's name
    attached = tmp_path / "screenshot.png"
    attached.write_bytes(b"not really a png")
    await page.fill("#thread-text", "see attached")
    await page.set_input_files("#thread-files", str(attached))
    await page.get_by_role("button", name="Reply", exact=True).click()
    await expect(page.locator("#thread")).to_contain_text("📎 screenshot.png")
    await slack.settle()
    subtypes = {m.get("subtype"): m for m in http_rig.heard.messages}
    assert subtypes["thread_broadcast"]["text"] == "for everyone"
    assert subtypes["file_share"]["files"][0]["name"] == "screenshot.png"
    assert subtypes["file_share"]["text"] == "see attached"
    await page.screenshot(path=artifact("slackemu-thread.png"), full_page=True)
    await page.close()


async def test_slash_commands_and_the_home_tab_from_the_browser(
    http_rig: Rig, browser: Browser
) -> None:
    page = await browser.new_page()
    await page.goto(f"{http_rig.slack.url}/?as=UCAROL")
    await page.fill("#compose-text", "/casebridge status")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("you ran: status")).to_be_visible()
    await expect(page.get_by_text("Only visible to you")).to_be_visible()
    await page.get_by_role("button", name="Home", exact=True).click()
    await expect(page.get_by_text("Hello")).to_be_visible()
    await page.close()
