"""tap-brightcove-audience: 100,000 view events of one account, pages of 100."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bench.case import JSON_FLOOR_RATIO_GOAL, BenchCase
from bench.floor_http import floor_session

ACCOUNT = "1486906377"
RECORDS = 100_000
CLIENT = ("emulator-client", "emulator-secret")
# The Audience API's documented limit: 50 requests per second (per account).
DOCUMENTED_RATE = 50.0


def config(url: str) -> dict:
    return {
        "client_id": CLIENT[0],
        "client_secret": CLIENT[1],
        "account_ids": [ACCOUNT],
        "start_date": "2026-01-01",
        "api_url": f"{url}/v1",
        "oauth_url": f"{url}/v4/access_token",
        "page_size": 100,
    }


def floor(url: str) -> Iterator[dict[str, Any]]:
    """The same pages as the tap asks for, fetched and decoded with requests + json."""
    session = floor_session()
    token = session.post(
        f"{url}/v4/access_token",
        auth=CLIENT,
        data={"grant_type": "client_credentials"},
        timeout=30,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    offset = 0
    while True:
        params: dict[str, str | int] = {
            "limit": 100,
            "offset": offset,
            "sort": "updated_at",
            "from": "2026-01-01",
        }
        page = session.get(
            f"{url}/v1/accounts/{ACCOUNT}/view_events", params=params, timeout=30
        ).json()
        yield from page["result"]
        offset += len(page["result"])
        if not page["result"] or offset >= page["count"]:
            return


CASES = [
    BenchCase(
        name="tap-brightcove-audience view_events",
        label="brightcove view_events",
        vendor="brightcove",
        tap="tap-brightcove-audience",
        streams=["view_events"],
        config=config,
        floor="bench.tap_brightcove_audience:floor",
        emulator_options={"size": RECORDS, "accounts": [ACCOUNT]},
        documented_rate=DOCUMENTED_RATE,
        unthrottled_options={"rate_limit": None, "ip_rate_limit": None},
        floor_ratio_goal=JSON_FLOOR_RATIO_GOAL,
    )
]
