"""The CSV report (RFC 4180), streamed row by row: a header row with the same columns as the
JSON ``data_headers``, then one row per registrant. A flat file carries no event data beyond the
id, title and cost center, and no ids for custom questions or surveys. The ``sessions`` column
holds ``type;start;end;duration_ms;media`` items joined by ``|`` (ASSUMED: the page shows no
CSV sample). A first header ``error`` is a failure: the next row holds the code (a failure
without one is an UnexpectedAnswerError: retried, then owed); an answer whose header has no
``Email`` is not a report. The lines are read in bounded blocks (a line longer than MAX_LINE is
refused: the event is owed); CSV the csv module refuses makes the report unreadable."""

from __future__ import annotations

import csv
import logging
from collections.abc import Collection, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from tap_webcast_reporting import values as v
from tap_webcast_reporting.errors import UnexpectedAnswerError, UnreadableReportError
from tap_webcast_reporting.parsing.body import ReportBody
from tap_webcast_reporting.parsing.flat_rows import SESSIONS, Layout, Ragged, session
from tap_webcast_reporting.parsing.model import ReportHeader, ReportItem
from tap_webcast_reporting.parsing.reading import Reading
from tap_webcast_reporting.return_codes import error_for

MAX_LINE = 8 * 1024 * 1024  # one registrant's line is never longer (memory stays bounded)


def _lines(body: ReportBody, event_id: str) -> Iterator[str]:
    """The body's lines, read in bounded blocks; a line longer than MAX_LINE is refused."""
    pending = ""
    for block in body.text_blocks("utf-8-sig"):
        text = pending + block
        start = 0
        while (end := text.find("\n", start)) >= 0:
            yield text[start : end + 1]
            start = end + 1
        pending = text[start:]
        if len(pending) > MAX_LINE:
            raise UnreadableReportError(
                f"event {event_id}: the CSV report has a line longer than {MAX_LINE} characters"
            )
    if pending:
        yield pending


def parse(
    body: ReportBody,
    event_id: str,
    tz: ZoneInfo,
    logger: logging.Logger,
    *,
    streams: Collection[str] | None = None,
) -> Iterator[ReportItem]:
    """The report's header, then its viewers. A CSV report states no time zone: ``tz`` (the
    zone asked for) must be GMT all year, the API's default (the settings check it).
    ``streams`` (the streams wanted) changes nothing here: each row is split whole anyway."""
    reading = Reading(event_id, tz, logger)
    reader = csv.reader(_lines(body, event_id), strict=True)
    try:
        yield from _read(reader, event_id, reading, logger)
    except csv.Error as exc:
        raise UnreadableReportError(
            f"event {event_id}: the CSV report is broken at line {reader.line_num} ({exc})"
        ) from None


def _read(
    reader: Any, event_id: str, reading: Reading, logger: logging.Logger
) -> Iterator[ReportItem]:
    headers = next(reader, None)
    if headers and headers[0].strip().lower() == "error":
        row = next(reader, [""])
        if not row or not row[0].strip().isdigit():
            raise UnexpectedAnswerError(
                f"event {event_id}: the CSV answer is a failure without a return code"
            )
        raise error_for(int(row[0]), f"report of event {event_id}")
    if not headers or "Email" not in headers:
        first = ", ".join(headers[:5]) if headers else "nothing"
        raise UnexpectedAnswerError(
            f"event {event_id}: the answer is not a CSV report (a header with Email expected; "
            f"found {first[:200]})"
        )
    reading.settle_zone(None)
    layout = Layout.of(headers)
    header_sent = False
    ragged = Ragged()
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        if not header_sent:
            yield _header(row, layout)
            header_sent = True
        sessions: list[dict[str, Any]] = []
        if layout.sessions is not None and len(row) == len(headers):
            raw = row[layout.sessions]
            sessions = [session(item.split(";"), reading) for item in raw.split("|") if item]
            row = row[: layout.sessions] + row[layout.sessions + 1 :]
        viewer, was_ragged = layout.viewer(row, sessions, reading, line)
        ragged.count(viewer, was_ragged, line)
        yield viewer
    if not header_sent:
        yield _header([], layout)
    ragged.report(event_id, "CSV report", "the header", logger)
    reading.finish()


def _header(first_row: list[str], layout: Layout) -> ReportHeader:
    def cell(name: str) -> str | None:
        return (
            v.text(first_row[layout.headers.index(name)])
            if first_row and name in layout.headers
            else None
        )

    event = {"eventtitle": cell("Event Title"), "costcenter": cell("Cost Center")}
    return ReportHeader(event, {}, {}, layout.registration_questions(), layout.survey_list())


__all__ = ["SESSIONS", "parse"]
