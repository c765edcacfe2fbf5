"""The transcript shows a file as its name, size and a link that works without the token."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import aiohttp

from tests.files_in_browser import PNG
from tests.portal.conftest import Site
from tests.portal.test_live_socket import open_chat


async def test_a_file_in_the_transcript_is_its_name_and_a_signed_link(site: Site) -> None:
    chat = await open_chat(site)
    mine = {"Authorization": f"Bearer {chat['token']}"}
    data = aiohttp.FormData(quote_fields=False)  # the name as a browser sends it
    data.add_field("file", io.BytesIO(PNG), filename="my <screen>.png", content_type="image/png")
    async with aiohttp.ClientSession() as http:
        sent = await http.post(f"{site.url}/files", data=data, headers=mine)
        assert sent.status == 201
        text = await (await http.get(f"{site.url}/transcript", headers=mine)).text()
        line = next(line for line in text.splitlines() if "📎" in line)
        found = re.fullmatch(
            r"\[.+ UTC\] You: 📎 my ‹screen›\.png \(71 B\): (\S+) "
            r"\(link, valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC\)",
            line,
        )
        assert found, line
        assert text.count("📎") == 1  # the file's own line gave way to the link
        # No token needed: the link is the permission, for a while.
        link = f"{site.url}{urlsplit(found.group(1)).path}"
        async with http.get(link) as answer:
            assert answer.status == 200 and await answer.read() == PNG
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
