"""Helpers of the tap-conviva-sessions tests: the pinned emulator clock, the emulator, the
settings that point the tap at it (import as ``from conviva_sessions.helpers import ...``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from testkit import PgTarget, TapOutput, run_cli, tap_executable

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


@dataclass
class Syncs:
    """Syncs of the tap's command line run one after the other, each fed the state the one
    before wrote, each loaded into PostgreSQL (upsert on the streams' keys) as a pipeline would."""

    pg: PgTarget
    tmp_path: Path
    state: dict[str, Any] | None = None
    runs: list[TapOutput] = field(default_factory=list)

    def run(self, config: dict[str, Any], streams: Iterable[str], **options: Any) -> TapOutput:
        run = run_cli(TAP_EXE, config, self.tmp_path, streams=streams, state=self.state, **options)
        self.pg.load(run, self.tmp_path)
        self.state = run.state or self.state
        self.runs.append(run)
        return run


def iso_ms(moment: datetime) -> str:
    """A moment as the tap writes windows and bookmarks (``YYYY-MM-DDTHH:MM:SS.mmmZ``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def owed_of(run: TapOutput, stream: str) -> list[dict[str, Any]]:
    """The stream's owed items in the run's last state ([] when none)."""
    return list(run.state.get("bookmarks", {}).get(stream, {}).get("owed", []))


#: One request at a time, for tests whose faults hit the n-th request the API receives: then the
#: n-th request is the n-th window, and its retries the requests that follow it.
ONE_AT_A_TIME: dict[str, Any] = {"max_concurrent_requests": 1}
