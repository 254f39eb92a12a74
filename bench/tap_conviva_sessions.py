"""tap-conviva-sessions: content sessions from the Conviva emulator, walked in windows, beside
the same windows fetched and decoded with requests + json (the same walk, no SDK).

Cases: 100,000 sessions over 3 days (no window full at one minute, so every session arrives),
and the issue's "done when" day: 50,000 sessions in 24 hours, three hours far above the limit.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bench.common import BenchCase
from tap_conviva_sessions.windows import WindowWalk, utc_iso

# One "now" for the emulator, the tap and the floor (a child process inherits it).
NOW = int(os.environ.setdefault("CONVIVA_BENCH_NOW", str(int(time.time()) // 3600 * 3600 - 3600)))
LIMIT = 500
CREDENTIALS = ("emulator-client", "emulator-secret")


def _range(hours: int) -> tuple[datetime, datetime]:
    end = datetime.fromtimestamp(NOW, UTC)
    return end - timedelta(hours=hours), end


def _config(hours: int) -> Any:
    start, end = _range(hours)

    def config(url: str) -> dict[str, Any]:
        return {
            "client_id": CREDENTIALS[0],
            "client_secret": CREDENTIALS[1],
            "api_url": f"{url}/insights/3.0",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "page_size": LIMIT,
        }

    return config


def _walk(url: str, hours: int) -> int:
    """The tap's walk in plain code: split full windows, count each session once."""
    start, end = _range(hours)
    http = requests.Session()
    http.auth = CREDENTIALS
    walk = WindowWalk(start, end, timedelta(minutes=180))
    seen: set[str] = set()
    for window in walk:
        params: dict[str, str | int] = {
            "start_date": utc_iso(window.start),
            "end_date": utc_iso(window.end),
            "limit": LIMIT,
        }
        answer = http.get(f"{url}/insights/3.0/sessions/content", params=params, timeout=60)
        sessions = answer.json()["sessions"]
        if len(sessions) >= LIMIT and walk.split(window):
            continue
        walk.completed(window, len(sessions), LIMIT)
        seen.update(s["conviva_session_id"] for s in sessions)
    return len(seen)


def floor_three_days(url: str) -> int:
    return _walk(url, 72)


def floor_busy_day(url: str) -> int:
    return _walk(url, 24)


CASES = [
    BenchCase(
        name="tap-conviva-sessions content_sessions 100k/3d",
        vendor="conviva",
        tap="tap-conviva-sessions",
        streams=["content_sessions"],
        config=_config(72),
        floor="bench.tap_conviva_sessions:floor_three_days",
        emulator_options={"size": 100_000, "history_hours": 72, "busy_hours": 0, "now": NOW},
    ),
    BenchCase(
        name="tap-conviva-sessions content_sessions busy day",
        vendor="conviva",
        tap="tap-conviva-sessions",
        streams=["content_sessions"],
        config=_config(24),
        floor="bench.tap_conviva_sessions:floor_busy_day",
        emulator_options={"size": 50_000, "history_hours": 24, "busy_hours": 3, "now": NOW},
    ),
]
