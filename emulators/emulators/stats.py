"""How many answers an emulator gave to vendor paths, by HTTP status (``GET /_emulator/stats``).

The benchmark reads them to see how often a tap was throttled: ``throttled`` counts every 429,
whether the vendor's rate limiter or an armed fault answered it. A dropped connection (the
``drop`` fault) is a request without an answer: it counts in ``requests`` and in no status.
"""

from __future__ import annotations

import threading
from collections import Counter

THROTTLED = 429


class AnswerStats:
    """Thread-safe counts of the answers, zeroed by :meth:`clear`."""

    def __init__(self) -> None:
        self._requests = 0
        self._statuses: Counter[int] = Counter()
        self._lock = threading.Lock()

    def count(self, status: int | None) -> None:
        """One more request answered with ``status`` (None: dropped without an answer)."""
        with self._lock:
            self._requests += 1
            if status is not None:
                self._statuses[status] += 1

    def snapshot(self) -> dict[str, object]:
        """``{"requests": N, "throttled": M, "statuses": {"200": n, "429": m, ...}}``."""
        with self._lock:
            return {
                "requests": self._requests,
                "throttled": self._statuses[THROTTLED],
                "statuses": {str(code): n for code, n in sorted(self._statuses.items())},
            }

    def clear(self) -> None:
        with self._lock:
            self._requests = 0
            self._statuses.clear()
