"""The JSON report, streamed: the small head (event data, filters, headers) is decoded once,
then ``data_rows`` one row at a time with the standard library's ``raw_decode`` over a sliding
buffer fed in bounded blocks, so memory stays flat however many rows there are and however long
its lines. An answer without ``data_headers`` (holding ``Email``) before ``data_rows`` is not a
report (UnexpectedAnswerError: retried, then owed), never an empty success. The times are
converted from the zone the report states (``currentTimeZone``).

The page's own JSON sample has a broken row: a line ``00:10:02",`` (a value that lost its
opening quote, a stray copy of the value before it). Such a line is repaired where that is
unambiguous: a stray copy of the previous value is removed, another value gets its quote back;
each repair is logged with the event id and line. Nothing else is guessed."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from tap_webcast_reporting import values as v
from tap_webcast_reporting.errors import (
    BrokenReportError,
    UnexpectedAnswerError,
    UnreadableReportError,
)
from tap_webcast_reporting.parsing.body import ReportBody
from tap_webcast_reporting.parsing.flat_rows import Layout, Ragged, session
from tap_webcast_reporting.parsing.model import (
    ANALYTICS_COUNTS as COUNTS,
)
from tap_webcast_reporting.parsing.model import (
    ANALYTICS_RATES as RATES,
)
from tap_webcast_reporting.parsing.model import (
    ReportHeader,
    ReportItem,
)
from tap_webcast_reporting.parsing.reading import Reading

ROWS_KEY = '"data_rows"'
MAX_HEAD = 8 * 1024 * 1024  # the head (event data, filters, headers) is never longer
LOOKAHEAD = 2 * 1024 * 1024  # a row never needs more text than this to decode
TRIM_AT = 1024 * 1024
MAX_REPAIRS_PER_ROW = 5
# A line holding one value that lost its opening quote: `00:10:02",`
_STRAY_VALUE = re.compile(r'^(\s*)([^"\[\]{},\s][^"\[\]{}]*)"\s*(,?)\s*$')
_PREVIOUS_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"\s*,\s*$')

EVENT_FIELDS = {
    "event_title": ("eventtitle", v.text),
    "event_cost_center": ("costcenter", v.text),
    "event_creator": ("event_creator", v.text),
    "event_duration": ("event_duration", v.hhmmss_to_seconds),
}
EVENT_TIMES = {
    "event_creation_date": "event_create_time",
    "event_live_start_time": "live_start_time",
    "event_live_end_time": "live_end_time",
    "event_od_last_published_time": "od_last_published_time",
    "event_od_expiration_time": "od_expiration_time",
    "event_sim_live_scheduled_time": "sim_live_scheduled_time",
    "event_pre_live_scheduled_time": "pre_live_scheduled_time",
}
LIST_FILTERS = ("sti_filter", "excl_domain", "incl_domain")


class _Buffer:
    """The unparsed text, the line number of its first character, and more text on demand."""

    def __init__(self, body: ReportBody) -> None:
        self._blocks = body.text_blocks()
        self.text = ""
        self.eof = False

    def more(self) -> bool:
        block = next(self._blocks, None)
        if block is None:
            self.eof = True
            return False
        self.text += block
        return True


def parse(
    body: ReportBody,
    event_id: str,
    tz: ZoneInfo,
    logger: logging.Logger,
    *,
    streams: Collection[str] | None = None,
) -> Iterator[ReportItem]:
    """The report's header, then its viewers. ``tz`` is the zone asked for; the times are
    converted from the zone the report states. ``streams`` (the streams wanted) changes nothing
    here: each row is decoded whole anyway."""
    reading = Reading(event_id, tz, logger)
    buf = _Buffer(body)
    while ROWS_KEY not in buf.text and len(buf.text) < MAX_HEAD and buf.more():
        pass
    start = buf.text.find(ROWS_KEY)
    head_text = buf.text if start < 0 else buf.text[:start].rstrip().rstrip(",") + "}"
    try:
        head = json.loads(head_text)
    except json.JSONDecodeError as exc:
        if start < 0 and buf.eof:
            raise BrokenReportError(f"event {event_id}: the JSON report ended early") from None
        raise UnreadableReportError(
            f"event {event_id}: the JSON report's head is broken at line {exc.lineno}"
        ) from None
    headers = head.get("data_headers") if isinstance(head, dict) else None
    if start < 0 or not isinstance(headers, list) or "Email" not in headers:
        keys = ", ".join(sorted(head)[:10]) if isinstance(head, dict) else type(head).__name__
        raise UnexpectedAnswerError(
            f"event {event_id}: the answer is not a report (data_headers with Email, then "
            f"data_rows, expected; found {keys or 'nothing'})"
        )
    reading.settle_zone(v.text(head.get("currentTimeZone")))
    layout = Layout.of([str(h) for h in headers])
    yield _header(head, layout, reading)
    pos = buf.text.index("[", start + len(ROWS_KEY)) + 1
    line = 1 + buf.text.count("\n", 0, pos)  # line number at pos
    decoder = json.JSONDecoder()
    ragged = Ragged()
    repairs = 0
    while True:
        text = buf.text
        while pos < len(text) and text[pos] in " \t\r\n,":
            if text[pos] == "\n":
                line += 1
            pos += 1
        if pos >= len(text):
            if not buf.more():
                raise BrokenReportError(
                    f"event {event_id}: the JSON report ended early at line {line}"
                )
            continue
        if text[pos] == "]":
            break
        try:
            row, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            if not buf.eof and len(text) - pos < LOOKAHEAD:
                buf.more()
                continue
            repairs += 1
            if repairs > MAX_REPAIRS_PER_ROW or not _repair(
                buf, pos, exc.pos, line, event_id, logger
            ):
                bad_line = line + text.count("\n", pos, exc.pos)
                raise UnreadableReportError(
                    f"event {event_id}: the JSON report is broken at line {bad_line} in a way no "
                    f"repair settles ({exc.msg})"
                ) from None
            continue
        repairs = 0
        if not isinstance(row, list):
            raise UnreadableReportError(
                f"event {event_id}: data_rows holds a non-array at line {line}"
            )
        sessions: list[dict[str, Any]] = []
        if row and isinstance(row[-1], list):
            sessions = [session(s, reading) for s in row[-1] if isinstance(s, list)]
            row = row[:-1]
        viewer, was_ragged = layout.viewer(row, sessions, reading, line)
        ragged.count(viewer, was_ragged, line)
        yield viewer
        line += text.count("\n", pos, end)
        pos = end
        if pos > TRIM_AT:
            buf.text = buf.text[pos:]
            pos = 0
    ragged.report(event_id, "JSON report", "data_headers", logger)
    reading.finish()


def _repair(
    buf: _Buffer,
    row_start: int,
    error_at: int,
    row_line: int,
    event_id: str,
    logger: logging.Logger,
) -> bool:
    """Mend the line holding ``error_at`` if it is a value that lost its opening quote."""
    text = buf.text
    begin = text.rfind("\n", 0, error_at) + 1
    finish = text.find("\n", error_at)
    finish = len(text) if finish < 0 else finish
    match = _STRAY_VALUE.match(text[begin:finish])
    if match is None:
        return False
    line = row_line + text.count("\n", row_start, begin)
    previous = _PREVIOUS_STRING.search(text, row_start, begin)
    if previous is not None and previous[1] == match[2]:
        buf.text = text[:begin] + text[finish + 1 :]
        logger.warning(
            "Event %s: repaired the JSON report at line %d: removed a stray copy of the "
            "previous value (a value without its opening quote)",
            event_id,
            line,
        )
    else:
        fixed = f'{match[1]}"{match[2]}"{match[3]}'
        buf.text = text[:begin] + fixed + text[finish:]
        logger.warning(
            "Event %s: repaired the JSON report at line %d: restored a value's opening quote",
            event_id,
            line,
        )
    return True


def _header(head: dict[str, Any], layout: Layout, reading: Reading) -> ReportHeader:
    data = _object(head.get("event_data"))
    unparsed: dict[str, str] = {}
    event: dict[str, Any] = {
        "report_type": v.text(head.get("report_type")),
        "current_time_zone": v.text(head.get("currentTimeZone")),
        "report_run_time": reading.time(head.get("report_run_time"), "report_run_time", unparsed),
        "api_version": v.text(head.get("api_version")),
    }
    for source, (name, convert) in EVENT_FIELDS.items():
        event[name] = reading.value(convert, data.get(source), name, unparsed)
    for source, name in EVENT_TIMES.items():
        event[name] = reading.time(data.get(source), name, unparsed)
    raw = _object(data.get("event_analytics"))
    analytics: dict[str, Any] = {
        name: reading.value(v.integer, raw.get(name), name, unparsed) for name in COUNTS
    }
    analytics.update(
        {name: reading.value(v.percent, raw.get(name), name, unparsed) for name in RATES}
    )
    filters: dict[str, Any] = {}
    for name, value in _object(head.get("filters")).items():
        key = name.replace(" ", "_")
        if key in LIST_FILTERS:
            filters[key] = [str(x) for x in value] if isinstance(value, list) else [str(value)]
        else:
            filters[key] = value if isinstance(value, bool) else v.on_off(str(value))
    return ReportHeader(
        event,
        analytics,
        filters,
        layout.registration_questions(),
        layout.survey_list(),
        unparsed=unparsed,
        zone=reading.zone,
    )


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of the head, or an empty one when the report has something else there."""
    return value if isinstance(value, dict) else {}
