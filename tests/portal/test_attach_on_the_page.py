"""In Chromium: the customer drops files on the chat, sees each one waiting with its progress,
then in the chat; a file the chat cannot take is refused in the customer's own language."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Route, expect

from storage.uow import Database
from tests.files_in_browser import PDF, PNG, drop
from tests.portal.conftest import Site, running_site
from tests.portal.test_portal_browser import start_chat

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
async def customer(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(locale="en-US")
    yield context
    await context.close()


async def test_customer_drops_a_pdf_on_the_chat_and_watches_it_upload(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "The invoice is wrong")

    # The upload is held at the door so the customer's view of it can be read.
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    await page.route("**/files", hold)
    dropped = await drop(page, ("invoice.pdf", "application/pdf", PDF))
    assert dropped == {"entered": False, "accepted": True, "highlighted": True, "taken": True}
    waiting = page.locator(".upload-preview")
    await expect(waiting.locator(".upload-name")).to_have_text("invoice.pdf")
    await expect(waiting.locator(".upload-size")).to_have_text("3 KB")
    await expect(waiting.get_by_role("progressbar", name="Uploading: invoice.pdf")).to_be_visible()
    await expect(waiting.locator("img")).to_have_count(0)  # a thumbnail is for images only
    await expect(page.locator("#chat")).not_to_have_class("dropping")
    release.set()

    # Then it is in the chat as its name and size; not drawn, as it is no image.
    await expect(page.locator(".upload-preview")).to_have_count(0)
    await expect(page.locator("#messages a.file-link")).to_have_text("📎 invoice.pdf")
    await expect(page.locator("#messages .file-size")).to_have_text("(3 KB)")
    await expect(page.locator("#messages img.file-image")).to_have_count(0)
    async with site.services.db.read() as uow:
        files = await uow.attachments.of_case(1)
    assert [(f.name, f.kind, f.size) for f in files] == [
        ("invoice.pdf", "application/pdf", len(PDF))
    ]


async def test_an_image_waits_as_a_thumbnail_and_lands_inline(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "See the screen")
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    await page.route("**/files", hold)
    await drop(page, ("screen.png", "image/png", PNG))
    thumbnail = page.locator(".upload-preview img.upload-thumbnail")
    await expect(thumbnail).to_have_attribute("alt", "screen.png")
    assert await thumbnail.evaluate("i => i.complete && i.naturalWidth") == 1
    release.set()
    await expect(page.locator("#messages img.file-image")).to_be_visible()


async def test_a_file_let_go_beside_the_chat_is_sent_not_opened_by_the_browser(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "Missed the box")
    dropped = await drop(page, ("receipt.pdf", "application/pdf", PDF), on="header h1")
    assert dropped["accepted"] and dropped["taken"]  # the page kept it: no navigation
    await expect(page.locator("#messages a.file-link")).to_have_text("📎 receipt.pdf")


async def test_a_cancelled_upload_sends_nothing(site: Site, customer: BrowserContext) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "Wrong file")
    await page.route("**/files", lambda _route: None)  # never answered: cancel is the way out
    await drop(page, ("oops.pdf", "application/pdf", PDF))
    await page.locator(".upload-preview").get_by_role("button", name="Cancel").click()
    await expect(page.locator(".upload-preview")).to_have_count(0)
    await expect(page.locator("#chat-error")).to_have_text("")
    async with site.services.db.read() as uow:
        assert await uow.attachments.of_case(1) == []


async def test_refusals_say_what_was_wrong_in_the_customers_language(
    browser: Browser, db: Database, database_url: str
) -> None:
    async with running_site(database_url, file_max_bytes=2048) as site:
        context = await browser.new_context(locale="fr-FR")
        page = await context.new_page()
        await page.goto(site.portal("acme", lang="fr"))
        await page.get_by_label("Prénom").fill("Anne")
        await page.get_by_label("Nom", exact=True).fill("Martin")
        await page.get_by_label("E-mail").fill("anne@example.com")
        await page.get_by_label("Votre question").fill("Un fichier")
        await page.get_by_role("button", name="Démarrer le chat").click()
        await expect(page.get_by_text("En attente d'un agent…")).to_be_visible()
        error = page.locator("#chat-error")

        # Too large: refused before it is sent, saying how large a file may be.
        await drop(page, ("rapport.pdf", "application/pdf", PDF))
        await expect(error).to_have_text(
            "rapport.pdf : Ce fichier est trop volumineux : "
            "vous pouvez envoyer des fichiers jusqu'à 2 Ko."
        )
        await expect(page.locator(".upload-preview")).to_have_count(0)

        # A type the chat does not take, judged by its bytes on the server.
        await drop(page, ("chat.png", "image/png", SVG))
        await expect(error).to_have_text(
            "chat.png : Ce type de fichier ne peut pas être envoyé. "
            "Envoyez une image (PNG, JPEG, GIF, WebP), un PDF ou du texte brut."
        )
        async with site.services.db.read() as uow:
            assert await uow.attachments.of_case(1) == []
        await context.close()


async def test_nothing_is_taken_once_the_chat_has_ended(
    site: Site, customer: BrowserContext
) -> None:
    page = await customer.new_page()
    await start_chat(page, site.portal("acme"), "Bye")
    await page.get_by_role("button", name="End chat").click()
    await page.locator("#confirm-end-ok").click()
    await expect(page.locator("#done-text")).to_have_text("The chat has ended.")
    dropped = await drop(page, ("late.pdf", "application/pdf", PDF))
    assert not dropped["accepted"] and not dropped["taken"]
    await expect(page.locator(".upload-preview")).to_have_count(0)
