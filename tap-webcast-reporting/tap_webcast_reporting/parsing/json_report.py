"""The JSON report, streamed: the small head (event data, filters, headers) is decoded once,
then ``data_rows`` one row at a time with the standard library's ``raw_decode`` over a sliding
buffer, so memory stays flat however many rows there are.

The page's own JSON sample has a broken row: a line ``00:10:02",`` (a value that lost its
opening quote, a stray copy of the value before it). Such a line is repaired where that is
unambiguous: a stray copy of the previous value is removed, another value gets its quote back;
each repair is logged with the event id and line. Nothing else is guessed."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from tap_webcast_reporting import values as v
from tap_webcast_reporting.errors import BrokenReportError, UnreadableReportError
from tap_webcast_reporting.parsing.body import ReportBody
from tap_webcast_reporting.parsing.flat_rows import Layout, session
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

ROWS_KEY = '"data_rows"'
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
        self._blocks = body.text_lines()
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
    body: ReportBody, event_id: str, tz: ZoneInfo, logger: logging.Logger
) -> Iterator[ReportItem]:
    buf = _Buffer(body)
    while ROWS_KEY not in buf.text and buf.more():
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
    layout = Layout.of([str(h) for h in head.get("data_headers", [])])
    yield _header(head, layout, tz)
    if start < 0:
        return
    pos = buf.text.index("[", start + len(ROWS_KEY)) + 1
    line = 1 + buf.text.count("\n", 0, pos)  # line number at pos
    decoder = json.JSONDecoder()
    ragged = 0
    first_ragged_line = 0
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
            sessions = [session(s, tz) for s in row[-1] if isinstance(s, list)]
            row = row[:-1]
        viewer, was_ragged = layout.viewer(row, sessions, tz, line)
        if was_ragged:
            ragged += 1
            first_ragged_line = first_ragged_line or line
        yield viewer
        line += text.count("\n", pos, end)
        pos = end
        if pos > TRIM_AT:
            buf.text = buf.text[pos:]
            pos = 0
    if ragged:
        logger.warning(
            "Event %s: %d rows of the JSON report have a cell count that differs from "
            "data_headers (first at line %d): their columns after Email cannot be told apart "
            "and are kept in unmapped_values",
            event_id,
            ragged,
            first_ragged_line,
        )


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


def _header(head: dict[str, Any], layout: Layout, tz: ZoneInfo) -> ReportHeader:
    data = head.get("event_data") or {}
    event: dict[str, Any] = {
        "report_type": v.text(head.get("report_type")),
        "current_time_zone": v.text(head.get("currentTimeZone")),
        "report_run_time": v.local_to_utc(head.get("report_run_time"), tz),
        "api_version": v.text(head.get("api_version")),
    }
    for source, (name, convert) in EVENT_FIELDS.items():
        event[name] = convert(data.get(source))
    for source, name in EVENT_TIMES.items():
        event[name] = v.local_to_utc(data.get(source), tz)
    raw = data.get("event_analytics") or {}
    analytics: dict[str, Any] = {name: v.integer(raw.get(name)) for name in COUNTS}
    analytics.update({name: v.percent(raw.get(name)) for name in RATES})
    filters: dict[str, Any] = {}
    for name, value in (head.get("filters") or {}).items():
        key = name.replace(" ", "_")
        filters[key] = [str(x) for x in value] if key in LIST_FILTERS else v.on_off(value)
    return ReportHeader(
        event, analytics, filters, layout.registration_questions(), layout.survey_list()
    )
