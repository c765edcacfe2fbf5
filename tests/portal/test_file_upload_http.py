"""The customer's page sends a file over HTTP with the case token and gets it back safely."""

from __future__ import annotations

import io

import aiohttp

from portal.files_http import content_disposition
from portal.i18n import human_size
from tests.portal.conftest import Site
from tests.portal.test_live_socket import open_chat

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 120


def form(content: bytes, name: str, kind: str = "image/png") -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("file", io.BytesIO(content), filename=name, content_type=kind)
    return data


async def test_customer_uploads_a_screenshot_and_fetches_it_back_only_with_their_token(
    site: Site,
) -> None:
    chat = await open_chat(site)
    other = await open_chat(site, question="someone else")
    mine = {"Authorization": f"Bearer {chat['token']}"}
    async with aiohttp.ClientSession() as http:
        sent = await http.post(f"{site.url}/files", data=form(PNG, "screen.png"), headers=mine)
        assert sent.status == 201, await sent.text()
        body = await sent.json()
        assert (body["name"], body["kind"], body["size"]) == ("screen.png", "image/png", 128)

        back = await http.get(f"{site.url}{body['url']}", headers=mine)
        assert back.status == 200 and await back.read() == PNG
        assert back.headers["Content-Type"] == "image/png"
        assert back.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in back.headers["Content-Security-Policy"]
        assert "default-src 'none'" in back.headers["Content-Security-Policy"]
        assert back.headers["Content-Disposition"].startswith('inline; filename="screen.png"')

        theirs = {"Authorization": f"Bearer {other['token']}"}
        assert (await http.get(f"{site.url}{body['url']}", headers=theirs)).status == 404
        assert (await http.get(f"{site.url}{body['url']}")).status == 401


async def test_refusals_use_the_documented_error_shape(site: Site) -> None:
    chat = await open_chat(site)
    mine = {"Authorization": f"Bearer {chat['token']}", "Accept-Language": "pt-BR"}
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    async with aiohttp.ClientSession() as http:
        refused = await http.post(f"{site.url}/files", data=form(svg, "cat.png"), headers=mine)
        assert refused.status == 415
        body = await refused.json()
        assert body["codes"] == {"file": "file_type"} and "arquivo" in body["errors"]["file"]

        limit = site.services.attachment_limits.file_bytes
        big = form(PNG + b"\x00" * limit, "big.png")
        too_big = await http.post(f"{site.url}/files", data=big, headers=mine)
        assert too_big.status == 413
        answer = await too_big.json()
        assert answer["codes"] == {"file": "file_too_large"}
        # What was wrong and how much is allowed, in the customer's own language and units.
        most = human_size("pt-BR", limit)
        assert answer["errors"]["file"] == (
            f"Este arquivo é grande demais: você pode enviar arquivos de até {most}."
        )

        nobody = await http.post(f"{site.url}/files", data=form(PNG, "a.png"))
        assert nobody.status == 401
        stranger = {"Authorization": "Bearer not-a-token"}
        unknown = await http.post(f"{site.url}/files", data=form(PNG, "a.png"), headers=stranger)
        assert unknown.status == 404


def test_a_file_name_cannot_break_out_of_its_header() -> None:
    header = content_disposition('ação "1"\\.pdf', inline=False)
    assert header.startswith('attachment; filename="a__o _1__.pdf"')
    assert header.endswith("filename*=UTF-8''a%C3%A7%C3%A3o%20%221%22%5C.pdf")


async def test_uploads_count_against_the_abuse_limits(site: Site) -> None:
    chat = await open_chat(site)
    mine = {"Authorization": f"Bearer {chat['token']}"}
    async with aiohttp.ClientSession() as http:
        answers = []
        for n in range(11):
            sent = await http.post(f"{site.url}/files", data=form(PNG, f"{n}.png"), headers=mine)
            answers.append(sent.status)
            if sent.status == 429:
                assert (await sent.json())["codes"] == {"file": "rate_limited"}
                assert int(sent.headers["Retry-After"]) >= 1
    assert answers == [201] * 10 + [429]  # ten a minute per case


def test_sizes_read_in_the_customers_language() -> None:
    assert human_size("en", 10 * 1024 * 1024) == "10 MB"
    assert human_size("fr", 1536 * 1024) == "1,5 Mo"
    assert human_size("es", 2048) == "2 KB"
    assert human_size("pt-BR", 500) == "500 B"
