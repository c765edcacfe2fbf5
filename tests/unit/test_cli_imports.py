"""`casebridge --help` answers at once: its entry module loads no server, bolt or Socket.IO."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from importlib import metadata

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


def _name(requirement: str) -> str:
    return re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _runtime_closure() -> set[str]:
    """casebridge's own dependencies and theirs, without any extra."""
    seen: set[str] = set()
    todo = ["casebridge"]
    while todo:
        dist = todo.pop()
        for requirement in metadata.requires(dist) or []:
            name = _name(requirement)
            if "extra ==" in requirement or name in seen:
                continue
            seen.add(name)
            with contextlib.suppress(metadata.PackageNotFoundError):
                todo.append(name) if metadata.requires(name) is not None else None
    return seen


def test_casebridge_dev_needs_nothing_that_only_the_dev_extra_installs() -> None:
    """An install from the wheel (no [dev]) runs `casebridge dev`, the local Slack included."""
    dev_extra = {_name(r) for r in metadata.requires("casebridge") or [] if 'extra == "dev"' in r}
    dev_only = dev_extra - _runtime_closure()
    absent = sorted(
        module
        for module, dists in metadata.packages_distributions().items()
        if dists and all(_name(d) in dev_only for d in dists)
    )
    # The dev-only packages are made unimportable, as on a machine that never installed them.
    probe = (
        "import importlib.abc, sys\n"
        f"ABSENT = set({absent!r})\n"
        "class Absent(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ABSENT:\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Absent())\n"
        "import bridge.cli, bridge.local_run, bridge.web, slackemu.__main__\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "pytest" in absent and run.returncode == 0, run.stderr
