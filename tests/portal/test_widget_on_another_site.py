"""The widget on the company's own site, another origin, where the browser refuses the framed
portal its storage; and opening a case is idempotent, so a retry never makes a second case."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Frame, FrameLocator, Page, expect

from bridge.core.events import CaseOpened, Event
from bridge.services import casework
from tests.files_in_browser import PDF, drop, paste_screenshot
from tests.portal.conftest import Site


@pytest.fixture
async def customer(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(locale="en-US")
    yield context
    await context.close()


@pytest.fixture
async def shop(site: Site) -> AsyncIterator[str]:
    """The company's shop on `localhost`: another site than the portal's `127.0.0.1`."""
    page = f"""<!doctype html><html><head><title>Acme shop</title></head>
    <body><h1>Acme shop</h1>
    <script src="{site.portal("acme")}/widget.js" async></script></body></html>"""

    async def home(_request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", home)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    shop_site = web.TCPSite(runner, "127.0.0.1", 0)
    await shop_site.start()
    try:
        yield f"http://localhost:{shop_site.port}/"
    finally:
        await runner.cleanup()


async def open_widget(page: Page, shop: str) -> tuple[FrameLocator, Frame]:
    await page.goto(shop)
    await page.get_by_role("button", name="Chat with us").click()
    locator = page.frame_locator("iframe[title='Chat with us']")
    await expect(locator.get_by_role("heading", name="Acme")).to_be_visible()
    frame = next(f for f in page.frames if "/p/acme" in f.url)
    return locator, frame


async def test_a_whole_chat_through_the_widget_on_the_shop_with_storage_refused(
    site: Site, customer: BrowserContext, shop: str
) -> None:
    page = await customer.new_page()
    frame, inner = await open_widget(page, shop)
    # The condition customers meet: the framed portal may not use the browser's storage.
    refused = await inner.evaluate(
        "() => { try { localStorage.length; return false } catch { return true } }"
    )
    assert refused, "this Chromium lets third-party frames use storage; the test proves nothing"

    await frame.get_by_label("First name").fill("Ana")
    await frame.get_by_label("Last name").fill("Lima")
    await frame.get_by_label("Email").fill("ana@example.com")
    await frame.get_by_label("Your question").fill("Bought on the shop, never arrived")
    await frame.get_by_role("button", name="Start chat").click()
    await expect(frame.get_by_text("Waiting for an agent…")).to_be_visible()
    await expect(frame.get_by_text("Something went wrong")).to_have_count(0)
    # The keyboard is where the customer types next, not lost on the page's body.
    await expect(frame.get_by_label("Your message")).to_be_focused()

    await casework.claim(site.services, 1, "UBOB")
    await expect(frame.get_by_text("Bob joined the chat.")).to_be_visible()
    await casework.post_agent_message(site.services, 1, "UBOB", "Let me look it up")
    await expect(frame.get_by_text("Let me look it up")).to_be_visible()
    await frame.get_by_label("Your message").fill("Order 1234")
    await page.keyboard.press("Enter")
    await expect(frame.locator(".message.customer.pending")).to_have_count(0)

    # The shop's page kept the token: a reload of the shop resumes the same chat.
    frame, _inner = await open_widget(page, shop)
    await expect(frame.get_by_text("Let me look it up")).to_be_visible()
    # (shown once: had the reload beaten the shop's copy of "sent", the resend is a duplicate)
    await expect(frame.get_by_text("Order 1234")).to_have_count(1)
    await casework.post_agent_message(site.services, 1, "UBOB", "It ships tomorrow")
    await expect(frame.get_by_text("It ships tomorrow")).to_be_visible()

    async with site.services.db.uow() as uow:
        texts = [m.text for m in await uow.cases.messages(1)]
        assert await uow.cases.get(2) is None  # one chat, one case
    assert texts == [
        "Bought on the shop, never arrived",
        "Let me look it up",
        "Order 1234",
        "It ships tomorrow",
    ]


async def test_a_page_with_no_widget_around_it_keeps_the_chat_for_the_visit(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    # Storage refused and no widget to answer: memory carries the chat for this visit.
    await page.add_init_script(
        "Object.defineProperty(window, 'localStorage', { get() {"
        " throw new DOMException('Access is denied for this document.', 'SecurityError') } })"
    )
    await page.goto(site.portal("acme"))
    await page.get_by_label("First name").fill("Ana")
    await page.get_by_label("Last name").fill("Lima")
    await page.get_by_label("Email").fill("ana@example.com")
    await page.get_by_label("Your question").fill("No storage here")
    await page.get_by_role("button", name="Start chat").click()
    await expect(page.get_by_text("Waiting for an agent…")).to_be_visible()
    await page.get_by_label("Your message").fill("Still here")
    await page.keyboard.press("Enter")
    await expect(page.locator(".message.customer.pending")).to_have_count(0)
    await expect(page.get_by_text("Still here")).to_be_visible()


FORM = {"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com", "question": "Hi"}


async def test_the_same_request_sent_again_returns_the_same_case_and_alerts_nobody_twice(
    site: Site,
) -> None:
    opened: list[Event] = []

    async def record(events: list[Event]) -> None:
        opened.extend(e for e in events if isinstance(e, CaseOpened))

    site.services.bus.published.append(record)
    body = {**FORM, "request_id": str(uuid.uuid4())}
    async with aiohttp.ClientSession() as http:
        first = await http.post(f"{site.url}/p/acme/cases", json=body)
        again = await http.post(f"{site.url}/p/acme/cases", json=body)
        together = await asyncio.gather(
            *(
                http.post(f"{site.url}/p/acme/cases", json={**body, "request_id": "x" * 36})
                for _ in range(3)
            )
        )
        other = await http.post(
            f"{site.url}/p/acme/cases", json={**FORM, "request_id": str(uuid.uuid4())}
        )
        answers = [await r.json() for r in (first, again, *together, other)]
    assert [r.status for r in (first, again, *together, other)] == [201] * 6
    references = [a["reference"] for a in answers]
    assert references[0] == references[1] == "C-000001"
    assert len(set(references[2:5])) == 1 and references[2] != references[0]
    assert references[5] not in references[:5]
    assert len(opened) == 3  # agents hear of each case once

    # The answer that arrived last holds the token that works; the lost one's is replaced.
    async with aiohttp.ClientSession() as http:
        transcript = await http.get(
            f"{site.url}/transcript", headers={"Authorization": f"Bearer {answers[1]['token']}"}
        )
        assert transcript.status == 200


async def test_files_go_from_the_widget_on_the_shop_too(
    site: Site, customer: BrowserContext, shop: str
) -> None:
    page = await customer.new_page()
    frame, inner = await open_widget(page, shop)
    await frame.get_by_label("First name").fill("Ana")
    await frame.get_by_label("Last name").fill("Lima")
    await frame.get_by_label("Email").fill("ana@example.com")
    await frame.get_by_label("Your question").fill("The parcel came broken")
    await frame.get_by_role("button", name="Start chat").click()
    await expect(frame.get_by_text("Waiting for an agent…")).to_be_visible()

    # A screenshot pasted into the framed chat, then a PDF dropped on it, from the shop's page.
    assert await paste_screenshot(inner)
    await expect(frame.locator("#messages img.file-image")).to_be_visible()
    await drop(inner, ("receipt.pdf", "application/pdf", PDF))
    await expect(frame.locator("#messages a.file-link")).to_have_count(2)
    await expect(frame.locator("#messages a.file-link").last).to_have_text("📎 receipt.pdf")
    # Drawn from the bytes casebridge served the frame with the token the shop kept for it.
    drawn = await frame.locator("#messages img.file-image").evaluate("i => i.naturalWidth")
    assert drawn == 1

    async with site.services.db.read() as uow:
        kinds = [f.kind for f in await uow.attachments.of_case(1)]
    assert kinds == ["image/png", "application/pdf"]


async def test_a_file_dragged_onto_the_launcher_opens_the_chat_to_drop_it_in(
    customer: BrowserContext, shop: str
) -> None:
    page = await customer.new_page()
    await page.goto(shop)
    chat = page.locator("iframe[title='Chat with us']")
    await expect(chat).to_be_hidden()
    await page.evaluate(
        """() => {
          const launcher = document.querySelector("[data-casebridge-widget]").shadowRoot
            .querySelector("button");
          const carried = new DataTransfer();
          carried.items.add(new File(["%PDF-1.4"], "receipt.pdf", { type: "application/pdf" }));
          const dragged = new DragEvent("dragenter", { dataTransfer: carried, bubbles: true });
          launcher.dispatchEvent(dragged);
        }"""
    )
    await expect(chat).to_be_visible()
    await expect(page.get_by_role("button", name="Close")).to_have_attribute(
        "aria-expanded", "true"
    )
