"""Repeated log lines are counted, not written: one flood must not fill the disk.

Each kind of message (logger, level, format string) may be written a few times per window;
the rest are dropped and the next line written says how many were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Window:
    start: float
    written: int = 0
    dropped: int = 0


@dataclass
class RepeatLimit(logging.Filter):
    """A handler filter: at most `per_window` records of one kind each `window` seconds."""

    per_window: int = 20
    window: float = 10.0
    clock: Callable[[], float] = time.monotonic
    _windows: dict[tuple[str, int, str], _Window] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a repeat over the limit; a kept record mentions the repeats dropped."""
        now = self.clock()
        key = (record.name, record.levelno, _kind(record))
        window = self._windows.get(key)
        if window is None or now - window.start >= self.window:
            if len(self._windows) > 5_000:
                self._windows = {
                    k: w for k, w in self._windows.items() if now - w.start < self.window
                }
            dropped = window.dropped if window else 0
            window = self._windows[key] = _Window(now)
            if dropped:
                record.msg = f"{record.msg} [{dropped} more like this were not logged]"
        if window.written >= self.per_window:
            window.dropped += 1
            return False
        window.written += 1
        return True


def _kind(record: logging.LogRecord) -> str:
    """What makes two records "the same": the format string, or an access line's path."""
    request_line = getattr(record, "first_request_line", None)
    if isinstance(request_line, str):  # aiohttp's access log formats before logging
        method, _, rest = request_line.partition(" ")
        path = rest.split("?", 1)[0].split(" ", 1)[0]
        return f"{method} {path} {getattr(record, 'response_status', '')}"
    return str(record.msg)[:200]


def limit_repeats(logger: logging.Logger | None = None) -> None:
    """Put a RepeatLimit on every handler of `logger` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RepeatLimit) for f in handler.filters):
            handler.addFilter(RepeatLimit())
