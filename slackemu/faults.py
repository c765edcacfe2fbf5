"""Fault injection for the stand-in's Web API: counted or time-windowed, per method, clearable.

Two ways to plan a fault, which can be mixed:
- counted: the next N calls of a method fail, stall or lose their connection
  (`fail`, `delay`, `drop` with `times=`);
- windowed: for the next S seconds every call of a method (or of every method, `"*"`)
  answers an outage status, a 429 with `Retry-After`, or is answered late
  (`outage`, `rate_limit`, `slow` with `seconds=`).

`clear()` (all) or `clear(method)` ends them at once, as when Slack comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

ANY_METHOD = "*"


@dataclass
class Fault:
    """One planned failure: what happens (`kind`) and for how long or how many calls."""

    kind: str  # "status" | "delay" | "drop"
    remaining: int  # calls left to spoil; -1 for a time window
    status: int = 500
    seconds: float = 0.0  # how late a "delay" answers
    error: str = "internal_error"
    retry_after: int | None = None  # sent as Retry-After with the status
    until: float | None = None  # time.monotonic() at which a window ends
    hits: int = 0  # calls it has spoiled so far

    def live(self, now: float) -> bool:
        if self.until is not None:
            return now < self.until
        return self.remaining > 0

    def headers(self) -> dict[str, str]:
        """Extra response headers (Retry-After on a 429)."""
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}

    def describe(self, method: str, now: float) -> dict[str, Any]:
        shown = {k: v for k, v in asdict(self).items() if k != "until"}
        left = None if self.until is None else round(max(0.0, self.until - now), 3)
        return {"method": method, "seconds_left": left, **shown}


@dataclass
class Faults:
    """The planned failures of every Web API method, checked once per call."""

    planned: dict[str, list[Fault]] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic

    # --- counted ----------------------------------------------------------------------
    def fail(
        self,
        method: str,
        times: int = 1,
        status: int = 500,
        error: str = "internal_error",
        retry_after: int | None = None,
    ) -> None:
        """The next `times` calls answer HTTP `status` (5xx by default)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self._plan(method, Fault("status", times, status, error=error, retry_after=retry_after))

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls are carried out at once but answered only after `seconds`."""
        self._plan(method, Fault("delay", times, seconds=seconds))

    def drop(self, method: str, times: int = 1) -> None:
        """The next `times` calls have their connection closed without an answer."""
        self._plan(method, Fault("drop", times))

    # --- windowed ---------------------------------------------------------------------
    def outage(
        self,
        method: str = ANY_METHOD,
        seconds: float = 60.0,
        status: int = 503,
        error: str = "service_unavailable",
    ) -> None:
        """For `seconds`, every call of `method` answers `status` and does nothing."""
        self._plan(method, self._window("status", seconds, status=status, error=error))

    def rate_limit(
        self, method: str = ANY_METHOD, seconds: float = 30.0, retry_after: int = 1
    ) -> None:
        """For `seconds`, every call of `method` answers 429 with `Retry-After: retry_after`."""
        self._plan(
            method,
            self._window(
                "status", seconds, status=429, error="ratelimited", retry_after=retry_after
            ),
        )

    def slow(self, method: str = ANY_METHOD, seconds: float = 30.0, by: float = 1.0) -> None:
        """For `seconds`, every call of `method` is carried out at once but answered `by` late."""
        self._plan(method, self._window("delay", seconds, seconds_late=by))

    # --- bookkeeping ------------------------------------------------------------------
    def clear(self, method: str | None = None) -> None:
        """End every planned fault (or those of `method`) now."""
        if method is None:
            self.planned.clear()
        else:
            self.planned.pop(method, None)

    def active(self) -> list[dict[str, Any]]:
        """The faults still to come, as JSON-ready dictionaries."""
        now = self.clock()
        return [
            fault.describe(method, now)
            for method, queue in self.planned.items()
            for fault in queue
            if fault.live(now)
        ]

    def next_for(self, method: str) -> Fault | None:
        """The fault to apply to this call, if any (and count it)."""
        now = self.clock()
        for key in (method, ANY_METHOD):
            queue = self.planned.get(key, [])
            while queue and not queue[0].live(now):
                queue.pop(0)
            # A window does not block counted faults planned after it: take the first live one.
            for fault in queue:
                if fault.live(now):
                    if fault.until is None:
                        fault.remaining -= 1
                    fault.hits += 1
                    return fault
        return None

    def _plan(self, method: str, fault: Fault) -> None:
        self.planned.setdefault(method, []).append(fault)

    def _window(
        self,
        kind: str,
        seconds: float,
        *,
        status: int = 500,
        error: str = "internal_error",
        retry_after: int | None = None,
        seconds_late: float = 0.0,
    ) -> Fault:
        return Fault(
            kind,
            -1,
            status=status,
            seconds=seconds_late,
            error=error,
            retry_after=retry_after,
            until=self.clock() + seconds,
        )


def plan_from_json(faults: Faults, data: dict[str, Any]) -> None:
    """Plan a fault described as `{"fault": "outage", "method": "*", "options": {...}}`."""
    plans: dict[str, Callable[..., None]] = {
        "fail": faults.fail,
        "delay": faults.delay,
        "drop": faults.drop,
        "outage": faults.outage,
        "rate_limit": faults.rate_limit,
        "slow": faults.slow,
    }
    kind = data.get("fault")
    if kind == "clear":
        faults.clear(data.get("method"))
        return
    if kind not in plans:
        raise LookupError(f"unknown fault {kind!r}; one of {', '.join(sorted(plans))}, clear")
    plans[kind](data.get("method", ANY_METHOD), **data.get("options", {}))
