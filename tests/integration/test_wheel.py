"""An install from the wheel has what casebridge needs at run time, not only the Python files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
def test_the_wheel_carries_templates_catalogs_the_socket_io_client_and_the_stand_ins_ui(
    tmp_path: Path,
) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("casebridge-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "bridge/mail/templates/request_received.html",
        "bridge/mail/templates/request_received.txt",
        "portal/translations/pt-BR.json",
        "portal/templates/portal.html",
        "portal/node_modules/socket.io-client/dist/socket.io.esm.min.js",
        "slackemu/ui/index.html",
        "storage/migrations/script.py.mako",
    ):
        assert needed in names, needed
