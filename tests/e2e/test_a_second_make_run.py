"""A second `make run` beside a running one touches nothing and names the busy port; the CLI
finds the running demo's database and address, or says exactly how to get one."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp

from tests.e2e.dev_process import ANY_PORTS, clean_environment, running_dev


async def casebridge(folder: Path, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bridge.cli",
        *args,
        cwd=folder,
        env=clean_environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, errors = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), errors.decode()


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


async def test_a_second_make_run_leaves_the_first_alone_and_the_cli_finds_it(
    tmp_path: Path,
) -> None:
    async with running_dev(tmp_path, clean_environment()) as first:
        web = port_of(first.web)
        database = tmp_path / ".demo" / "casebridge.db"
        before = database.stat()

        status, _, errors = await casebridge(
            tmp_path, "dev", f"--port={web}", "--slack-port=0", "--smtp-port=0"
        )
        assert status == 2
        assert f"port {web} on 127.0.0.1 (casebridge) is not free" in errors
        assert "Traceback" not in errors
        after = database.stat()
        assert (after.st_ino, after.st_size) == (before.st_ino, before.st_size)  # untouched

        # Only the mail catcher's port is taken: that is the port named, and nothing starts.
        with socket.create_server(("127.0.0.1", 0)) as taken:
            smtp = taken.getsockname()[1]
            status, _, errors = await casebridge(
                tmp_path, "dev", "--port=0", "--slack-port=0", f"--smtp-port={smtp}"
            )
        assert status == 2
        assert f"port {smtp} on 127.0.0.1 (the mail catcher) is not free" in errors
        assert "Traceback" not in errors and "local Slack" not in errors
        assert database.stat().st_ino == before.st_ino

        # The first demo still works, and the CLI reads its database.
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{web}/p/acme") as page,
        ):
            assert page.status == 200
        status, out, errors = await casebridge(tmp_path, "portal", "list")
        assert status == 0, errors
        assert "acme\t" in out and "hooli\t" in out
        assert "using the running demo's database" in errors
        status, out, _ = await casebridge(tmp_path, "portal", "embed", "acme")
        assert status == 0
        assert f"{first.web}/p/acme" in out
    assert not (tmp_path / "casebridge.db").exists()  # the CLI created no stray database

    # With the demo stopped, the CLI says how to get a database instead of making an empty one.
    status, _, errors = await casebridge(tmp_path, "portal", "list")
    assert status == 2
    assert "no database at casebridge.db and no demo running here: start `make run`" in errors
    assert not (tmp_path / "casebridge.db").exists()


async def test_a_port_taken_by_anything_is_named_before_anything_starts(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = taken.getsockname()[1]
        status, _, errors = await casebridge(
            tmp_path, "dev", *ANY_PORTS, f"--inbound-smtp-port={busy}"
        )
    assert status == 2
    assert f"port {busy} on 127.0.0.1 (customers' email replies) is not free" in errors
    assert not (tmp_path / ".demo").exists()  # nothing created, nothing deleted
