"""`python -m slackemu` on its own: it starts, says where it is, answers the Web API, and could
be published apart from casebridge (it imports none of it; its workspace comes from a file)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.request import Request, urlopen

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from slackemu import SlackEmu
from slackemu.seed import SeedError, check_seed
from slackemu.webapi import ALL_METHODS

SLACKEMU = Path(__file__).parents[2] / "slackemu"


def started(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """`python -m slackemu` on ports the system picks, and the lines it printed first."""
    process = subprocess.Popen(
        [sys.executable, "-m", "slackemu", "--port", "0", *args], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    printed = [process.stdout.readline() for _ in range(2 + ("--smtp-port" in args))]
    return process, printed


def url_in(line: str) -> str:
    found = re.search(r"(?:http|smtp)://127\.0\.0\.1:\d+", line)
    assert found, line
    return found.group(0)


def stopped(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=10)
    return process.returncode


def test_the_stand_in_runs_on_its_own_and_prints_its_urls() -> None:
    process, printed = started("--bot-token", "xoxb-mine")
    try:
        assert printed[0].startswith("slackemu UI:")
        base = url_in(printed[0])
        request = Request(
            f"{base}/api/auth.test", headers={"Authorization": "Bearer xoxb-mine"}, method="POST"
        )
        with urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["ok"] is True
        wrong = Request(
            f"{base}/api/auth.test", headers={"Authorization": "Bearer xoxb-local"}, method="POST"
        )
        with urlopen(wrong, timeout=5) as response:
            assert json.loads(response.read())["error"] == "invalid_auth"
    finally:
        assert stopped(process) == 0


def test_it_imports_nothing_of_casebridge() -> None:
    probe = (
        "import importlib, pkgutil, sys, slackemu\n"
        "for m in pkgutil.iter_modules(slackemu.__path__):\n"
        "    importlib.import_module('slackemu.' + m.name)\n"
        "ours = ('bridge', 'portal', 'commands', 'storage')\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ours))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"


async def test_a_team_describes_its_own_people_and_channels() -> None:
    seed = {
        "users": [
            {"id": "UDANA", "name": "dana", "real_name": "Dana Lead", "is_admin": True},
            {"id": "UERIC", "name": "eric", "real_name": "Eric Agent", "email": "eric@x.test"},
        ],
        "channels": [
            {"id": "C0HELP", "name": "help"},
            {"id": "G0VIP", "name": "vip", "members": ["UDANA"], "is_private": True},
        ],
    }
    async with SlackEmu(seed=seed) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        users = (await client.users_list())["members"]
        assert {u["id"] for u in users} == {"UDANA", "UERIC", "U0BOT0001"}
        channels = await client.conversations_list(types="public_channel,private_channel")
        assert {c["name"] for c in channels["channels"]} == {"help", "vip"}
        assert set(slack.workspace.channel("G0VIP").members) == {"UDANA", "U0BOT0001"}


async def test_a_team_may_name_itself_and_every_payload_carries_its_id() -> None:
    seed = {
        "team": {"id": "T0ACME42", "domain": "acme"},
        "users": [{"id": "UDANA", "name": "dana", "real_name": "Dana Lead"}],
        "channels": [{"id": "C0HELP", "name": "help"}],
    }
    async with SlackEmu(seed=seed) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        identity = await client.auth_test()
        assert (identity["team_id"], identity["team"]) == ("T0ACME42", "acme")
        posted = await client.chat_postMessage(channel="C0HELP", text="hello")
        assert posted["message"]["team"] == "T0ACME42"
        await slack.user_posts("UDANA", "C0HELP", "hi")
        envelope = await slack.wait_for(lambda: next(iter(slack.envelopes), None))
        assert envelope["team_id"] == envelope["event"]["team"] == "T0ACME42"
        dana = (await client.users_info(user="UDANA"))["user"]
        assert dana["team_id"] == dana["profile"]["team"] == "T0ACME42"


@pytest.mark.parametrize(
    ("team", "complaint"),
    [
        ({"id": "acme"}, "team: an id is T"),
        ({"domain": "Acme Inc"}, "team: a domain is"),
        ({"name": "Acme"}, "team: unknown name"),
        ("acme", "team: an object"),
    ],
)
def test_a_team_that_slack_could_not_have_is_refused(team: object, complaint: str) -> None:
    with pytest.raises(SeedError, match=complaint):
        check_seed({"team": team, "users": [], "channels": []})


def test_a_workspace_file_is_read_and_a_bad_one_refused_in_one_line(tmp_path: Path) -> None:
    good = tmp_path / "team.json"
    good.write_text(json.dumps({"users": [{"id": "UZOE", "name": "zoe", "real_name": "Zoe"}]}))
    process, printed = started("--workspace", str(good))
    try:
        request = Request(
            f"{url_in(printed[0])}/api/users.list",
            headers={"Authorization": "Bearer xoxb-local"},
            method="POST",
        )
        with urlopen(request, timeout=5) as response:
            names = {u["name"] for u in json.loads(response.read())["members"]}
        assert names == {"zoe", "casebridge"}
    finally:
        assert stopped(process) == 0

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"users": [{"id": "UZOE", "name": "zoe"}]}))
    refused = subprocess.run(
        [sys.executable, "-m", "slackemu", "--workspace", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "users[0]: missing real_name" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_readme_lists_every_web_api_method_it_answers() -> None:
    readme = (SLACKEMU / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z]+\.[A-Za-z.]+)` \|", readme, flags=re.MULTILINE))
    assert listed == set(ALL_METHODS)


async def test_the_ui_asking_for_a_channel_that_does_not_exist_gets_slacks_error() -> None:
    async with SlackEmu() as slack, aiohttp.ClientSession() as http:
        unknown = await http.get(f"{slack.url}/_emu/messages", params={"channel": "C0NOPE"})
        assert unknown.status == 404 and await unknown.json() == {"error": "channel_not_found"}
        known = await http.get(f"{slack.url}/_emu/messages", params={"channel": "C0SUPPORT"})
        assert known.status == 200 and await known.json() == {"messages": []}
