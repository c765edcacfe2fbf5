"""What an idle customer socket costs the server: no compression state, no database write."""

from __future__ import annotations

import aiohttp

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
