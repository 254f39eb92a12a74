"""The Audience API's rate limits: 50 requests a second per account and per client IP.

A sliding window of one second over the calls it let through, counted when they arrive. A call
refused with 429 does not count, so a client that waits the ``Retry-After: 1`` it was told gets
through, and one that keeps to the limit is never refused.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: The documented limit, per account and per IP (api-docs README: "50 requests/second").
DOCUMENTED_PER_SECOND = 50


class SlidingWindow:
    """At most ``limit`` admitted calls per key within any ``seconds``. ``clock`` is a test's
    handle: freeze it and a burst lands in one window however slow the machine."""

    def __init__(self, seconds: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, limit: int | None) -> bool:
        """Count this call and say yes, or say no when ``limit`` calls already came within the
        window (``limit`` None: no limit)."""
        if limit is None:
            return True
        now = self.clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - self.seconds:
                calls.popleft()
            if len(calls) >= limit:
                return False
            calls.append(now)
            return True

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
