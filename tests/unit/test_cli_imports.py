"""`casebridge --help` answers at once: its entry module loads no server, bolt or Socket.IO."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("slack_bolt", "slack_sdk", "socketio", "engineio", "aiohttp", "sqlalchemy", "alembic")


def test_importing_the_cli_loads_none_of_the_heavy_packages() -> None:
    probe = (
        "import sys, bridge.cli\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == "[]"


def test_help_lists_the_commands() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "bridge", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert all(command in shown.stdout for command in ("run", "dev", "db", "portal"))
