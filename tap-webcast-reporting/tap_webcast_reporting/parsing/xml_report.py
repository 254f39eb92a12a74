"""The XML report, streamed with lxml's iterparse: each ``<viewer>`` is read, handed on and
cleared with what came before it, so memory stays flat however many registrants there are, and
the body is fed to the parser in bounded blocks whatever its line length.

The parser never resolves entities, loads a DTD or reaches the network. Vendor XML written by
hand is mended before parsing where only one reading exists (xml_repair.py: a bare ``&`` or
``<``, a start tag that lost its ``>``, as in the page's own sample); each repair is logged with
the event id and the line. What no repair settles makes the report unreadable (the event is
owed); a report cut short is a retriable error; an answer that is not a report (another root,
no ``<viewers>``) is an UnexpectedAnswerError (retried, then owed). The report's times are
converted from the zone it states (``currentTimeZone``), never from an assumed one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from tap_webcast_reporting import values as v
from tap_webcast_reporting.errors import (
    BrokenReportError,
    UnexpectedAnswerError,
    UnreadableReportError,
)
from tap_webcast_reporting.parsing.body import ReportBody
from tap_webcast_reporting.parsing.model import (
    ANALYTICS_COUNTS as COUNTS,
)
from tap_webcast_reporting.parsing.model import (
    ANALYTICS_RATES as RATES,
)
from tap_webcast_reporting.parsing.model import (
    ParsedViewer,
    ReportHeader,
    ReportItem,
)
from tap_webcast_reporting.parsing.reading import Reading
from tap_webcast_reporting.parsing.xml_repair import XmlRepair

ROOT = "convey_api"
#: How close to the end of what was read an error must be for the report to count as cut short
#: (lxml's column counts characters).
END_SLACK = 64

XML_FILTERS = {
    "registration_date_filter": "dr_regs",
    "viewing_session_date_filter": "dr_sessions",
    "sti_filter": "sti_filter",
    "email_domain_exclude_filter": "excl_domain",
    "email_domain_include_filter": "incl_domain",
    "qa_data_filter": "users_qa",
    "survey_data_filter": "user_survey",
    "no_show_filter": "no_shows",
    "live_viewers_filter": "live_viewers",
    "od_viewers_filter": "od_viewers",
    "od_viewer_filter": "od_viewers",
    "simlive_viewers_filter": "simlive_viewers",
    "simelive_viewers_filter": "simlive_viewers",
}
LIST_FILTERS = {"sti_filter", "excl_domain", "incl_domain"}
TIMES = (
    "event_create_time",
    "live_start_time",
    "live_end_time",
    "od_first_published_time",
    "od_expiration_time",
)


def parse(
    body: ReportBody, event_id: str, tz: ZoneInfo, logger: logging.Logger
) -> Iterator[ReportItem]:
    """The report's header, then its viewers. ``tz`` is the zone asked for; the times are
    converted from the zone the report states."""
    reading = Reading(event_id, tz, logger)
    repair = XmlRepair(event_id, logger)
    body.repair, body.cut_after = repair, b">"
    events = etree.iterparse(
        body,
        events=("start", "end"),
        tag=("viewers", "viewer"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
    )
    header_sent = False
    try:
        for action, elem in events:
            if elem.tag == "viewers" and action == "start":
                parent = elem.getparent()
                root = elem.getroottree().getroot()
                if root.tag != ROOT or parent is None or parent.tag != "report_data":
                    raise UnexpectedAnswerError(
                        f"event {event_id}: the answer is not a report (<viewers> under "
                        f"<{root.tag}>, not <{ROOT}><result><report_data>)"
                    )
                reading.settle_zone(v.text(root.findtext("currentTimeZone")))
                yield _header(parent, reading)
                header_sent = True
            elif elem.tag == "viewer" and action == "end":
                yield _viewer(elem, reading, elem.sourceline)
                elem.clear()
                while elem.getprevious() is not None:
                    del elem.getparent()[0]
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno or 0, 0)
        at_end = line >= body.lines_read and column >= body.last_line_chars - END_SLACK
        if body.eof and at_end:
            raise BrokenReportError(
                f"event {event_id}: the XML report ended early at line {line}"
            ) from None
        raise UnreadableReportError(
            f"event {event_id}: the XML report is broken at line {line} in a way no repair "
            f"settles ({exc.msg})"
        ) from None
    finally:
        repair.finish()
    if not header_sent:
        root = events.root
        what = f"<{root.tag}> without <viewers>" if root is not None else "empty"
        raise UnexpectedAnswerError(f"event {event_id}: the answer is not a report ({what})")
    reading.finish()


def _text(node: Any, path: str) -> str | None:
    return v.text(node.findtext(path)) if node is not None else None


def _header(data: Any, reading: Reading) -> ReportHeader:
    root = data.getroottree().getroot()
    result = root.find("result")
    unparsed: dict[str, str] = {}
    run_time = _text(root, "currentDateTime")
    event: dict[str, Any] = {
        "eventtitle": _text(data, "eventtitle"),
        "costcenter": _text(data, "costcenter"),
        "report_type": _text(result, "report_type"),
        "current_time_zone": _text(root, "currentTimeZone"),
        "report_run_time": reading.time(run_time, "report_run_time", unparsed),
        "api_version": root.get("version"),
    }
    for name in TIMES:
        event[name] = reading.time(_text(data, name), name, unparsed)
    analytics_node = data.find("event_analytics")
    analytics: dict[str, Any] = {}
    for name in COUNTS:
        analytics[name] = reading.value(v.integer, _text(analytics_node, name), name, unparsed)
    for name in RATES:
        analytics[name] = reading.value(v.percent, _text(analytics_node, name), name, unparsed)
    filters: dict[str, Any] = {}
    filter_nodes = result.find("filters") if result is not None else None
    for node in filter_nodes if filter_nodes is not None else ():
        name = XML_FILTERS.get(str(node.tag), "")
        if name in LIST_FILTERS:
            filters[name] = v.pipe_list(v.text(node.text))
        elif name:
            filters[name] = v.on_off(node.text)
    date_range = result.find("report_date_range") if result is not None else None
    event["report_start"] = reading.time(_text(date_range, "start"), "report_start", unparsed)
    event["report_end"] = reading.time(_text(date_range, "end"), "report_end", unparsed)
    questions = [
        {"question_id": q.get("id"), "label": v.text(q.text)}
        for q in data.iterfind("registration_questions/rq")
    ]
    surveys = [
        {
            "survey_id": s.get("id"),
            "name": s.get("name"),
            "type": s.get("type"),
            "questions": [
                {"question_id": q.get("id"), "type": q.get("type"), "label": v.text(q.text)}
                for q in s.iterfind("sq")
            ],
        }
        for s in data.iterfind("surveys/survey")
    ]
    return ReportHeader(
        event, analytics, filters, questions, surveys, unparsed=unparsed, zone=reading.zone
    )


def _viewer(node: Any, reading: Reading, line: int | None) -> ParsedViewer:
    """One ``<viewer>``, reading each child once (this runs for every registrant)."""
    viewer = ParsedViewer(None, [], [], [], [], source_line=line)
    for child in node:
        tag = child.tag
        if tag == "registration_date":
            viewer.registration_date = reading.time(
                child.text, "registration_date", viewer.unparsed
            )
        elif tag == "registration_answers":
            viewer.answers = [
                {"question_id": a.get("id"), "label": None, "value": v.text(a.text)} for a in child
            ]
        elif tag == "sessions":
            viewer.sessions = [_session(s, reading) for s in child]
        elif tag == "qa":
            viewer.qa = [{"question": v.text(q.text), "answer": _text(q, "answer")} for q in child]
        elif tag == "survey_responses":
            viewer.survey_responses = [
                {
                    "survey_id": r.get("survey_id"),
                    "survey_name": None,
                    "question_id": r.get("question_id"),
                    "question_label": None,
                    "value": v.text(r.text),
                }
                for r in child
            ]
    return viewer


def _session(node: Any, reading: Reading) -> dict[str, Any]:
    fields = {f.tag: f.text for f in node}
    unparsed: dict[str, str] = {}
    session = {
        "type": v.text(fields.get("type")),
        "start_time": reading.time(fields.get("start_time"), "start_time", unparsed),
        "end_time": reading.time(fields.get("end_time"), "end_time", unparsed),
        "duration": reading.value(
            v.ms_to_seconds, v.text(fields.get("duration")), "duration", unparsed
        ),
        "media": v.text(fields.get("media")),
    }
    if unparsed:
        session["unparsed_values"] = unparsed
    return session
