"""The fault soak's shortest run: kill -9 (HTTP and Socket Mode), a Slack outage, a 429 storm,
redeliveries and an unreachable PostgreSQL against real processes lose, repeat and reorder
nothing."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def test_the_tiny_soak_loses_and_duplicates_nothing() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "soak.py"),
        "--tiny",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=ROOT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 300)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    figures = json.loads(text.strip().splitlines()[-1])
    assert figures["bench"] == "soak"
    for key in (
        "lost_agent_replies",
        "lost_customer_messages",
        "duplicated_agent_replies",
        "duplicated_customer_messages",
        "reordered",
    ):
        assert figures[key] == 0, text
