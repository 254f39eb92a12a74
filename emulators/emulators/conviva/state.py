"""The emulated account: its clock, credentials, entitlements, data and the switches tests flip."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from emulators import datagen
from emulators.conviva import records
from emulators.conviva.traffic import MINUTE_MS, Skeleton, Traffic

DAY_MS = 86_400_000

#: A predicate over a full session record.
SessionFilter = Callable[[dict[str, Any]], bool]


@dataclass
class RateLimiter:
    """The documented budget: ``requests`` per ``seconds`` per client IP, then HTTP 429."""

    requests: int = 3000
    seconds: float = 300.0
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, ip: str) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(ip, deque())
            while seen and seen[0] <= now - self.seconds:
                seen.popleft()
            if len(seen) >= self.requests:
                return False
            seen.append(now)
            return True


class ConvivaState:
    """Everything the app serves from. ``now_ms`` is frozen at creation (tests may set it):
    sessions only exist before it, so a server's data never changes while it runs."""

    def __init__(
        self,
        *,
        seed: int,
        size: int,
        now_ms: int | None,
        history_hours: int,
        busy_hours: int,
        busy_factor: float,
        ad_size: int | None,
        client_id: str,
        client_secret: str,
        ad_insights: bool,
        viewer_module: bool,
        max_limit: int,
        max_response_sessions: int | None,
        rate_limit: tuple[int, float],
        saved_filters: dict[str, dict[str, list[str]]] | None,
    ) -> None:
        self.seed = seed
        self.now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        self.client_id = client_id
        self.client_secret = client_secret
        self.ad_insights = ad_insights
        self.viewer_module = viewer_module
        self.max_limit = max_limit
        self.max_response_sessions = max_response_sessions
        self.rate_limiter = RateLimiter(*rate_limit)
        self.saved_filters = (
            saved_filters
            if saved_filters is not None
            else {"9876543210": {"device_os": ["Android", "iOS"], "isp": ["Comcast"]}}
        )
        self._encoded = lru_cache(maxsize=16_384)(self._encode)
        self.traffic = {
            kind: Traffic(
                seed=seed,
                kind=kind,
                size=kind_size,
                now_ms=self.now_ms,
                history_hours=history_hours,
                busy_hours=busy_hours,
                busy_factor=busy_factor,
            )
            for kind, kind_size in (
                ("content", size),
                ("ad", size // 3 if ad_size is None else ad_size),
            )
        }

    # Sample sessions -------------------------------------------------------------------------

    def matching(
        self, kind: str, start_ms: int, end_ms: int, keep: SessionFilter | None = None
    ) -> list[tuple[Skeleton, dict[str, Any] | None]]:
        """Ended sessions overlapping ``[start_ms, end_ms)`` that pass the filter (with the
        full record when the filter had to build it)."""
        found: list[tuple[Skeleton, dict[str, Any] | None]] = []
        for skeleton in self.traffic[kind].overlapping(start_ms, end_ms, self.now_ms):
            if keep is None:
                found.append((skeleton, None))
                continue
            record = self.record(kind, skeleton)
            if keep(record):
                found.append((skeleton, record))
        return found

    def record(self, kind: str, skeleton: Skeleton) -> dict[str, Any]:
        return records.session(self.seed, kind, skeleton, viewer_module=self.viewer_module)

    def encoded(self, kind: str, skeleton: Skeleton) -> str:
        """A session as JSON text, cached: a client splitting a busy window asks for the same
        sessions again at once."""
        return self._encoded(kind, skeleton)

    def _encode(self, kind: str, skeleton: Skeleton) -> str:
        return json.dumps(self.record(kind, skeleton))

    def session_ids(
        self, kind: str, start_ms: int, end_ms: int, keep: SessionFilter | None = None
    ) -> set[str]:
        """Ground truth for tests: every session id the API holds for that range."""
        ids = set()
        for skeleton, record in self.matching(kind, start_ms, end_ms, keep):
            ids.add((record or self.record(kind, skeleton))["conviva_session_id"])
        return ids

    # Viewer sessions ---------------------------------------------------------------------------

    def ip_owner(self, ip: str) -> str:
        """The viewer whose sessions come from this IP (so an id and an IP may name one viewer)."""
        return f"viewer-{datagen.stable_int(self.seed, 'ip', ip) % 5000:05d}"

    def viewer_sessions(
        self, viewer_id: str, start_ms: int, end_ms: int, ip: str | None = None
    ) -> list[dict[str, Any]]:
        """A viewer's sessions overlapping the range, running ones included (no end yet)."""
        found = []
        first_day = (start_ms - MINUTE_MS * 60) // DAY_MS
        for day in range(first_day, end_ms // DAY_MS + 1):
            r = datagen.rng(self.seed, "viewer", viewer_id, day)
            for index in range(r.randrange(0, 4)):
                start = day * DAY_MS + r.randrange(DAY_MS)
                duration = r.randrange(30_000, 50 * MINUTE_MS)
                skeleton = Skeleton(day, index, start, start + duration)
                if start >= self.now_ms or not (start < end_ms and start + duration >= start_ms):
                    continue
                found.append(
                    records.session(
                        self.seed,
                        f"viewer:{viewer_id}",
                        skeleton,
                        viewer_module=True,
                        viewer_id=viewer_id,
                        ip=ip,
                        ended_by_ms=self.now_ms,
                    )
                )
        found.sort(key=lambda s: s["timestamps"]["start"]["epoch_ms"])
        return found
