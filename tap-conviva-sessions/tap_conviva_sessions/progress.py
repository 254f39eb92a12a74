"""Progress lines in place of the SDK's METRIC lines.

The SDK logs a METRIC line at INFO for every request, every stream sync and every child
context: most of a run's output. ``logging.yaml`` beside this module (the SDK reads the file
named by ``SINGER_SDK_LOG_CONFIG``) sends those lines to DEBUG and writes instead one line per
stream every few seconds (records so far and records a second), from the SDK's own
``record_count`` points, and a final line per stream when the tap ends.

``python -m <package>.progress`` prints that file's path (to copy or point the variable at).
(The same file in the four taps.)
"""

from __future__ import annotations

import logging
import os
import sys
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from singer_sdk import Stream, metrics
from singer_sdk.logging import ConsoleFormatter, StructuredFormatter

CONFIG_PATH = Path(__file__).with_name("logging.yaml")
#: The progress lines' logger (this module's name, so a logging config can route it).
LOGGER_NAME = __name__
#: Every ProgressHandler alive: the streams ask them how often to count (count_interval).
_HANDLERS: weakref.WeakSet[ProgressHandler] = weakref.WeakSet()


def point_of(record: logging.LogRecord) -> metrics.Point | None:
    """The SDK's metric point a log record carries (``metrics.log``), if any."""
    args = record.args
    if isinstance(args, tuple) and args and isinstance(args[0], metrics.Point):
        return args[0]
    return None


def per_second(rate: float) -> str:
    return f"{rate:,.0f}" if rate >= 10 else f"{rate:.1f}"


@dataclass
class _Tally:
    started: float
    records: int = 0
    counted_at: float = 0.0  # the last record_count point: the stream's end, once it is done
    reported: int = 0
    reported_at: float = 0.0


class ProgressHandler(logging.Handler):
    """Reads the SDK's ``record_count`` points (attach it to the ``singer_sdk.metrics``
    logger) and logs, through ``LOGGER_NAME`` at INFO, one line per stream at most every
    ``interval`` seconds, and a last line per stream when closed (at the tap's exit)."""

    def __init__(
        self,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        level: int | str = logging.NOTSET,
    ) -> None:
        super().__init__(level)
        self.interval = float(interval)
        self.clock = clock
        self.out = logging.getLogger(LOGGER_NAME)
        self.tallies: dict[str, _Tally] = {}
        self._finished = False
        _HANDLERS.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        point = point_of(record)
        stream = point.tags.get(metrics.Tag.STREAM) if point else None
        if point is None or not isinstance(stream, str):
            return
        now = self.clock()
        # Any point (a request's duration comes first) starts the stream's clock.
        tally = self.tallies.setdefault(stream, _Tally(now, counted_at=now, reported_at=now))
        if point.metric == metrics.Metric.RECORD_COUNT:
            tally.records += int(point.value)
            tally.counted_at = now
        # Its requests' points come while a stream waits for records: the line says it waits.
        if now - tally.reported_at >= self.interval:
            rate = (tally.records - tally.reported) / (now - tally.reported_at)
            self.out.info(
                "%s: %s records so far, %s records/s",
                stream,
                f"{tally.records:,}",
                per_second(rate),
            )
            tally.reported, tally.reported_at = tally.records, now

    def finish(self) -> None:
        """The last line of every stream seen: its records and their mean rate."""
        if self._finished:
            return
        self._finished = True
        for stream, tally in self.tallies.items():
            elapsed = tally.counted_at - tally.started
            rate = per_second(tally.records / elapsed) if elapsed > 0 else "-"
            self.out.info(
                "%s: %s records in %.1f s, %s records/s (done)",
                stream,
                f"{tally.records:,}",
                elapsed,
                rate,
            )

    def close(self) -> None:
        # logging.shutdown closes the handlers at exit, the last handlers made first: this one
        # before the console handler of the same config (made earlier), so the lines get out.
        try:
            self.finish()
        finally:
            super().close()


def count_interval(default: float) -> float:
    """How often a stream's record counter reports: the SDK's ``default`` (60 s) without a
    ProgressHandler; with one, twice per progress interval, so that its lines keep pace."""
    intervals = [h.interval for h in _HANDLERS]
    return min(default, min(intervals) / 2) if intervals else default


class CountsForProgress(Stream):
    """A base of the tap's streams: their record counters report as often as the progress
    lines need (``get_record_counter`` is the SDK's public hook for it, since 0.51)."""

    def get_record_counter(
        self, *, endpoint: str | None = None, log_interval: float = metrics.DEFAULT_LOG_INTERVAL
    ) -> metrics.Counter:
        return super().get_record_counter(
            endpoint=endpoint, log_interval=count_interval(log_interval)
        )


class MetricsAtDebug(logging.Filter):
    """Put on the ``singer_sdk.metrics`` logger: its METRIC lines become DEBUG lines, so that
    the handlers shown at INFO drop them and a handler at DEBUG (or a file) still has them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def console_handler() -> logging.Handler:
    """stderr at the tap's level. Under Meltano (``MELTANO_PROJECT_ROOT`` set) the lines are
    the SDK's JSON, which Meltano reads for taps with the structured-logging capability, and
    the level is Meltano's ``--log-level`` (``MELTANO_CLI_LOG_LEVEL``), as in the config file
    Meltano would have written in place of this one."""
    handler = logging.StreamHandler(sys.stderr)
    under_meltano = "MELTANO_PROJECT_ROOT" in os.environ
    handler.setFormatter(StructuredFormatter() if under_meltano else ConsoleFormatter())
    root = logging.getLogger()
    meltano_level = os.environ.get("MELTANO_CLI_LOG_LEVEL", "").upper()
    if isinstance(logging.getLevelNamesMapping().get(meltano_level), int):
        root.setLevel(meltano_level)
    # The SDK has set the root level (LOGLEVEL, TAP_<NAME>_LOGLEVEL) before reading the file.
    handler.setLevel(root.getEffectiveLevel())
    return handler


if __name__ == "__main__":
    print(CONFIG_PATH)
