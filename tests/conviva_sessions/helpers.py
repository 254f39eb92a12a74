"""Helpers of the tap-conviva-sessions tests: the pinned emulator clock, the emulator, the
settings that point the tap at it (import as ``from conviva_sessions.helpers import ...``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from testkit import TapOutput, tap_executable

from emulators import EmulatorServer

TAP_EXE = tap_executable("tap-conviva-sessions")
SECRET = "emulator-secret"
#: What most tests sync.
CONTENT_SESSIONS = ("content_sessions",)

#: The clock of every Conviva emulator in these tests. The emulated traffic follows the hour of
#: the day (windows are sized from it, busy minutes split), so an unpinned clock makes a test pass
#: at one hour and fail at another. Yesterday at 08:00 UTC: inside the API's 31 days whenever the
#: suite runs, and an hour where no 30-minute window nears the 500-session answer.
PINNED_NOW = (datetime.now(UTC) - timedelta(days=1)).replace(
    hour=8, minute=0, second=0, microsecond=0
)


def conviva_emulator(**options: Any) -> EmulatorServer:
    """A Conviva emulator (not started) whose clock is :data:`PINNED_NOW` unless given."""
    options.setdefault("now", PINNED_NOW.isoformat())
    return EmulatorServer("conviva", **options)


def emulator_now(server: EmulatorServer) -> datetime:
    return datetime.fromtimestamp(server.state.now_ms / 1000, UTC)


def minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def base_config(server: EmulatorServer, **overrides: Any) -> dict[str, Any]:
    """Credentials and URL of the emulator, a 3-hour range ending 10 minutes before its now."""
    end = minute_floor(emulator_now(server)) - timedelta(minutes=10)
    return {
        "client_id": "emulator-client",
        "client_secret": SECRET,
        "api_url": f"{server.url}/insights/3.0",
        "start_date": (end - timedelta(hours=3)).isoformat(),
        "end_date": end.isoformat(),
        **overrides,
    }


def session_ids(run: TapOutput, stream: str = "content_sessions") -> list[str]:
    """The session ids a run wrote for ``stream``, in order."""
    return [r["conviva_session_id"] for r in run.records[stream]]
