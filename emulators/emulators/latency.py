"""How long an emulator holds each answer on its way back, to play a server across the internet.

Each answer to a vendor path waits ``base + uniform(0, spread)`` seconds after the app has
handled the request. The draws come from a generator seeded per server, so two runs with the
same seed draw the same sequence of delays.
"""

from __future__ import annotations

import random
import threading


class Latency:
    """The delay of each answer: ``base`` seconds plus up to ``spread`` more, drawn uniformly."""

    def __init__(self, base: float = 0.0, spread: float = 0.0, seed: object = 0) -> None:
        if base < 0 or spread < 0:
            raise ValueError(f"latency and its spread must be >= 0, not {base!r} and {spread!r}")
        self.base = float(base)
        self.spread = float(spread)
        self.seed = seed  # Latency(base, spread, seed) again draws the same sequence
        self._random = random.Random(f"latency:{seed}")
        # Only the draw is locked (the generator's state); the sleep is the caller's.
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self.base > 0 or self.spread > 0

    def draw(self) -> float:
        """The next answer's delay in seconds."""
        if self.spread == 0:
            return self.base
        with self._lock:
            return self.base + self._random.uniform(0, self.spread)
