"""What an idle customer socket costs the server: no compression state, no database write."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from sqlalchemy import text

from tests.portal.conftest import Site
from tests.portal.test_live_socket import connect, open_chat


async def test_a_browser_offering_compression_gets_a_plain_websocket(site: Site) -> None:
    # Browsers always offer permessage-deflate; accepting it would keep a zlib pair per socket.
    url = site.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(url, compress=15) as ws:
        opening = await ws.receive_str()
        assert opening.startswith("0{")  # engine.io's open packet: the socket works
        assert ws.compress == 0
        assert "Sec-WebSocket-Extensions" not in ws._response.headers


async def test_a_customer_still_chats_over_the_plain_websocket(site: Site) -> None:
    chat = await open_chat(site, question="Is it on?")
    client, _heard = await connect(site, chat["token"])
    try:
        hello = await client.call("hello", namespace="/chat")
        assert [m["text"] for m in hello["case"]["messages"]] == ["Is it on?"]
    finally:
        await client.disconnect()


async def _presence(site: Site, reference: str) -> tuple[bool, bool]:
    async with site.components.db.read() as uow:
        case = await uow.cases.get(int(reference.removeprefix("C-")))
    assert case is not None
    return case.customer_connected, case.customer_left_at is not None


async def test_customers_connect_while_a_long_write_holds_the_database(site: Site) -> None:
    # A new chat's page is "connected" since the chat was opened: connecting only reads.
    chat = await open_chat(site)
    async with site.components.db.uow() as writer:
        await writer.session.execute(text("UPDATE portals SET greeting = 'busy'"))
        client, _heard = await connect(site, chat["token"])
        await writer.commit()
    try:
        assert await _presence(site, chat["reference"]) == (True, False)
    finally:
        await client.disconnect()


async def test_a_reload_leaves_the_customer_present_and_leaving_marks_them_gone(
    site: Site,
) -> None:
    chat = await open_chat(site)
    first, _ = await connect(site, chat["token"])
    # The reload: the old page goes as the new one arrives, in either order.
    second, _ = await connect(site, chat["token"])
    await first.disconnect()
    third, _ = await connect(site, chat["token"])
    await second.disconnect()
    await until(lambda: _presence(site, chat["reference"]), (True, False))
    await third.disconnect()
    await until(lambda: _presence(site, chat["reference"]), (False, True))


async def until(read: Callable[[], Awaitable[object]], expected: object) -> None:
    """Wait (up to 5 s) for the server's side of a disconnect to be written."""
    deadline = asyncio.get_running_loop().time() + 5
    while (seen := await read()) != expected:
        assert asyncio.get_running_loop().time() < deadline, seen
        await asyncio.sleep(0.02)
