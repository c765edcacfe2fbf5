"""app_manifest.yml asks for what casebridge uses, and every event it subscribes to is handled."""

from __future__ import annotations

import ast
from collections.abc import Awaitable, Callable
from pathlib import Path

import yaml

from slackemu.state import BOT_USER_ID
from tests.slack.conftest import Casebridge

ROOT = Path(__file__).parents[2]
MANIFEST = yaml.safe_load((ROOT / "app_manifest.yml").read_text())

# Each Web API method we call, and the scope Slack wants for it.
SCOPE_FOR = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "chat_postEphemeral": "chat:write",
    "conversations_open": "im:write",
    "conversations_history": "channels:history",
    "conversations_replies": "channels:history",
    "users_info": "users:read",
    "reactions_add": "reactions:write",
    "views_publish": None,
    "conversations_join": "channels:join",
    "conversations_info": "channels:read",
    "files_getUploadURLExternal": "files:write",
    "files_completeUploadExternal": "files:write",
    "files_info": "files:read",
    "files_delete": "files:write",
}


def called_methods() -> set[str]:
    """Every `calls("method", …)` and `client.method(…)` in the Slack adapter's source."""
    found: set[str] = set()
    for path in (ROOT / "bridge" / "slack").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute) and node.func.attr in SCOPE_FOR:
                    found.add(node.func.attr)
                if (
                    node.args
                    and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value in SCOPE_FOR
                ):
                    found.add(str(node.args[0].value))
    return found


def test_the_bot_has_the_scopes_for_every_method_it_calls_and_no_more() -> None:
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    needed = {SCOPE_FOR[m] for m in called_methods()} - {None}
    needed |= {
        "chat:write.customize",
        "users:read.email",
        "commands",
        "groups:history",
        "im:history",
        "groups:read",
    }  # username/icon, profile.email, /casebridge, private and DM events, private channels
    assert called_methods() >= {"chat_postMessage", "chat_update", "views_publish"}
    assert scopes == needed


async def test_every_subscribed_event_is_answered_200_not_404(bridge: Casebridge) -> None:
    """bolt answers 404 to an event nobody listens to, and Slack then retries it forever."""
    slack = bridge.slack
    if slack.http is None:
        return  # Socket Mode acks are covered by the journey tests
    slack.workspace.add_channel("G0PRIVATE", "vip-support", {"UBOB", BOT_USER_ID}, is_private=True)
    sent: dict[str, Callable[[], Awaitable[object]]] = {
        "app_home_opened": lambda: slack.user_opens_home("UBOB"),
        "message.channels": lambda: slack.user_posts("UBOB", "C0SUPPORT", "hello"),
        "message.groups": lambda: slack.user_posts("UBOB", "G0PRIVATE", "hello"),
        "message.im": lambda: slack.user_posts("UBOB", slack.dm_with("UBOB").id, "hello"),
    }
    assert set(sent) == set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    for deliver in sent.values():
        await deliver()
    await slack.settle()
    assert slack.http.log and {attempt.status for attempt in slack.http.log} == {200}


def test_socket_mode_interactivity_home_and_the_command_are_declared() -> None:
    settings, features = MANIFEST["settings"], MANIFEST["features"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert features["app_home"]["home_tab_enabled"] and features["app_home"]["messages_tab_enabled"]
    [command] = features["slash_commands"]
    assert command["command"] == "/casebridge" and "help" in command["usage_hint"]


def test_the_local_slack_grants_what_the_manifest_asks_for() -> None:
    from slackemu.state import DEFAULT_SCOPES

    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == DEFAULT_SCOPES
