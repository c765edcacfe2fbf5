"""The local Slack shows what casebridge sends the way Slack does: dates, channel names, App
Home's lists, links to messages, typed markup, and a thread box that only answers threads."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.slackemu.conftest import Rig


async def test_dates_channels_and_links_to_messages_render_as_in_slack(
    http_rig: Rig, browser: Browser
) -> None:
    slack, client = http_rig.slack, http_rig.app.client
    case = await client.chat_postMessage(channel="C0SUPPORT", text="Case C-000042 from Ana")
    link = f"https://slack.com/archives/C0SUPPORT/p{case['ts'].replace('.', '')}"
    await client.chat_postMessage(
        channel="C0SUPPORT",
        text=(
            "Code valid until <!date^1700000000^{date_num} at {time}|22:13 UTC> "
            f"in <#C0SUPPORT>. <{link}|Open the case>"
        ),
    )
    await client.reactions_add(channel="C0SUPPORT", timestamp=case["ts"], name="white_check_mark")
    context = await browser.new_context(locale="en-US", timezone_id="UTC")
    page = await context.new_page()
    await page.goto(f"{slack.url}/?as=UBOB")

    reaction = page.locator("#messages .message").first.locator(".reaction")
    await expect(reaction).to_have_text("✅ 1")  # the emoji, not its :name:
    line = page.locator("#messages .message").filter(has_text="Code valid until")
    await expect(line).to_contain_text("Code valid until 2023-11-14 at 10:13 PM in #support.")
    await expect(line.locator("time")).to_have_attribute("title", "22:13 UTC")

    opener = line.get_by_role("link", name="Open the case")
    href = await opener.get_attribute("href")
    assert href is not None and not href.startswith("https://slack.com")  # stays here
    await opener.click()
    await expect(page.locator("#thread")).to_be_visible()
    await expect(page.locator("#thread-messages")).to_contain_text("Case C-000042 from Ana")
    assert page.url.startswith(slack.url)
    await context.close()


async def test_app_home_lists_keep_their_lines(http_rig: Rig, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"{http_rig.slack.url}/?as=UBOB")
    await page.get_by_role("button", name="Home", exact=True).click()
    await expect(page.get_by_text("Hello")).to_be_visible()  # the app's answer to opening Home
    await http_rig.app.client.views_publish(
        user_id="UBOB",
        view={
            "type": "home",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "• C-000001\n• C-000002"}}
            ],
        },
    )
    listing = page.locator("#messages .block.section").filter(has_text="C-000001")
    await expect(listing).to_be_visible()
    assert (await listing.inner_text()).splitlines() == ["• C-000001", "• C-000002"]
    await page.close()


async def test_typed_markup_is_text_and_the_thread_box_never_posts_to_the_channel(
    http_rig: Rig, browser: Browser
) -> None:
    slack = http_rig.slack
    page = await browser.new_page()
    await page.goto(f"{slack.url}/?as=UBOB")
    # No thread open: no thread box to type into, so nothing can land at the top level.
    await expect(page.locator("#thread")).to_be_hidden()

    await page.fill("#compose-text", "<script>alert(1)</script> & <b>bold</b>")
    await page.keyboard.press("Enter")
    shown = page.locator("#messages .message").filter(has_text="alert(1)")
    await expect(shown).to_contain_text("<script>alert(1)</script> & <b>bold</b>")
    posted = await slack.wait_for_message("C0SUPPORT", contains="alert(1)")
    # As Slack's client sends it: escaped, so apps read it as text.
    assert posted.text == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"

    await shown.get_by_role("button", name="Reply in thread").click()
    await expect(page.locator("#thread")).to_be_visible()
    await page.get_by_role("button", name="Close thread").click()
    await expect(page.locator("#thread")).to_be_hidden()
    await page.close()
