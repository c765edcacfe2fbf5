"""`python -m slackemu` on its own: it starts, says where it is, and answers the Web API."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from urllib.request import Request, urlopen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_stand_in_runs_on_its_own_and_prints_its_urls() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "slackemu", "--port", str(port), "--bot-token", "xoxb-mine"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.strip() == f"slackemu UI:      http://127.0.0.1:{port}/"
        request = Request(
            f"http://127.0.0.1:{port}/api/auth.test",
            headers={"Authorization": "Bearer xoxb-mine"},
            method="POST",
        )
        with urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["ok"] is True
        wrong = Request(
            f"http://127.0.0.1:{port}/api/auth.test",
            headers={"Authorization": "Bearer xoxb-local"},
            method="POST",
        )
        with urlopen(wrong, timeout=5) as response:
            assert json.loads(response.read())["error"] == "invalid_auth"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode == 0
