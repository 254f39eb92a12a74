"""The webcasts.com parse case: the tap's own parse of one report of a million registrants
beside bare lxml on the same file (``bench/webcasts_parse.py``), each a child process of its
own: wall time, CPU and peak RSS."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

from bench.child_process import ChildRun, run_child
from bench.measure import Measured

PARSE_MODULE = "bench.webcasts_parse"
REGISTRANTS = 1_000_000
#: The tap's parse at least this fraction of bare lxml's rate, within this peak RSS (issue 10).
RATE_RATIO_GOAL = 0.5
PEAK_RSS_GOAL_MB = 150.0


@dataclass
class ParseResult:
    registrants: int
    tap: Measured
    lxml: Measured
    unavailable: str | None = None

    @property
    def rate_ratio(self) -> float | None:
        if not (self.tap.ok and self.lxml.ok):
            return None
        assert self.tap.run is not None
        assert self.lxml.run is not None
        return self.tap.run.rate / self.lxml.run.rate if self.lxml.run.rate else None


def _parse(mode: str, registrants: int) -> Measured:
    run: ChildRun = run_child([sys.executable, "-m", PARSE_MODULE, mode, str(registrants)])
    if run.exit_code != 0:
        return Measured(run, failure=f"exited {run.exit_code}: {run.last_stderr_line}")
    try:  # the one line it prints: the records it parsed
        run.records = int(run.last_stdout_line)
    except ValueError:
        return Measured(run, failure=f"printed {run.last_stdout_line!r}, not a count")
    return Measured(run)


def run_parse_case(registrants: int = REGISTRANTS) -> ParseResult:
    try:
        module = importlib.import_module(PARSE_MODULE)
    except ImportError as exc:
        missing = Measured(failure="not available")
        return ParseResult(registrants, missing, missing, unavailable=str(exc))
    # The report is rendered (and cached on disk) before either timed run, so neither pays.
    module.ensure_report(registrants)
    return ParseResult(registrants, _parse("tap", registrants), _parse("lxml", registrants))
