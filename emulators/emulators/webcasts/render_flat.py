"""The report in JSON and in CSV, written row by row from the same model as the XML.

JSON: the page's layout (``event_data``, ``filters``, ``data_headers``, ``data_rows`` with the
viewer's sessions as the last cell), one row per line. CSV (RFC 4180): the same header and cells;
a flat file cannot nest the sessions, so the last column ``sessions`` holds them as
``type;start;end;duration_ms;media`` joined by ``|`` (the emulator's assumption: the page shows
no CSV sample)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from emulators.webcasts.dataset import DataSet
from emulators.webcasts.formatting import (
    display_name,
    flat_headers,
    flat_values,
    hhmmss,
    local_time,
)
from emulators.webcasts.model import Event, Viewer
from emulators.webcasts.report_request import ReportRequest

BATCH = 200


UNEXPECTED = "N/A"  # what "unexpected_values" writes where a time, count or duration goes


def _sessions(v: Viewer, req: ReportRequest, odd: bool = False) -> list[list[object]]:
    tz = req.tz
    return [
        [
            s.type,
            local_time(s.start, tz),
            local_time(s.end, tz),
            UNEXPECTED if odd else s.duration_ms,
            s.media,
        ]
        for s in v.sessions
    ]


def _row(event: Event, viewer: Viewer, req: ReportRequest, odd: bool) -> list[str]:
    """One viewer's cells; with ``odd``, a registration date, a count and a duration the tap's
    parsers do not expect."""
    row = flat_values(event, viewer, req.tz)
    if odd:
        headers = flat_headers(event)
        row[3] = "TBD"
        row[headers.index("Live Sessions")] = UNEXPECTED
        row[headers.index("Live Duration")] = UNEXPECTED
    return row


def render_json(data: DataSet, event: Event, req: ReportRequest, now: float) -> Iterator[str]:
    tz = req.tz
    a = data.analytics(event)
    duration = int((event.live_end or 0) - (event.live_start or 0)) * 1000
    odd = req.variant == "unexpected_values"
    head = {
        "currentTimeZone": display_name(req.timezone),
        "api_version": "2.0",
        "report_run_time": local_time(now, tz),
        "report_type": "Audience Details Report",
        "event_data": {
            "event_creation_date": local_time(event.created, tz),
            "event_od_last_published_time": local_time(event.od_first_published, tz),
            "event_od_expiration_time": local_time(event.od_expiration, tz),
            "event_duration": UNEXPECTED if odd else hhmmss(max(duration, 0)),
            "event_live_start_time": local_time(event.live_start, tz),
            "event_title": event.title,
            "event_analytics": {
                "unique_od_viewers": str(a.unique_od_viewers),
                "total_registrants": str(a.total_registrants),
                "live_conversion_rate": a.live_conversion_rate,
                "od_sessions": str(a.od_sessions),
                "simlive_sessions": str(a.simlive_sessions),
                "unique_simlive_viewers": str(a.unique_simlive_viewers),
                "total_conversion_rate": a.total_conversion_rate,
                "live_sessions": str(a.live_sessions),
                "unique_live_viewers": str(a.unique_live_viewers),
                "live_registrants": str(a.live_registrants),
                "total_sessions": str(a.total_sessions),
                "no_shows": str(a.no_shows),
            },
            "event_id": event.id,
            "event_live_end_time": local_time(event.live_end, tz),
            "event_sim_live_scheduled_time": local_time(event.sim_live_scheduled, tz),
            "event_cost_center": event.cost_center,
            "event_creator": event.creator,
            "event_pre_live_scheduled_time": local_time(event.pre_live_scheduled, tz),
        },
        "filters": {
            "dr_regs": req.switches["dr_regs"],
            "dr_sessions": req.switches["dr_sessions"],
            "incl_domain": list(req.lists["inclu_domain"]),
            "od_viewers": req.switches["od_viewers"],
            "user_survey": req.switches["user_survey"],
            "live_viewers": req.switches["live_viewers"],
            "excl_domain": list(req.lists["excl_domain"]),
            "simlive_viewers": req.switches["simlive_viewers"],
            "sti_filter": list(req.lists["sti_filter"]),
            "users_qa": req.switches["users_qa"],
            "no_shows": req.switches["no_shows"],
        },
        "data_headers": [*flat_headers(event), "sessions"],
    }
    if req.variant == "no_timezone":
        del head["currentTimeZone"]
    if req.variant == "no_viewers":
        yield json.dumps(head) + "\n"
        return
    yield json.dumps(head)[:-1] + ',\n"data_rows":[\n'
    separator = ""
    batch: list[str] = []
    first = True
    for viewer in data.viewers(event):
        if not req.keeps(viewer):
            continue
        row = [*_row(event, viewer, req, odd and first), _sessions(viewer, req, odd and first)]
        first = False
        batch.append(separator + json.dumps(row))
        separator = ",\n"
        if len(batch) >= BATCH:
            yield "".join(batch)
            batch.clear()
    yield "".join(batch)
    yield "\n]\n}\n"


def render_csv(
    data: DataSet, event: Event, req: ReportRequest, now: float, *, sessions_column: bool = True
) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*flat_headers(event), *(["sessions"] if sessions_column else [])])
    count = 0
    odd = req.variant == "unexpected_values"
    for viewer in data.viewers(event):
        if not req.keeps(viewer):
            continue
        first = odd and count == 0
        sessions = "|".join(";".join(str(c) for c in s) for s in _sessions(viewer, req, first))
        writer.writerow(
            [*_row(event, viewer, req, first), *([sessions] if sessions_column else [])]
        )
        count += 1
        if count % BATCH == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
