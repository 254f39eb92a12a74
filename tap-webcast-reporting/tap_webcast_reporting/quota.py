"""The tap's own count of the report quotas, so that no request is sent that the API would
refuse: at most ``per_hour`` standard reports and 50 expired-event reports in any hour. One
report is in flight at a time because the tap asks for them one after the other."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from tap_webcast_reporting.errors import QuotaReachedError

HOUR = 3600.0
EXPIRED_PER_HOUR = 50


class ReportQuota:
    def __init__(
        self,
        per_hour: int,
        wait_budget: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = {False: per_hour, True: EXPIRED_PER_HOUR}
        self._sent: dict[bool, deque[float]] = {False: deque(), True: deque()}
        self.wait_left = wait_budget
        self._clock = clock
        self._sleep = sleep
        self.stopped: str | None = None  # why report requests ended for this run

    def take(self, expired: bool) -> None:
        """Count one report request; wait for a slot within the budget, else QuotaReachedError."""
        sent = self._sent[expired]
        while True:
            now = self._clock()
            while sent and sent[0] <= now - HOUR:
                sent.popleft()
            if len(sent) < self.limits[expired]:
                sent.append(now)
                return
            wait = sent[0] + HOUR - now
            kind = "expired-event reports" if expired else "reports"
            if wait > self.wait_left:
                raise QuotaReachedError(
                    f"{self.limits[expired]} {kind} an hour reached (a slot frees in {wait:.0f} s, "
                    f"more than the {self.wait_left:.0f} s left to wait)"
                )
            self.pause(wait)

    def pause(self, seconds: float) -> None:
        """Wait out a quota, spending the wait budget."""
        seconds = max(0.0, min(seconds, self.wait_left))
        self.wait_left -= seconds
        self._sleep(seconds)
