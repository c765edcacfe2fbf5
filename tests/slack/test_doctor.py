"""`casebridge doctor` and the start-up check, against the local Slack set up wrong on purpose."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest

from bridge import views
from bridge.cli import _doctor
from bridge.services import portals as portal_services
from bridge.slack.doctor import MANIFEST_SCOPES, Setup, checkup, setup_from
from slackemu.state import DEFAULT_SCOPES
from tests.slack.conftest import Casebridge


def setup_of(bridge: Casebridge) -> Setup:
    """casebridge's own set-up, with PUBLIC_URL where the local Slack really delivers."""
    setup = setup_from(bridge.components.settings)
    if bridge.slack.app_url:
        setup = dataclasses.replace(
            setup, public_url=bridge.slack.app_url.removesuffix("/slack/events")
        )
    return setup


async def test_the_manifest_and_the_checks_want_the_same_scopes() -> None:
    assert MANIFEST_SCOPES == DEFAULT_SCOPES  # and test_manifest keeps the manifest equal


async def test_a_healthy_set_up_has_no_problem_then_each_mistake_is_one_line_with_its_fix(
    bridge: Casebridge,
) -> None:
    slack, ctx = bridge.slack, bridge.services
    assert (await checkup(setup_of(bridge), await views.portals(ctx))).problems == []

    # someone removes a scope, makes a portal without a channel, puts one in a private channel
    # the bot was never invited to, and archives #support
    slack.workspace.scopes.discard("reactions:write")
    await portal_services.create_portal(ctx, company="Globex", subdomain="globex")
    slack.workspace.add_channel("G0VIP", "vip", {"UALICE"}, is_private=True)
    await portal_services.create_portal(
        ctx, company="Initech", subdomain="initech", channel_id="G0VIP"
    )
    await slack.archive("C0SUPPORT")
    report = await checkup(setup_of(bridge), await views.portals(ctx))
    assert len(report.problems) == 4, report.problems
    scope, *channels = report.problems
    assert "`reactions:write`" in scope and "reinstall" in scope
    joined = "\n".join(channels)
    assert "Portal acme" in joined and "archived" in joined
    assert "Portal globex has no Slack channel" in joined
    assert "Portal initech" in joined and "/invite @casebridge" in joined
    assert all("Fix:" in line for line in report.problems)

    # the app is uninstalled: one line for the token, not one per channel
    await slack.set_token("revoked")
    report = await checkup(setup_of(bridge), await views.portals(ctx))
    assert len(report.problems) == 1 and "revoked" in report.problems[0]


async def test_socket_mode_or_the_request_url_must_reach_casebridge(bridge: Casebridge) -> None:
    setup = setup_of(bridge)
    if setup.app_token:
        broken = dataclasses.replace(setup, app_token="xapp-not-this-one")
        [problem] = (await checkup(broken, [])).problems
        assert "Socket Mode" in problem and "connections:write" in problem
    else:
        broken = dataclasses.replace(setup, public_url="http://127.0.0.1:9")
        [problem] = (await checkup(broken, [])).problems
        assert "http://127.0.0.1:9/slack/events" in problem and "PUBLIC_URL" in problem
        wrong_secret = dataclasses.replace(setup, signing_secret="not-the-app-s")
        [problem] = (await checkup(wrong_secret, [])).problems
        assert "HTTP 401" in problem and "SLACK_SIGNING_SECRET" in problem


async def test_the_start_up_check_is_in_healthz(bridge: Casebridge) -> None:
    slack_side = bridge.components.slack
    assert slack_side is not None
    await bridge.slack.wait_for(lambda: slack_side.health.checked_at)
    host, port = bridge.runner.addresses[0][:2]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://{host}:{port}/healthz") as response,
    ):
        health = await response.json()
    assert response.status == 200
    assert health["slack"]["status"] == "ok" and health["slack"]["problems"] == []


@pytest.mark.parametrize("bridge", ["socket"], indirect=True)
async def test_in_socket_mode_the_start_up_check_leaves_the_one_connection_a_minute_alone(
    bridge: Casebridge,
) -> None:
    # apps.connections.open is Tier 1: a second call at start-up would be refused and, after
    # a restart, hold the real connection back; the running connection is the check
    slack_side = bridge.components.slack
    assert slack_side is not None
    await bridge.slack.wait_for(lambda: slack_side.health.checked_at)
    assert len(bridge.slack.calls_to("apps.connections.open")) == 1
    assert slack_side.health.problems == []


@pytest.mark.parametrize("bridge", ["http"], indirect=True)
async def test_casebridge_doctor_prints_one_line_per_problem(
    bridge: Casebridge, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = bridge.components.settings
    assert (
        await _doctor(settings.model_copy(update={"public_url": setup_of(bridge).public_url})) == 0
    )
    assert "all good" in capsys.readouterr().out
    await bridge.slack.archive("C0SUPPORT")
    assert (
        await _doctor(settings.model_copy(update={"public_url": setup_of(bridge).public_url})) == 1
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "casebridge doctor: 1 problem(s)"
    assert lines[1].startswith("✗ Portal acme") and "archived" in lines[1]
