"""Keep a call within Vbrick's pace for it (real-time attendees: 2 a minute)."""

from __future__ import annotations

import logging
import threading
import time


class Pacer:
    """Spaces successive calls at least ``interval`` seconds apart (shared by every webcast)."""

    def __init__(self) -> None:
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self, interval: float, logger: logging.Logger, what: str) -> None:
        with self._lock:
            if self._last is not None:
                delay = self._last + interval - time.monotonic()
                if delay > 0:
                    logger.info(
                        "Waiting %.1f s before the next %s call (Vbrick's pace)", delay, what
                    )
                    time.sleep(delay)
            self._last = time.monotonic()
