"""The page's API limits: one standard report at a time and ``per_hour`` an hour; expired
events through their own request, one at a time, 50 an hour and one per event per 48 hours."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

HOUR = 3600.0
EXPIRED_REPEAT_WINDOW = 48 * HOUR


@dataclass
class Quotas:
    per_hour: int = 1000
    expired_per_hour: int = 50
    _standard: deque[float] = field(default_factory=deque)
    _expired: deque[float] = field(default_factory=deque)
    _expired_last: dict[str, float] = field(default_factory=dict)
    _in_flight: dict[bool, bool] = field(default_factory=lambda: {False: False, True: False})
    _lock: threading.Lock = field(default_factory=threading.Lock)
    concurrent_refusals: int = 0

    def admit(self, event_id: str, expired: bool, now: float) -> int | None:
        """Take a slot for a report (``release`` it when done), or the return code refusing it:
        62 for the hourly limit (and for a second report while one is running: "blocked"),
        61 for an expired event already reported within 48 hours."""
        with self._lock:
            if self._in_flight[expired]:
                self.concurrent_refusals += 1
                return 62
            window = self._expired if expired else self._standard
            while window and window[0] <= now - HOUR:
                window.popleft()
            if len(window) >= (self.expired_per_hour if expired else self.per_hour):
                return 62
            if expired:
                last = self._expired_last.get(event_id)
                if last is not None and now - last < EXPIRED_REPEAT_WINDOW:
                    return 61
                self._expired_last[event_id] = now
            window.append(now)
            self._in_flight[expired] = True
            return None

    def release(self, expired: bool) -> None:
        with self._lock:
            self._in_flight[expired] = False

    def reports_in_last_hour(self, now: float) -> int:
        with self._lock:
            return sum(1 for t in self._standard if t > now - HOUR)
