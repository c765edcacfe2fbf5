"""`make run` with Slack credentials connects to that workspace and seeds nothing.

Here the workspace is a SlackEmu started by the test at its own address: to casebridge it is
"the real Slack", reached only through the SLACK_* settings, as slack.com would be.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from slackemu.emulator import SlackEmu
from tests.e2e.dev_process import clean_environment, running_dev


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_with_credentials_it_serves_that_workspace_and_seeds_nothing(
    tmp_path: Path, mode: str
) -> None:
    workspace = SlackEmu(
        bot_token="xoxb-real-looking",
        signing_secret="a-real-signing-secret",
        app_token="xapp-real-looking" if mode == "socket" else None,
    )
    credentials = {
        "SLACK_BOT_TOKEN": workspace.bot_token,
        "SLACK_SIGNING_SECRET": "a-real-signing-secret",
        "SLACK_API_URL": "",  # filled once the workspace listens
    }
    if mode == "socket":
        credentials["SLACK_APP_TOKEN"] = "xapp-real-looking"
    async with workspace:
        credentials["SLACK_API_URL"] = workspace.api_url
        channels_before = set(workspace.workspace.channels)
        async with running_dev(tmp_path, clean_environment(**credentials)) as run:
            assert "no portals yet" in run.banner and "Alice" not in run.banner
            assert run.slack  # mail is still caught, shown by a local stand-in
            if mode == "http":  # the admin sets the request URL once casebridge is up
                workspace.deliver_to(f"{run.web}/slack/events")
            before = len(workspace.ephemerals("UBOB"))
            outcome = await workspace.user_runs("UBOB", "C0SUPPORT", "/casebridge status")
            assert outcome.ok, outcome
            reply = await workspace.wait_for(lambda: workspace.ephemerals("UBOB")[before:] or None)
            assert "unavailable" in reply[0].text.lower()
        assert set(workspace.workspace.channels) - channels_before <= {
            c.id for c in workspace.workspace.channels.values() if c.is_im
        }  # no demo channels; at most the bot's DMs
    assert (tmp_path / "casebridge.db").exists()  # DATABASE_URL's default, kept between runs
    assert not (tmp_path / ".demo").exists()


async def test_a_stand_in_left_running_on_the_port_is_not_taken_for_ours(tmp_path: Path) -> None:
    async with SlackEmu() as leftover:  # a previous `make run`'s local Slack, still up
        port = int(leftover.url.rsplit(":", 1)[1])
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bridge.cli",
            "dev",
            "--port=0",
            f"--slack-port={port}",
            "--smtp-port=0",
            cwd=tmp_path,
            env=clean_environment(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert f"port {port} on 127.0.0.1 (the local Slack) is not free" in errors.decode()
