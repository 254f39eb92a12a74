"""What one benchmark case is: a tap, the stream it reads, its emulator's data, its floor, goals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: A JSON tap's records per CPU-second, at least this fraction of its floor's (issue 10).
JSON_FLOOR_RATIO_GOAL = 0.7
#: At the bench's latency, the share of the documented request rate a tap should reach...
DOCUMENTED_RATE_SHARE_GOAL = 0.8
#: ...or this many times its own rate with one request at a time, whichever is lower.
CONCURRENCY_SPEEDUP_GOAL = 5.0


@dataclass
class BenchCase:
    name: str
    #: Short enough for the tables' first column.
    label: str
    vendor: str
    tap: str
    #: The streams selected; the first is the one the floor's RECORD lines name.
    streams: list[str]
    config: Callable[[str], dict[str, Any]]
    #: ``module:function`` yielding the floor's records from the emulator's URL.
    floor: str
    #: create_app options of the vendor's emulator (``python -m emulators serve --options``).
    emulator_options: dict[str, Any] = field(default_factory=dict)
    #: The vendor's documented request rate (requests/s): the case also runs at the bench's
    #: latency, with the tap's default concurrency and with one request at a time.
    documented_rate: float | None = None
    #: The tap's records per CPU-second over the floor's should reach this.
    floor_ratio_goal: float | None = None
    #: create_app options that lift the vendor's rate limits, for the runs at 0 ms (see
    #: run_case: the cost per record is measured with neither side waiting).
    unthrottled_options: dict[str, Any] = field(default_factory=dict)

    @property
    def stream(self) -> str:
        return self.streams[0]


def request_rate_goal(documented: float, one_at_a_time: float | None) -> float:
    """min(0.8 x documented, 5 x the same tap with concurrency 1); the documented share alone
    when the run at concurrency 1 gave no figure."""
    share = DOCUMENTED_RATE_SHARE_GOAL * documented
    if one_at_a_time is None:
        return share
    return min(share, CONCURRENCY_SPEEDUP_GOAL * one_at_a_time)
