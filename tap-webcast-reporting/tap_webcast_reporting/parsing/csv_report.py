"""The CSV report (RFC 4180), streamed row by row: a header row with the same columns as the
JSON ``data_headers``, then one row per registrant. A flat file carries no event data beyond the
id, title and cost center, and no ids for custom questions or surveys. The ``sessions`` column
holds ``type;start;end;duration_ms;media`` items joined by ``|`` (ASSUMED: the page shows no
CSV sample). A first header ``error`` is a failure: the next row holds the code."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from tap_webcast_reporting import values as v
from tap_webcast_reporting.parsing.body import ReportBody
from tap_webcast_reporting.parsing.flat_rows import SESSIONS, Layout, session
from tap_webcast_reporting.parsing.model import ReportHeader, ReportItem
from tap_webcast_reporting.return_codes import error_for


def _lines(body: ReportBody) -> Iterator[str]:
    for block in body.text_lines("utf-8-sig"):
        start = 0
        while (end := block.find("\n", start)) >= 0:
            yield block[start : end + 1]
            start = end + 1
        if start < len(block):
            yield block[start:]


def parse(
    body: ReportBody, event_id: str, tz: ZoneInfo, logger: logging.Logger
) -> Iterator[ReportItem]:
    reader = csv.reader(_lines(body), strict=True)
    headers = next(reader, None)
    if headers is None:
        yield ReportHeader()
        return
    if headers and headers[0].strip().lower() == "error":
        row = next(reader, ["0"])
        code = v.integer(row[0]) if row and row[0].strip().isdigit() else 0
        raise error_for(code or 0, f"report of event {event_id}")
    layout = Layout.of(headers)
    header_sent = False
    ragged = 0
    first_ragged_line = 0
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
            sessions = [session(item.split(";"), tz) for item in raw.split("|") if item]
            row = row[: layout.sessions] + row[layout.sessions + 1 :]
        viewer, was_ragged = layout.viewer(row, sessions, tz, line)
        if was_ragged:
            ragged += 1
            first_ragged_line = first_ragged_line or line
        yield viewer
    if not header_sent:
        yield _header([], layout)
    if ragged:
        logger.warning(
            "Event %s: %d rows of the CSV report have a cell count that differs from the header "
            "(first at line %d): their columns after Email are kept in unmapped_values",
            event_id,
            ragged,
            first_ragged_line,
        )


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
