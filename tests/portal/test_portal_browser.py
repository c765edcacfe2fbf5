"""A customer on the portal in Chromium; agents answer through the services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    WebSocketRoute,
    expect,
)

from bridge.core.cases import CaseType
from bridge.services import casework, codes
from bridge.services import customer as customer_services
from bridge.services.agents import set_availability
from bridge.services.portals import update_portal
from tests.browser import artifact
from tests.portal.conftest import Site, running_site
from tests.portal.cuttable_proxy import CuttableProxy

PHONE: ViewportSize = {"width": 375, "height": 740}


@pytest.fixture
async def customer(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(locale="en-US", accept_downloads=True)
    yield context
    await context.close()


async def fill_details(page: Page) -> None:
    await page.get_by_label("First name").fill("Ana")
    await page.get_by_label("Last name").fill("Lima")
    await page.get_by_label("Email").fill("ana@example.com")


async def start_chat(page: Page, url: str, question: str) -> None:
    """The customer fills in the pre-chat form and waits for an agent."""
    await page.goto(url)
    await fill_details(page)
    await page.get_by_label("Your question").fill(question)
    await page.get_by_role("button", name="Start chat").click()
    await expect(page.get_by_text("Waiting for an agent…")).to_be_visible()


async def the_case(site: Site, number: int = 1):  # type: ignore[no-untyped-def]
    async with site.services.db.uow() as uow:
        return await uow.cases.get(number)


async def test_customer_opens_chat_agent_joins_and_they_talk(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "My <b>printer</b> is on fire")
    await expect(page.get_by_text("My <b>printer</b> is on fire")).to_be_visible()  # as text
    case = await the_case(site)
    assert "Chrome" in case.device.browser and case.device.os == "Linux"  # HeadlessChrome 1xx
    assert case.device.time_zone and case.device.screen and case.device.language == "en-US"

    await casework.claim(site.services, case.id, "UBOB")
    await expect(page.get_by_text("Bob joined the chat.")).to_be_visible()
    await expect(page.get_by_text("Waiting for an agent…")).to_be_hidden()
    await casework.post_agent_message(site.services, case.id, "UBOB", "Unplug it, please")
    await expect(page.get_by_text("Unplug it, please")).to_be_visible()

    await page.get_by_label("Your message").fill("Done, thanks!")
    await page.keyboard.press("Enter")
    # Stored once the server answered with its id (the line is drawn before that).
    sent = page.locator(".message.customer[data-id]").filter(has_text="Done, thanks!")
    await expect(sent).to_have_count(1)
    async with site.services.db.uow() as uow:
        texts = [m.text for m in await uow.cases.messages(case.id)]
    assert texts == ["My <b>printer</b> is on fire", "Unplug it, please", "Done, thanks!"]
    await page.screenshot(path=artifact("portal-chat-desktop.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=artifact("portal-chat-phone.png"), full_page=True)
    overflow = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow  # usable at 375 px: nothing runs off the side


@pytest.mark.parametrize("subdomain", ["globex", "initech", "umbrella", "hooli"])
async def test_every_mode_from_form_to_first_agent_message(
    site: Site, customer: BrowserContext, subdomain: str
) -> None:
    page = await customer.new_page()
    await page.goto(site.portal(subdomain))
    await fill_details(page)
    if subdomain == "globex":  # match: pick an agent by name
        await page.get_by_label("Carol").check()
        await page.get_by_role("button", name="Start chat").click()
    elif subdomain == "initech":  # button: just ask for someone
        await page.get_by_role("button", name="Contact an agent").click()
    elif subdomain == "umbrella":  # pin: the code Carol read out
        code = await codes.make_code(site.services, "UCAROL", None)
        await page.get_by_label("Connection code").fill(f"{code.value[:3]} {code.value[3:]}")
        await page.get_by_role("button", name="Connect").click()
    else:  # queue: a question, then the next agent in turn
        await page.get_by_label("Your question").fill("Where is my order?")
        await page.get_by_role("button", name="Start chat").click()

    await expect(page.get_by_role("button", name="End chat")).to_be_visible()
    case = await the_case(site)
    if case.assignee_id is None:
        await casework.claim(site.services, case.id, "UCAROL")
    agent = case.assignee_id or "UCAROL"
    await casework.post_agent_message(site.services, case.id, agent, "Hello from support")
    await expect(page.get_by_text("Hello from support")).to_be_visible()
    if subdomain in ("globex", "umbrella"):
        assert case.assignee_id == "UCAROL"


async def test_pin_refusals_say_why(site: Site, customer: BrowserContext) -> None:
    page = await customer.new_page()
    await page.goto(site.portal("umbrella"))
    await fill_details(page)
    await page.get_by_label("Connection code").fill("123")
    await page.get_by_role("button", name="Connect").click()
    await expect(page.get_by_text("Enter the 9 digits of your code.")).to_be_visible()
    await page.get_by_label("Connection code").fill("000000001")
    await page.get_by_role("button", name="Connect").click()
    await expect(page.get_by_text("This code does not exist.", exact=False)).to_be_visible()


async def test_the_global_code_page_takes_the_customer_to_the_right_agent(
    site: Site, customer: BrowserContext
) -> None:
    code = await codes.make_code(site.services, "UBOB", portal_id=1)  # acme's, via its channel
    page = await customer.new_page()
    await page.goto(f"{site.url}/code")
    await fill_details(page)
    await page.get_by_label("Connection code").fill(code.value)
    await page.get_by_role("button", name="Connect").click()
    await expect(page.get_by_role("button", name="End chat")).to_be_visible()
    assert (await the_case(site)).assignee_id == "UBOB"


async def test_an_inactive_portal_accepts_nothing(site: Site, customer: BrowserContext) -> None:
    await update_portal(site.services, "acme", active=False)
    page = await customer.new_page()
    response = await page.goto(site.portal("acme"))
    assert response is not None and response.status == 503
    await expect(
        page.get_by_text("Service unavailable. We apologise for the temporary inconvenience.")
    ).to_be_visible()
    await expect(page.locator("form")).to_have_count(0)


async def test_an_unknown_portal_is_a_404_page(site: Site, customer: BrowserContext) -> None:
    page = await customer.new_page()
    response = await page.goto(site.portal("nobody-here"))
    assert response is not None and response.status == 404
    await expect(page.get_by_text("There is no support portal at this address.")).to_be_visible()


async def test_with_nobody_available_the_customer_leaves_a_request(
    site: Site, customer: BrowserContext
) -> None:
    for agent in ("UBOB", "UCAROL"):
        await set_availability(site.services, agent, False)
    page = await customer.new_page()
    await page.goto(site.portal("acme"))
    await expect(page.get_by_text("No agent is available right now")).to_be_visible()
    await fill_details(page)
    await page.get_by_label("Email").fill("not-an-email")
    await page.get_by_label("Your question").fill("Please call me back")
    await page.get_by_role("button", name="Send my question").click()
    await expect(page.get_by_text("Enter a valid email address", exact=False)).to_be_visible()
    await page.get_by_label("Email").fill("ana@example.com")
    await page.get_by_role("button", name="Send my question").click()

    await expect(page.get_by_text("We received your request C-000001")).to_be_visible()
    case = await the_case(site)
    assert case.type is CaseType.SUPPORT_REQUEST and case.question == "Please call me back"


async def test_stop_waiting_leaves_the_question_as_a_support_request(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "Still broken")
    await page.get_by_role("button", name="Stop waiting and leave my question").click()

    await expect(page.get_by_text("support request C-000001", exact=False)).to_be_visible()
    case = await the_case(site)
    assert case.type is CaseType.SUPPORT_REQUEST and case.question == "Still broken"


async def test_end_chat_then_download_the_transcript(
    site: Site, customer: BrowserContext, tmp_path: Path
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "How do I reset it?")
    await casework.claim(site.services, 1, "UBOB")
    await casework.post_agent_message(site.services, 1, "UBOB", "Hold the button 10 s")
    await expect(page.get_by_text("Hold the button 10 s")).to_be_visible()

    await page.get_by_role("button", name="End chat").click()
    await page.get_by_role("dialog").get_by_role("button", name="End chat").click()
    await expect(page.locator("#done-text")).to_have_text("The chat has ended.")
    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Download transcript").click()
    download = await downloading.value
    assert download.suggested_filename == "C-000001.txt"
    saved = tmp_path / "transcript.txt"
    await download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert "Reference: C-000001" in text
    assert "You: How do I reset it?" in text and "Bob: Hold the button 10 s" in text
    assert (await the_case(site)).chat_ended


async def test_a_reload_mid_chat_resumes_the_same_chat(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "First question")
    await casework.claim(site.services, 1, "UBOB")
    await casework.post_agent_message(site.services, 1, "UBOB", "Answer one")
    await expect(page.get_by_text("Answer one")).to_be_visible()

    await page.reload()
    await expect(page.get_by_text("First question")).to_be_visible()
    await expect(page.get_by_text("Answer one")).to_be_visible()
    await casework.post_agent_message(site.services, 1, "UBOB", "Answer two")
    await expect(page.get_by_text("Answer two")).to_be_visible()
    assert await the_case(site, 2) is None  # the same case, not a new one


@pytest.mark.parametrize(
    ("language", "first_name_label", "button"),
    [
        ("en", "First name", "Start chat"),
        ("pt-BR", "Nome", "Iniciar chat"),
        ("fr", "Prénom", "Démarrer le chat"),
        ("es", "Nombre", "Iniciar chat"),
    ],
)
async def test_the_form_speaks_the_customers_language(
    site: Site, browser: Browser, language: str, first_name_label: str, button: str
) -> None:
    context = await browser.new_context(locale=language)  # Accept-Language follows the locale
    page = await context.new_page()
    await page.goto(site.portal("acme"))
    assert await page.get_attribute("html", "lang") == language
    await expect(page.get_by_label(first_name_label, exact=True)).to_be_visible()
    await page.get_by_role("button", name=button).click()  # empty form: errors, translated
    required = {
        "en": "This field is required.",
        "pt-BR": "Este campo é obrigatório.",
        "fr": "Ce champ est obligatoire.",
        "es": "Este campo es obligatorio.",
    }[language]
    await expect(page.get_by_text(required).first).to_be_visible()
    await context.close()


async def test_lang_parameter_overrides_the_browser(site: Site, customer: BrowserContext) -> None:
    page = await customer.new_page()
    await page.goto(site.portal("acme", lang="fr"))
    await expect(page.get_by_label("Prénom")).to_be_visible()


async def test_the_widget_sits_on_another_site_without_touching_its_styles(
    site: Site, customer: BrowserContext
) -> None:
    host_page = f"""<!doctype html><html><head><title>Acme shop</title>
    <style>button {{ background: rgb(255, 0, 0); font-size: 40px; }}
    * {{ color: rgb(0, 128, 0); }}</style>
    </head><body><h1>Acme shop</h1><button id="own">Buy</button>
    <script src="{site.portal("acme")}/widget.js" async></script></body></html>"""

    async def shop(_request: web.Request) -> web.Response:
        return web.Response(text=host_page, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", shop)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    shop_site = web.TCPSite(runner, "127.0.0.1", 0)
    await shop_site.start()
    port = shop_site.port
    try:
        page = await customer.new_page()
        await page.goto(f"http://127.0.0.1:{port}/")
        launcher = page.get_by_role("button", name="Chat with us")
        await expect(launcher).to_be_visible()
        colour = await launcher.evaluate("b => getComputedStyle(b).backgroundColor")
        assert colour != "rgb(255, 0, 0)"  # the shop's CSS does not reach the widget
        own = await page.locator("#own").evaluate("b => getComputedStyle(b).fontSize")
        assert own == "40px"  # and ours does not reach the shop
        await launcher.click()
        frame = page.frame_locator("iframe[title='Chat with us']")
        await frame.get_by_label("First name").fill("Ana")
        await frame.get_by_label("Last name").fill("Lima")
        await frame.get_by_label("Email").fill("ana@example.com")
        await frame.get_by_label("Your question").fill("From the widget")
        await frame.get_by_role("button", name="Start chat").click()
        await expect(frame.get_by_text("Waiting for an agent…")).to_be_visible()
        await casework.claim(site.services, 1, "UBOB")
        await casework.post_agent_message(site.services, 1, "UBOB", "Hi from the widget side")
        await expect(frame.get_by_text("Hi from the widget side")).to_be_visible()
        await page.screenshot(path=artifact("portal-widget.png"))
    finally:
        await runner.cleanup()


async def test_messages_typed_while_the_connection_is_down_arrive_once_when_it_is_back(
    site: Site, customer: BrowserContext
) -> None:
    site_port = int(site.url.rsplit(":", 1)[1])
    network = CuttableProxy(target=site_port)
    await network.start()
    try:
        page = await customer.new_page()
        await start_chat(page, f"http://127.0.0.1:{network.port}/p/acme", "Is anyone there?")
        await casework.claim(site.services, 1, "UBOB")
        await casework.post_agent_message(site.services, 1, "UBOB", "Hello, Bob here")
        await expect(page.get_by_text("Hello, Bob here")).to_be_visible()

        await network.cut()
        await expect(page.get_by_text("Reconnecting…")).to_be_visible()
        for text in ("Still there?", "My order is 1234"):
            await page.get_by_label("Your message").fill(text)
            await page.keyboard.press("Enter")
        await expect(page.locator(".message.customer.pending")).to_have_count(2)
        assert await message_texts(site) == ["Is anyone there?", "Hello, Bob here"]

        await network.start()
        await expect(page.locator(".message.customer.pending")).to_have_count(0, timeout=15000)
        assert await message_texts(site) == [
            "Is anyone there?",
            "Hello, Bob here",
            "Still there?",
            "My order is 1234",
        ]
        await page.reload()  # nothing left queued to be sent a second time
        await expect(page.get_by_text("My order is 1234")).to_have_count(1)
        await casework.post_agent_message(site.services, 1, "UBOB", "Found it")
        await expect(page.get_by_text("Found it")).to_be_visible()
        assert len(await message_texts(site)) == 5
    finally:
        await network.cut()


async def message_texts(site: Site) -> list[str]:
    async with site.services.db.uow() as uow:
        return [m.text for m in await uow.cases.messages(1)]


async def test_a_wildcard_public_url_serves_each_portal_on_its_own_host(
    db: object, database_url: str, customer: BrowserContext
) -> None:
    # Chromium resolves every *.localhost name to the loopback address.
    async with running_site(database_url, "http://*.localhost:{port}") as site:
        port = site.url.rsplit(":", 1)[1]
        page = await customer.new_page()
        await start_chat(page, f"http://acme.localhost:{port}/", "Hello from my own host")
        await expect(page.get_by_role("heading", name="Acme")).to_be_visible()
        await casework.claim(site.services, 1, "UCAROL")
        await casework.post_agent_message(site.services, 1, "UCAROL", "Carol on acme")
        await expect(page.get_by_text("Carol on acme")).to_be_visible()

        await page.goto(f"http://nobody.localhost:{port}/")
        await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        script = await page.goto(f"http://hooli.localhost:{port}/widget.js")
        assert script is not None and script.ok
        assert f"http://hooli.localhost:{port}?embed=1" in await script.text()


async def test_a_message_stored_before_its_answer_was_lost_shows_once_after_reconnecting(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "Hello?")
    # The server stored "Are you there?" but the connection dropped before its answer arrived,
    # so the page still holds it in its queue.
    token = await page.evaluate("localStorage.getItem('casebridge:acme')")
    await customer_services.post_customer_message(
        site.services, token, "Are you there?", client_id="lost-answer-1"
    )
    await page.evaluate(
        """localStorage.setItem('casebridge:acme:pending',
             JSON.stringify([{text: 'Are you there?', client_id: 'lost-answer-1'}]))"""
    )

    await page.reload()
    await expect(page.locator(".message.customer.pending")).to_have_count(0)
    await expect(page.get_by_text("Are you there?")).to_have_count(1)
    assert await message_texts(site) == ["Hello?", "Are you there?"]


async def test_a_send_the_server_never_answers_is_retried_and_shows_once(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    swallowed: list[str] = []

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            # The first "send" is lost on its way (a server that never answers).
            if isinstance(message, str) and '"send"' in message and not swallowed:
                swallowed.append(message)
                return
            server.send(message)

        ws.on_message(from_page)

    await page.route_web_socket("**/socket.io/**", route)
    await start_chat(page, site.portal("acme"), "Hello?")
    await page.get_by_label("Your message").fill("Is anyone there?")
    await page.keyboard.press("Enter")
    await expect(page.get_by_text("not sent yet, retrying")).to_be_visible(timeout=15_000)
    # Sent again with the same client_id, answered this time: the line is no longer pending
    # (the note changes to "sending…" as soon as the resend starts, before any answer).
    await expect(page.locator(".message.customer.pending")).to_have_count(0, timeout=15_000)
    await expect(page.get_by_text("not sent yet, retrying")).to_have_count(0)
    await expect(page.get_by_text("Is anyone there?")).to_have_count(1)
    assert swallowed and await message_texts(site) == ["Hello?", "Is anyone there?"]
