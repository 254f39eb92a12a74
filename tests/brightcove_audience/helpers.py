"""Constants and config builders for tap-brightcove-audience's tests (imported as
``from brightcove_audience.helpers import ...``); the tap runs through testkit's run_tap and
run_cli."""

from __future__ import annotations

from typing import Any

ACCOUNTS = ["1486906377", "57838016001"]
CLIENT_ID = "emulator-client"
CLIENT_SECRET = "emulator-secret"
TAP = "tap-brightcove-audience"
#: Retries 100 times faster than by default (Retry-After is still honoured).
FAST_RETRIES: dict[str, Any] = {"retry_initial_wait_seconds": 0.01}
#: One request at a time, for tests whose faults hit the n-th request the API receives: then the
#: n-th request is the n-th page, and its retries the requests that follow it.
ONE_AT_A_TIME: dict[str, Any] = {"max_concurrent_requests": 1}


def tap_config(url: str, **overrides: Any) -> dict[str, Any]:
    """The emulator's credentials and both accounts; an override of None drops the setting."""
    config: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "account_ids": ACCOUNTS,
        "start_date": "2026-01-01",
        "api_url": f"{url}/v1",
        "oauth_url": f"{url}/v4/access_token",
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}
