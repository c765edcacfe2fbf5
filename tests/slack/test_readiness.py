"""The portal does not wait for Slack: with Socket Mode unable to connect, casebridge serves
at once and /readyz says which parts are up; Socket Mode comes up by itself later."""

from __future__ import annotations

from typing import Any

import aiohttp

from slackemu import SlackEmu
from tests.slack.conftest import APP_TOKEN, SECRET, RecordingPush, start_casebridge


async def parts(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as answer:
        return answer.status, (await answer.json())["parts"]


async def test_socket_mode_connects_in_the_background_and_readyz_tells(database_url: str) -> None:
    async with SlackEmu(signing_secret=SECRET, app_token=APP_TOKEN, tiers_enabled=False) as slack:
        slack.faults.outage("apps.connections.open", seconds=600)  # Slack will not let us in
        running = await start_casebridge(slack, database_url, RecordingPush())
        try:
            host, port = running.runner.addresses[0][:2]
            url = f"http://{host}:{port}"
            status, now = await parts(url)  # answered at once, not after Slack
            assert status == 200
            assert now["web"] == now["database"] == "up"
            assert now["slack_socket_mode"] == "connecting"
            await slack.wait_for(lambda: slack.faults.active()[0]["hits"] >= 1)

            slack.faults.clear()  # Slack lets us in again: no restart needed
            await slack.wait_for(lambda: slack.socket and slack.socket.connections, timeout=30)
            _, later = await parts(url)
            assert later["slack_socket_mode"] == "up" and later["slack_auth"] == "up"
        finally:
            await running.stop()
