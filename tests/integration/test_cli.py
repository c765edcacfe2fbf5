"""The `casebridge` console script, run as a person would run it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

import pytest

CASEBRIDGE = str(Path(sys.executable).parent / "casebridge")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMTP_"))}
    clean["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    clean.pop("PORT", None)
    return clean


def casebridge(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CASEBRIDGE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_admin_sets_up_portals_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    not_yet = casebridge("portal", "list", env=env, cwd=tmp_path)
    assert not_yet.returncode == 2 and "casebridge db upgrade" in not_yet.stderr

    assert casebridge("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    assert casebridge("db", "upgrade", env=env, cwd=tmp_path).returncode == 0  # idempotent

    created = casebridge(
        "portal",
        "create",
        "--company",
        "Acme Inc",
        "--subdomain",
        "acme",
        "--mode",
        "queue",
        "--channel",
        "C123",
        env=env,
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert "acme\tAcme Inc\tqueue\tactive\tC123" in created.stdout

    taken = casebridge(
        "portal", "create", "--company", "Other", "--subdomain", "ACME", env=env, cwd=tmp_path
    )
    assert taken.returncode == 2
    assert taken.stderr.strip() == "casebridge: subdomain 'acme' is taken"

    bad = casebridge(
        "portal", "create", "--company", "X", "--subdomain", "a_b", env=env, cwd=tmp_path
    )
    assert bad.returncode == 2 and "may only contain letters" in bad.stderr

    assert casebridge("portal", "deactivate", "acme", env=env, cwd=tmp_path).returncode == 0
    assert casebridge("portal", "mode", "acme", "pin", env=env, cwd=tmp_path).returncode == 0
    shown = casebridge("portal", "show", "acme", env=env, cwd=tmp_path)
    assert "\tpin\tinactive\t" in shown.stdout
    unknown_mode = casebridge("portal", "mode", "acme", "smartbox", env=env, cwd=tmp_path)
    assert unknown_mode.returncode == 2 and "not a mode" in unknown_mode.stderr
    missing = casebridge("portal", "show", "globex", env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "no portal 'globex'" in missing.stderr
    moved = casebridge("portal", "channel", "acme", "C999", env=env, cwd=tmp_path)
    assert moved.returncode == 0 and "\tC999\t" in moved.stdout
    embed = casebridge("portal", "embed", "acme", env=env, cwd=tmp_path)
    assert "/p/acme/widget.js" in embed.stdout and "window.open" in embed.stdout
    listed = casebridge("portal", "list", env=env, cwd=tmp_path)
    assert listed.stdout.count("\n") == 1


def test_a_bad_setting_stops_start_up_with_one_line(env: dict[str, str], tmp_path: Path) -> None:
    result = casebridge("run", env={**env, "PORT": "-5"}, cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PORT" in lines[0] and "-5" in lines[0]


def test_run_serves_healthz_and_stops_cleanly(env: dict[str, str], tmp_path: Path) -> None:
    assert casebridge("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    server = subprocess.Popen(
        [CASEBRIDGE, "run", "--port", "0"],  # the system picks the port; casebridge says which
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        said = next(line for line in server.stdout if "casebridge listening on" in line)
        url = said.split("listening on ", 1)[1].strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0"), said
        with urlopen(f"{url}/healthz", timeout=5) as response:
            assert '"status": "ok"' in response.read().decode()
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=20)
    assert server.returncode == 0, output
