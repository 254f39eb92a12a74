"""Which sessions exist: per-minute counts over the account's history, and each session's
start and end, generated per minute bucket from (seed, kind, minute).

A session is "in" a time range when it overlaps it (it started before the range ends and ended
at or after the range starts), so a session that crosses a window boundary comes back in both
windows, as a real sample over overlapping activity does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from emulators import datagen

MINUTE_MS = 60_000
#: The longest session the emulator makes; windows look back this far for sessions still running.
MAX_DURATION_MS = 60 * MINUTE_MS


@dataclass(frozen=True)
class Skeleton:
    """The cheap part of a session: enough to place it in time and find its full record."""

    minute: int  # epoch minute the session started in
    index: int  # its rank among the sessions starting in that minute
    start_ms: int
    end_ms: int


class Traffic:
    """Sessions of one kind (content or ad) over ``[history_start, now)``.

    Minute weights follow a daily curve, and ``busy_hours`` hours (chosen from the seed) carry
    ``busy_factor`` times the traffic. Counts are allocated so that they add up to ``size``
    exactly; only the per-minute counts (one int per minute of history) are held in memory.
    """

    def __init__(
        self,
        *,
        seed: int,
        kind: str,
        size: int,
        now_ms: int,
        history_hours: int,
        busy_hours: int,
        busy_factor: float,
    ) -> None:
        self.seed = seed
        self.kind = kind
        self.end_minute = now_ms // MINUTE_MS
        self.first_minute = self.end_minute - history_hours * 60
        minutes = self.end_minute - self.first_minute
        hours = max(1, history_hours)
        busy = {datagen.stable_int(seed, kind, "busy", i) % hours for i in range(busy_hours)}
        weights = []
        for m in range(minutes):
            minute = self.first_minute + m
            hour_of_day = (minute // 60) % 24
            weight = 1.0 + 0.6 * math.sin((hour_of_day - 9) / 24 * 2 * math.pi)
            if m // 60 in busy:
                weight *= busy_factor
            weights.append(weight)
        total = sum(weights) or 1.0
        self.counts: list[int] = []
        acc = 0.0
        allocated = 0
        for weight in weights:
            acc += weight
            upto = round(acc * size / total)
            self.counts.append(upto - allocated)
            allocated = upto
        self._minute_cache = lru_cache(maxsize=8192)(self._minute)

    def count(self, minute: int) -> int:
        offset = minute - self.first_minute
        if 0 <= offset < len(self.counts):
            return self.counts[offset]
        return 0

    def _minute(self, minute: int) -> tuple[Skeleton, ...]:
        count = self.count(minute)
        if not count:
            return ()
        rand = datagen.rng(self.seed, self.kind, "minute", minute)
        sessions = []
        for index in range(count):
            start = minute * MINUTE_MS + rand.randrange(MINUTE_MS)
            # Mostly short sessions (exits, clips), a long tail of episodes, capped at an hour.
            duration = min(MAX_DURATION_MS, 1000 + int(rand.expovariate(1 / 180_000)))
            sessions.append(Skeleton(minute, index, start, start + duration))
        return tuple(sessions)

    def minute(self, minute: int) -> tuple[Skeleton, ...]:
        return self._minute_cache(minute)

    def starting(self, start_ms: int, end_ms: int, ended_by_ms: int) -> list[Skeleton]:
        """Sessions that started in ``[start_ms, end_ms)`` and had ended by ``ended_by_ms`` (the
        other plausible reading of a time range: the ``range_by="start"`` switch)."""
        first = max(self.first_minute, start_ms // MINUTE_MS)
        last = min(self.end_minute - 1, (end_ms - 1) // MINUTE_MS)
        return [
            s
            for minute in range(first, last + 1)
            for s in self.minute(minute)
            if start_ms <= s.start_ms < end_ms and s.end_ms <= ended_by_ms
        ]

    def overlapping(self, start_ms: int, end_ms: int, ended_by_ms: int) -> list[Skeleton]:
        """Sessions that overlap ``[start_ms, end_ms)`` and had ended by ``ended_by_ms``."""
        first = max(self.first_minute, (start_ms - MAX_DURATION_MS) // MINUTE_MS)
        last = min(self.end_minute - 1, (end_ms - 1) // MINUTE_MS)
        found = []
        for minute in range(first, last + 1):
            for s in self.minute(minute):
                if s.start_ms < end_ms and s.end_ms >= start_ms and s.end_ms <= ended_by_ms:
                    found.append(s)
        return found
