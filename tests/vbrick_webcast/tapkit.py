"""Run tap-vbrick-webcast in-process against the emulator and read what it wrote."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

from emulators import EmulatorServer
from emulators.vbrick.data import Catalog
from tap_vbrick_webcast.tap import TapVbrickWebcast

API_KEY = "emulator-api-key"
SECRET = "emulator-secret"
START_DATE = "2020-01-01T00:00:00Z"
REPORT_STREAMS = (
    "webcast_attendee_sessions",
    "webcast_attendance_summary",
    "webcast_realtime_attendees",
    "webcast_comments",
    "webcast_poll_results",
    "webcast_questions",
)
KEYS = {
    "webcasts": ("id",),
    "webcast_attendee_sessions": ("eventId", "runNumber", "sessionKey"),
    "webcast_attendance_summary": ("eventId", "runNumber"),
    "webcast_realtime_attendees": ("eventId", "runNumber", "SessionId"),
    "webcast_comments": ("eventId", "runNumber", "commentId"),
    "webcast_poll_results": ("eventId", "runNumber", "id"),
    "webcast_questions": ("eventId", "runNumber", "questionId"),
}


def config_for(server: EmulatorServer, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "api_url": server.url,
        "api_key": API_KEY,
        "secret": SECRET,
        "start_date": START_DATE,
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


@dataclass
class SyncResult:
    messages: list[dict[str, Any]] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def records(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in self.messages:
            if message["type"] == "RECORD":
                out[message["stream"]].append(message["record"])
        return out

    @property
    def last_state(self) -> dict[str, Any] | None:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else None

    def bookmark(self, stream: str = "webcasts") -> Any:
        state = self.last_state or {}
        return state.get("bookmarks", {}).get(stream, {}).get("replication_key_value")


def run_sync(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    *,
    deselect: tuple[str, ...] = (),
    expect_error: bool = False,
) -> SyncResult:
    """One sync; an exception is kept on the result (and re-raised unless expected)."""
    result = SyncResult()
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    try:
        with redirect_stdout(buffer):
            tap = TapVbrickWebcast(config=config, state=state or {})
            for name in deselect:
                tap.streams[name].selected = False
            tap.sync_all()
    except Exception as exc:
        result.error = exc
        if not expect_error:
            raise
    finally:
        buffer.flush()
        buffer.seek(0)
        result.messages = [json.loads(line) for line in buffer.read().splitlines() if line]
    if expect_error and result.error is None:
        raise AssertionError("the sync was expected to fail but succeeded")
    return result


def duplicates(records: list[dict[str, Any]], key: tuple[str, ...]) -> list[tuple]:
    seen: set[tuple] = set()
    dups = []
    for record in records:
        value = tuple(record.get(k) for k in key)
        if value in seen:
            dups.append(value)
        seen.add(value)
    return dups


def catalog(server: EmulatorServer) -> Catalog:
    return Catalog(server.state)


def listed_webcasts(server: EmulatorServer, now: float | None = None) -> list[Any]:
    """The webcasts a search up to ``now`` (default: the emulator's clock) finds."""
    cat = catalog(server)
    now = server.state.now() if now is None else now
    return [cat.webcast(i) for i in range(cat.size) if cat.start_of(i) <= now]


def expected_counts(server: EmulatorServer, runs: tuple[int, ...] = (0,)) -> dict[str, int]:
    """What a full sync of the emulator's listed webcasts must emit, stream by stream."""
    cat = catalog(server)
    webcasts = listed_webcasts(server)
    counts = {"webcasts": len(webcasts)}
    counts["webcast_attendee_sessions"] = sum(
        cat.session_count(w, r) for w in webcasts for r in runs
    )
    counts["webcast_attendance_summary"] = len(webcasts) * len(runs)
    counts["webcast_comments"] = sum(len(cat.comments(w, r)) for w in webcasts for r in runs)
    counts["webcast_poll_results"] = sum(len(cat.polls(w, r) or []) for w in webcasts for r in runs)
    counts["webcast_questions"] = sum(len(cat.questions(w, r)) for w in webcasts for r in runs)
    return counts
