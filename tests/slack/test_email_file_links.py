"""The customer's emails list the case's files, each a link that works without the chat's
token for a limited time (signed, expiring), served as safely as in the chat."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import aiohttp

from bridge.files.links import FileLinks
from bridge.services import casework, customer
from bridge.services.attachments import attach_customer_file
from bridge.services.sweeps import Timings, sweep_unseen_replies
from slackemu.mailcatcher import MailCatcher
from tests.files_in_browser import PDF, PNG
from tests.slack.conftest import Casebridge
from tests.slack.test_email import a_customer_opens_chat

TRICKY = 'a&b "quoted" <img src=x onerror=alert(1)>.png'


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://\S+/files/\d+/\d+/[A-Za-z0-9_-]+", text)


async def fetch(bridge: Casebridge, link: str) -> tuple[int, dict[str, str], bytes]:
    """GET a link's path from this casebridge (PUBLIC_URL names another host in the tests)."""
    port = bridge.runner.addresses[0][1]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}{urlsplit(link).path}") as answer,
    ):
        return answer.status, dict(answer.headers), await answer.read()


async def test_the_confirmation_lists_the_files_with_links_that_expire(
    mailing_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge = mailing_bridge
    opened = await a_customer_opens_chat(bridge)  # in Portuguese
    await attach_customer_file(bridge.services, opened.token, TRICKY, PNG)
    await attach_customer_file(bridge.services, opened.token, "nota fiscal.pdf", PDF)
    await customer.stop_waiting(bridge.services, opened.token)

    (email,) = await mailbox.wait_for(1)
    plain, html = email.part("plain"), email.part("html")
    assert "Arquivos desta conversa:" in plain
    # Plain text: one line per file, nothing in a name reads as a link or breaks the list.
    assert '- a&b "quoted" ‹img src=x onerror=alert(1)›.png (71 B)' in plain
    assert "- nota fiscal.pdf (3 KB)" in plain
    # HTML: the name is text inside its link, escaped.
    assert "a&amp;b &#34;quoted&#34; ‹img src=x onerror=alert(1)›.png</a> (71 B)" in html
    assert "<img" not in html
    assert re.search(r"Estes links funcionam até \d{4}-\d\d-\d\d \d\d:\d\d UTC\.", plain)
    first, second = links_in(plain)
    assert links_in(html) == [first, second]

    status, headers, body = await fetch(bridge, first)
    assert (status, body) == (200, PNG)
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert headers["Content-Disposition"].startswith("inline;")
    status, headers, body = await fetch(bridge, second)
    assert (status, body) == (200, PDF)
    assert headers["Content-Disposition"].startswith('attachment; filename="nota fiscal.pdf"')

    # A changed link, or one link's signature on another file, opens nothing.
    *path, signature = first.split("/")
    assert (await fetch(bridge, "/".join([*path, signature[:-1] + "A"])))[0] == 404
    assert (await fetch(bridge, second.rsplit("/", 1)[0] + "/" + signature))[0] == 404
    expires = int(path[-1])
    assert (await fetch(bridge, "/".join([*path[:-1], str(expires + 3600), signature])))[0] == 404

    # Once its time is up, a genuine link says so in the customer's language.
    settings = bridge.components.settings
    links = FileLinks.of(settings.file_link_key, settings.file_link_seconds, settings.public_url)
    file_id = int(path[-2])
    past = bridge.services.clock.now() - timedelta(seconds=settings.file_link_seconds + 5)
    status, _headers, body = await fetch(bridge, links.link(file_id, "acme", past).url)
    assert status == 410 and "Este link expirou" in body.decode()

    # A deleted case's files are gone from its links too.
    await casework.delete_case(bridge.services, opened.case.id, "UALICE", is_admin=True)
    assert (await fetch(bridge, first))[0] == 404


async def test_the_unseen_reply_email_lists_the_files_too(
    mailing_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge, slack = mailing_bridge, mailing_bridge.slack
    opened = await a_customer_opens_chat(bridge, language="en")
    await customer.set_presence(bridge.services, opened.token, connected=True)
    await attach_customer_file(bridge.services, opened.token, "router.png", PNG)
    card = await bridge.case_message(opened.case.reference, contains="Assign to me")
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(opened.case.reference, contains="Assigned to")
    await customer.set_presence(bridge.services, opened.token, connected=False)
    await slack.user_posts("UBOB", "C0SUPPORT", "Restart the router", thread_ts=card.ts)
    await slack.wait_for(lambda: bridge.push.of(opened.case.id, "agent_message"))
    assert len(await sweep_unseen_replies(bridge.services, Timings(unseen_reply=timedelta(0)))) == 1

    (email,) = await mailbox.wait_for(1)
    plain = email.part("plain").replace("\r\n", "\n")
    assert "Restart the router" in plain
    assert "Files in this conversation:\n- router.png (71 B)\n  http" in plain
    (link,) = links_in(plain)
    assert (await fetch(bridge, link))[2] == PNG
