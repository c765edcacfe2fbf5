"""Where a running `casebridge dev` (`make run`) says what it serves, for the CLI to find it."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge.settings import Settings

RUN_FILE = Path(".demo") / "running.json"


def running_demo(run_file: Path = RUN_FILE) -> dict[str, str] | None:
    """What a `casebridge dev` still running here serves (its database, its address), or None."""
    try:
        found = json.loads(run_file.read_text(encoding="utf-8"))
        os.kill(int(found["pid"]), 0)  # raises when that process is gone
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {k: str(found[k]) for k in ("database_url", "public_url", "port")}


def announce(settings: Settings) -> None:
    """Say, for the CLI, that this process serves the demo (its database, its address)."""
    RUN_FILE.parent.mkdir(exist_ok=True)
    RUN_FILE.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "database_url": settings.database_url,
                "public_url": settings.public_url,
                "port": settings.port,
            }
        ),
        encoding="utf-8",
    )


def withdraw() -> None:
    """Take back what `announce` said, if this process said it."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if json.loads(RUN_FILE.read_text(encoding="utf-8"))["pid"] == os.getpid():
            RUN_FILE.unlink()
