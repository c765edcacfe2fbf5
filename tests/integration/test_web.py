"""The aiohttp application's own endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from bridge.bootstrap import bootstrap
from bridge.settings import Settings
from bridge.web import create_app

AiohttpClient = Callable[[Any], Awaitable[TestClient[Any, Any]]]


async def test_healthz_reports_the_database(
    database_url: str, aiohttp_client: AiohttpClient
) -> None:
    app = create_app(bootstrap(Settings(_env_file=None, database_url=database_url)))
    client = await aiohttp_client(app)
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {
        "status": "ok",
        "database": "ok",
        "delivery": {"status": "ok", "parked": []},
    }


async def test_healthz_says_when_the_database_is_unreachable(
    tmp_path: Any, aiohttp_client: AiohttpClient
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/missing-dir/x.db"
    client = await aiohttp_client(create_app(bootstrap(Settings(_env_file=None, database_url=url))))
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json())["database"] == "unreachable"
