"""`casebridge run --workers N`: N worker processes on one port, restarted if one dies.

The kernel spreads new connections over the workers (SO_REUSEPORT). The customer's page
talks WebSocket first, one connection per socket, so no stickiness is needed; pages that
fall back to long-polling need a balancer with sticky sessions (docs/balancer.md).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from bridge.settings import Settings

RESTART_PAUSE = 1.0


def why_not_several(settings: Settings, workers: int) -> str | None:
    """The one line that stops N workers from starting, or None when they can."""
    if workers < 2:
        return None
    if not settings.database_url.startswith("postgresql"):
        return "--workers needs PostgreSQL (DATABASE_URL): SQLite serves one process"
    if settings.redis_url is None:
        return "--workers needs REDIS_URL: workers share pushes and limits through Redis"
    return None


def run_workers(workers: int, worker_args: Sequence[str]) -> int:
    """Start the workers, restart any that dies, stop them all on SIGINT/SIGTERM."""
    command = [sys.executable, "-m", "bridge", "run", "--reuse-port", *worker_args]
    children: list[subprocess.Popen[bytes]] = [subprocess.Popen(command) for _ in range(workers)]
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        for index, child in enumerate(children):
            if child.poll() is not None and not stopping:
                print(f"casebridge: worker {child.pid} ended ({child.returncode}); restarting")
                time.sleep(RESTART_PAUSE)
                children[index] = subprocess.Popen(command)
        time.sleep(0.2)  # a supervisor's poll of its children, not synchronisation
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0
