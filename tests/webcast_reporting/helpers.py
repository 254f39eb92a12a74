"""tap-webcast-reporting's test helpers: its console script, config builders, and the check
that no run ever printed the password (runs go through testkit's ``run_cli``; ``seen`` keeps
each output for the conftest's check)."""

from __future__ import annotations

import json
from typing import Any

from testkit import TapOutput, tap_executable

from emulators.webcasts import DEFAULT_PASSWORD, DEFAULT_USERNAME

TAP = tap_executable("tap-webcast-reporting")
SECRETS_SEEN: list[str] = []  # what every run printed, for the session-wide password check


def config(url: str, **overrides: Any) -> dict[str, Any]:
    base = {
        "username": DEFAULT_USERNAME,
        "password": DEFAULT_PASSWORD,
        "api_url": f"{url}/api",
        "reporting_url": f"{url}/api/reporting",
        "timezone": "America/New_York",
        "retry_initial_wait_seconds": 0.01,
    }
    base.update(overrides)
    return base


def printed(output: TapOutput) -> str:
    """Everything a run wrote: its log lines and its Singer messages."""
    return output.logs + "\n" + "\n".join(json.dumps(m) for m in output.messages)


def seen(output: TapOutput) -> TapOutput:
    """Keep what a run printed for the password check (conftest: after each test; and
    test_secrets: every run of the session), and hand the output on."""
    SECRETS_SEEN.append(printed(output))
    return output
