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
#: How a broken answer breaks (the switches ``broken_windows``, ``broken_viewers``,
#: ``broken_dimensions``): HTTP 503; HTTP 503 with ``Retry-After: 1`` (the service says it is
#: unavailable for a while); an HTTP 200 JSON body without the documented list (``sessions``,
#: ``total``, ``dimensions``); an HTTP 200 HTML page (a proxy's).
BROKEN_ANSWERS = ("503", "unavailable", "wrong_shape", "html")
#: How the discovery endpoint may answer (``discovery_shape``): the paths the account may use
#: (the tap's reading); names without paths; every endpoint of the API, each with an ``enabled``
#: flag (an index that lists what the account does not have too).
DISCOVERY_SHAPES = ("paths", "names", "index")
#: Which sessions a time range returns (``range_by``): those overlapping it (the tap's reading),
#: or those that started in it.
RANGE_READINGS = ("overlap", "start")


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
        rate_limit: tuple[int, float] | None,
        saved_filters: dict[str, dict[str, list[str]]] | None,
        answer_cap: int | None = None,
        range_by: str = "overlap",
        discovery_shape: str = "paths",
        busy_viewers: dict[str, int] | None = None,
    ) -> None:
        if range_by not in RANGE_READINGS:
            raise ValueError(f"range_by must be one of {RANGE_READINGS}, not {range_by!r}")
        if discovery_shape not in DISCOVERY_SHAPES:
            raise ValueError(
                f"discovery_shape must be one of {DISCOVERY_SHAPES}, not {discovery_shape!r}"
            )
        self.seed = seed
        self.now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        self.client_id = client_id
        self.client_secret = client_secret
        self.ad_insights = ad_insights
        self.viewer_module = viewer_module
        self.max_limit = max_limit
        self.max_response_sessions = max_response_sessions
        self.rate_limiter = RateLimiter(*rate_limit) if rate_limit is not None else None
        self.saved_filters = (
            saved_filters
            if saved_filters is not None
            else {"9876543210": {"device_os": ["Android", "iOS"], "isp": ["Comcast"]}}
        )
        # The other plausible answers of the real API (tests flip these between syncs):
        #: Sample answers silently hold at most this many sessions, whatever the limit asked.
        self.answer_cap = answer_cap
        #: Which sessions a time range returns: "overlap" or "start" (RANGE_READINGS).
        self.range_by = range_by
        #: How the discovery endpoint answers (DISCOVERY_SHAPES).
        self.discovery_shape = discovery_shape
        #: Viewers with this many sessions a day (others have 0 to 3).
        self.busy_viewers = dict(busy_viewers or {})
        #: Sample requests whose range holds one of these instants (epoch ms) answer broken
        #: (BROKEN_ANSWERS), retries included, until the entry is removed.
        self.broken_windows: dict[int, str] = {}
        #: Viewer requests (sessions and summary) for these viewer ids or IPs answer broken.
        self.broken_viewers: dict[str, str] = {}
        #: The dimensions endpoint answers broken (one of BROKEN_ANSWERS) while set.
        self.broken_dimensions: str | None = None
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
        """Ended sessions overlapping ``[start_ms, end_ms)`` (or starting in it, with
        ``range_by="start"``) that pass the filter (with the full record when the filter had to
        build it)."""
        found: list[tuple[Skeleton, dict[str, Any] | None]] = []
        traffic = self.traffic[kind]
        select = traffic.starting if self.range_by == "start" else traffic.overlapping
        for skeleton in select(start_ms, end_ms, self.now_ms):
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

    def broken_window(self, start_ms: int, end_ms: int) -> str | None:
        """How a sample answer for ``[start_ms, end_ms)`` breaks (None: it does not)."""
        for instant, how in self.broken_windows.items():
            if start_ms <= instant < end_ms:
                return how
        return None

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
            count = r.randrange(0, 4)
            for index in range(self.busy_viewers.get(viewer_id, count)):
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
