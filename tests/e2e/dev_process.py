"""`casebridge dev` (what `make run` runs) as its own process tree, started and stopped the way
a person does it: read the banner, then Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bridge.settings import Settings

STARTUP_SECONDS = 60  # the README's promise for `make run`
STOP_SECONDS = 20
LAST_LINE = "Ctrl-C stops everything."


ANY_PORTS = ("--port=0", "--slack-port=0", "--smtp-port=0")  # each picks a free port


@dataclass(frozen=True)
class DevRun:
    """A running `casebridge dev`, as its banner tells where it is."""

    banner: str

    @property
    def web(self) -> str:
        """casebridge's own address (the portals' host), e.g. http://localhost:8080."""
        return _address(self.banner, r"global code page\s+(http://\S+)/code")

    @property
    def slack(self) -> str:
        """The local Slack stand-in's address (also where caught mail is shown)."""
        return _address(self.banner, r"(http://127\.0\.0\.1:\d+)/mail")


def _address(banner: str, pattern: str) -> str:
    found = re.search(pattern, banner)
    assert found, f"no {pattern!r} in the banner:\n{banner}"
    return found.group(1)


def clean_environment(**settings: str) -> dict[str, str]:
    """This machine's environment without casebridge settings or proxies, plus `settings`."""
    ours = {name.upper() for name in Settings.model_fields}
    proxies = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}
    kept = {k: v for k, v in os.environ.items() if k.upper() not in ours | proxies}
    return kept | settings


@asynccontextmanager
async def running_dev(
    folder: Path, env: dict[str, str], ports: tuple[str, ...] = ANY_PORTS
) -> AsyncIterator[DevRun]:
    """Run `casebridge dev` in `folder` until the block ends; yields where it runs."""
    errors_path = folder / "stderr.log"
    with errors_path.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bridge.cli",
            "dev",
            *ports,
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
            yield DevRun("\n".join(lines))
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
