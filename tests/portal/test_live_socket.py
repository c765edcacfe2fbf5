"""The customer protocol over a real Socket.IO client: isolation, limits, resends."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiohttp
import socketio

from bridge.core.events import AgentRepliesDelivered, Event
from bridge.services import casework
from bridge.services.portals import update_portal
from tests.portal.conftest import Site, eventually


async def open_chat(site: Site, subdomain: str = "acme", question: str = "Help!") -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{site.url}/p/{subdomain}/cases",
            json={
                "first_name": "Ana",
                "last_name": "Lima",
                "email": "ana@example.com",
                "question": question,
            },
        )
        assert response.status == 201, await response.text()
        return dict(await response.json())


async def connect(site: Site, token: str) -> tuple[socketio.AsyncClient, list[tuple[str, Any]]]:
    client = socketio.AsyncClient(reconnection=False)
    heard: list[tuple[str, Any]] = []
    for kind in ("agent_message", "agent_joined", "customer_message", "chat_ended"):
        client.on(kind, lambda data, kind=kind: heard.append((kind, data)), namespace="/chat")
    await client.connect(
        site.url, auth={"token": token}, namespaces=["/chat"], transports=["websocket"]
    )
    return client, heard


async def case_id_of(site: Site, reference: str) -> int:
    return int(reference.removeprefix("C-"))


async def test_a_socket_sees_and_touches_only_its_own_case(site: Site) -> None:
    ana, bea = await open_chat(site, question="Ana's"), await open_chat(site, question="Bea's")
    ana_socket, ana_heard = await connect(site, ana["token"])
    bea_socket, bea_heard = await connect(site, bea["token"])
    try:
        hello = await ana_socket.call("hello", namespace="/chat")
        assert [m["text"] for m in hello["case"]["messages"]] == ["Ana's"]

        bea_case = await case_id_of(site, bea["reference"])
        await casework.claim(site.services, bea_case, "UBOB")
        await casework.post_agent_message(site.services, bea_case, "UBOB", "for Bea only")
        bea_got = ("agent_message", {"id": 3, "text": "for Bea only", "author": "Bob"})

        async def bea_has_it() -> bool:
            return bea_got in bea_heard

        await eventually(bea_has_it)
        assert ana_heard == []  # pushed together: Ana would have it by now

        # Ana cannot name Bea's case: the socket acts on the case its token proved, and no other
        answer = await ana_socket.call(
            "send",
            {"text": "sneaky", "case_id": bea_case, "token": bea["token"]},
            namespace="/chat",
        )
        assert answer["ok"]
        bea_view = await bea_socket.call("hello", namespace="/chat")
        assert "sneaky" not in [m["text"] for m in bea_view["case"]["messages"]]
    finally:
        await ana_socket.disconnect()
        await bea_socket.disconnect()


async def refused(site: Site, token: str, origin: str | None = None) -> bool:
    """True when the server turns this connection away."""
    # Our own HTTP session: a refused client would otherwise leave its session unclosed.
    async with aiohttp.ClientSession() as http:
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        try:
            await client.connect(
                site.url,
                auth={"token": token},
                namespaces=["/chat"],
                transports=["websocket"],
                headers={"Origin": origin} if origin else {},
            )
        except socketio.exceptions.ConnectionError:
            return True
        await client.disconnect()
        return False


async def test_a_made_up_token_cannot_connect(site: Site) -> None:
    assert await refused(site, "x" * 43)


async def test_a_flood_is_throttled_while_another_customer_keeps_talking(site: Site) -> None:
    flooder, calm = await open_chat(site), await open_chat(site)
    flood_socket, _ = await connect(site, flooder["token"])
    calm_socket, _ = await connect(site, calm["token"])
    try:
        flood = [
            flood_socket.call("send", {"text": f"spam {n}"}, namespace="/chat") for n in range(30)
        ]
        calm_answers = [
            calm_socket.call("send", {"text": f"hello {n}"}, namespace="/chat") for n in range(3)
        ]
        answers = await asyncio.gather(*flood, *calm_answers)
        flooded, calm_ones = answers[:30], answers[30:]
        refused = [a for a in flooded if a.get("error") == "rate_limited"]
        assert refused and all(a["retry_after"] > 0 for a in refused)
        assert sum(1 for a in flooded if a["ok"]) <= 10
        assert all(a["ok"] for a in calm_ones)
    finally:
        await flood_socket.disconnect()
        await calm_socket.disconnect()


async def test_a_message_resent_after_a_reconnect_is_stored_once(site: Site) -> None:
    chat = await open_chat(site)
    first, _ = await connect(site, chat["token"])
    sent = await first.call(
        "send", {"text": "are you there?", "client_id": "m-1"}, namespace="/chat"
    )
    await first.disconnect()

    again, _ = await connect(site, chat["token"])
    try:
        resent = await again.call(
            "send", {"text": "are you there?", "client_id": "m-1"}, namespace="/chat"
        )
        view = await again.call("hello", namespace="/chat")
    finally:
        await again.disconnect()
    assert sent["ok"] and resent["ok"] and resent["id"] is None and resent["duplicate"]
    assert [m["text"] for m in view["case"]["messages"]] == ["Help!", "are you there?"]


async def test_leaving_the_page_marks_the_customer_gone(site: Site) -> None:
    chat = await open_chat(site)
    client, _ = await connect(site, chat["token"])
    case_id = await case_id_of(site, chat["reference"])
    async with site.services.db.uow() as uow:
        assert (await uow.cases.get(case_id)).customer_connected
    await client.disconnect()

    async def gone() -> bool:
        async with site.services.db.uow() as uow:
            case = await uow.cases.get(case_id)
        return not case.customer_connected and case.customer_left_at is not None

    await eventually(gone)


async def test_only_the_portals_allowed_sites_may_connect_from_a_browser(site: Site) -> None:
    token = (await open_chat(site))["token"]
    assert not await refused(site, token, site.url)  # the portal's own pages
    assert await refused(site, token, "https://shop.acme.test")

    await update_portal(site.services, "acme", allowed_origins=["https://shop.acme.test/"])
    assert not await refused(site, token, "https://shop.acme.test")
    assert await refused(site, token, "https://evil.test")


async def test_the_http_side_refuses_clearly_and_lists_only_whos_free(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        agents = (await (await http.get(f"{site.url}/p/globex/agents")).json())["agents"]
        assert [a["name"] for a in agents] == ["Bob", "Carol"]
        # Opaque ids: the portal never hands out Slack user ids.
        assert all(not a["id"].startswith("U") and "BOB" not in a["id"] for a in agents)
        chosen = await http.post(
            f"{site.url}/p/globex/cases",
            json={
                "first_name": "Ana",
                "last_name": "Lima",
                "email": "a@example.com",
                "agent": agents[1]["id"],
            },
        )
        assert chosen.status == 201
        async with site.services.db.uow() as uow:
            opened = await uow.cases.get(await case_id_of(site, (await chosen.json())["reference"]))
        assert opened is not None and opened.assignee_id == "UCAROL"
        forged = await http.post(
            f"{site.url}/p/globex/cases",
            json={
                "first_name": "Ana",
                "last_name": "Lima",
                "email": "a@example.com",
                "agent": "UBOB",
            },
        )
        assert forged.status == 409  # a Slack id is not an id the portal handed out
        assert (await http.get(f"{site.url}/transcript")).status == 401
        unknown = await http.get(f"{site.url}/transcript", headers={"Authorization": "Bearer x"})
        assert unknown.status == 404
        bad = await http.post(
            f"{site.url}/p/acme/cases?lang=fr",
            json={"first_name": "Ana", "last_name": "", "email": "nope", "question": "?"},
        )
        assert bad.status == 400
        assert (await bad.json())["errors"] == {"last_name": "Ce champ est obligatoire."}
        assert (await http.post(f"{site.url}/p/acme/cases", data="not json")).status == 400

        page = await http.get(f"{site.url}/p/acme")
        assert "Content-Security-Policy" not in page.headers  # no list: any site may embed
        await update_portal(site.services, "acme", allowed_origins=["https://shop.acme.test"])
        page = await http.get(f"{site.url}/p/acme")
        assert page.headers["Content-Security-Policy"] == (
            "frame-ancestors 'self' https://shop.acme.test"
        )


async def test_the_browser_says_it_received_the_agents_reply_and_the_reply_is_marked(
    site: Site,
) -> None:
    chat = await open_chat(site)
    case_id = await case_id_of(site, chat["reference"])
    delivered: asyncio.Queue[Event] = asyncio.Queue()

    async def record(events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, AgentRepliesDelivered):
                delivered.put_nowait(event)

    site.services.bus.published.append(record)
    client, _ = await connect(site, chat["token"])
    replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    client.on("agent_message", replies.put_nowait, namespace="/chat")
    try:
        await casework.claim(site.services, case_id, "UBOB")
        await casework.post_agent_message(site.services, case_id, "UBOB", "on my way")
        reply = await asyncio.wait_for(replies.get(), 5)
        answer = await client.call("received", {"up_to": reply["id"]}, namespace="/chat")
        assert answer == {"ok": True}
        refused = await client.call("received", {"up_to": "all"}, namespace="/chat")
        assert refused["ok"] is False
        marked = await asyncio.wait_for(delivered.get(), 5)
        assert marked == AgentRepliesDelivered(case_id, (reply["id"],))
    finally:
        site.services.bus.published.remove(record)
        await client.disconnect()
