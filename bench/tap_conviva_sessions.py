"""tap-conviva-sessions: content sessions from the Conviva emulator, walked in windows, beside
the same windows fetched and decoded with requests + json (the windows the tap asked for, read
from the emulator's request log: the floor needs nothing of the tap's code).

Cases: 100,000 sessions over 3 days (no window full at one minute, so every session arrives),
and the issue's "done when" day: 50,000 sessions in 24 hours, three hours far above the limit.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bench.case import JSON_FLOOR_RATIO_GOAL, BenchCase
from bench.floor_http import floor_session

# One "now" for the emulator, the tap and the floor (a child process inherits it): yesterday at
# 08:00 UTC, as the tests pin it. The emulated traffic follows the hour of the day; at some hours
# a busy minute holds more sessions than one answer, and the figures would change with the hour.
_YESTERDAY_8 = (int(time.time()) // 86400 - 1) * 86400 + 8 * 3600
NOW = int(os.environ.setdefault("CONVIVA_BENCH_NOW", str(_YESTERDAY_8)))
LIMIT = 500
CREDENTIALS = ("emulator-client", "emulator-secret")
# Conviva's documented limit: 3000 requests per 300 seconds.
DOCUMENTED_RATE = 3000 / 300


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


def floor_replay(url: str) -> Iterator[dict[str, Any]]:
    """The windows the tap asked for (the emulator's request log), fetched and decoded again
    with requests + json: the same pages, each session yielded once."""
    log = requests.get(f"{url}/_emulator/requests", timeout=60).json()
    windows = [r["query"] for r in log if r["path"].endswith("/sessions/content")]
    http = floor_session()
    http.auth = CREDENTIALS
    seen: set[str] = set()
    for query in windows:
        params = {name: values[0] for name, values in query.items()}
        answer = http.get(f"{url}/insights/3.0/sessions/content", params=params, timeout=60)
        for session in answer.json()["sessions"]:
            if session["conviva_session_id"] not in seen:
                seen.add(session["conviva_session_id"])
                yield session


CASES = [
    BenchCase(
        name="tap-conviva-sessions content_sessions 100k/3d",
        label="conviva sessions 100k/3d",
        vendor="conviva",
        tap="tap-conviva-sessions",
        streams=["content_sessions"],
        config=_config(72),
        floor="bench.tap_conviva_sessions:floor_replay",
        emulator_options={"size": 100_000, "history_hours": 72, "busy_hours": 0, "now": NOW},
        documented_rate=DOCUMENTED_RATE,
        unthrottled_options={"rate_limit": None},
        floor_ratio_goal=JSON_FLOOR_RATIO_GOAL,
    ),
    BenchCase(
        name="tap-conviva-sessions content_sessions busy day",
        label="conviva sessions busy day",
        vendor="conviva",
        tap="tap-conviva-sessions",
        streams=["content_sessions"],
        config=_config(24),
        floor="bench.tap_conviva_sessions:floor_replay",
        emulator_options={"size": 50_000, "history_hours": 24, "busy_hours": 3, "now": NOW},
        documented_rate=DOCUMENTED_RATE,
        unthrottled_options={"rate_limit": None},
        floor_ratio_goal=JSON_FLOOR_RATIO_GOAL,
    ),
]
