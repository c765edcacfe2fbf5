"""`casebridge dev` (what `make run` runs) as its own process tree, started and stopped the way
a person does it: read the banner, then Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bridge.settings import Settings

STARTUP_SECONDS = 60  # the README's promise for `make run`
STOP_SECONDS = 20
LAST_LINE = "Ctrl-C stops everything."


def unused_port() -> int:
    """A port nobody listens on just now, for a `casebridge dev` child.

    The one place the tests still name a port before a server binds it: `casebridge dev`
    passes its ports to the processes it starts (the local Slack, the mail catcher) and to
    PUBLIC_URL before any of them listens. Everything served in-process binds port 0.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class DevPorts:
    web: int
    slack: int
    smtp: int
    inbound: int


def clean_environment(**settings: str) -> dict[str, str]:
    """This machine's environment without casebridge settings or proxies, plus `settings`."""
    ours = {name.upper() for name in Settings.model_fields}
    proxies = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}
    kept = {k: v for k, v in os.environ.items() if k.upper() not in ours | proxies}
    return kept | settings


@asynccontextmanager
async def running_dev(folder: Path, ports: DevPorts, env: dict[str, str]) -> AsyncIterator[str]:
    """Run `casebridge dev` in `folder` until the block ends; yields its start-up banner."""
    errors_path = folder / "stderr.log"
    with errors_path.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bridge.cli",
            "dev",
            f"--port={ports.web}",
            f"--slack-port={ports.slack}",
            f"--smtp-port={ports.smtp}",
            f"--inbound-smtp-port={ports.inbound}",
            cwd=folder,  # its .env (none) and its databases are the folder's
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
        assert process.stdout is not None
        lines: list[str] = []
        try:
            async with asyncio.timeout(STARTUP_SECONDS):
                while not lines or lines[-1] != LAST_LINE:
                    line = await process.stdout.readline()
                    if not line:
                        raise AssertionError("casebridge dev stopped:\n" + errors_path.read_text())
                    lines.append(line.decode().rstrip())
            yield "\n".join(lines)
        finally:
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does
            try:
                async with asyncio.timeout(STOP_SECONDS):
                    status = await process.wait()
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
                raise AssertionError(
                    f"still running {STOP_SECONDS} s after Ctrl-C:\n{errors_path.read_text()}"
                ) from None
    log = errors_path.read_text(errors="replace")
    assert status == 0, log
    assert "Traceback" not in log, log
