"""The XML report, streamed with lxml's iterparse: each ``<viewer>`` is read, handed on and
cleared with what came before it, so memory stays flat however many registrants there are.

The parser never resolves entities, loads a DTD or reaches the network. The page's own sample
has a start tag that lost its ``>`` (``<ra id="email"agraystone@companyx.com</ra>``): such a
line is repaired before parsing, only where the repair is unambiguous (the whole element on one
line: a start tag whose last attribute is followed by text and the matching end tag), and each
repair is logged with the event id and line. lxml's recover mode is not used: it silently nests
the following siblings inside the broken element."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from tap_webcast_reporting import values as v
from tap_webcast_reporting.errors import BrokenReportError, UnreadableReportError
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

# <name attr="..."... TEXT</name> on one line, where TEXT follows the last attribute's quote
# directly (no ">"): group 1 the start tag, 3 the text, 4 the end tag.
_TAG_WITHOUT_CLOSE = re.compile(
    rb'^([ \t]*<([A-Za-z_][\w.-]*)(?:[ \t]+[\w:.-]+="[^"<>\n]*")+)(?=[^\s>/"=<])'
    rb"([^<>\n]*)(</\2>)[ \t]*\r?$",
    re.MULTILINE,
)

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


def line_repair(event_id: str, logger: logging.Logger) -> Any:
    def repair(block: bytes, first_line: int) -> bytes:
        if b'"' not in block:
            return block

        def fix(match: re.Match[bytes]) -> bytes:
            line = first_line + block.count(b"\n", 0, match.start())
            tag = match[1].decode("utf-8", "replace").strip()
            logger.warning(
                "Event %s: repaired the XML report at line %d: start tag %s> lacked its '>'",
                event_id,
                line,
                tag,
            )
            return match[1] + b">" + match[3] + match[4]

        return _TAG_WITHOUT_CLOSE.sub(fix, block)

    return repair


def parse(
    body: ReportBody, event_id: str, tz: ZoneInfo, logger: logging.Logger
) -> Iterator[ReportItem]:
    body.repair = line_repair(event_id, logger)
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
                yield _header(parent if parent is not None else elem, tz)
                header_sent = True
            elif elem.tag == "viewer" and action == "end":
                yield _viewer(elem, tz, elem.sourceline)
                elem.clear()
                while elem.getprevious() is not None:
                    del elem.getparent()[0]
        if not header_sent:  # a report without <viewers>
            root = events.root
            data = root.find(".//report_data") if root is not None else None
            yield _header(data if data is not None else root, tz)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        if body.eof and line >= body.lines_read:
            raise BrokenReportError(
                f"event {event_id}: the XML report ended early at line {line}"
            ) from None
        raise UnreadableReportError(
            f"event {event_id}: the XML report is broken at line {line} in a way no repair "
            f"settles ({exc.msg})"
        ) from None


def _text(node: Any, path: str) -> str | None:
    return v.text(node.findtext(path)) if node is not None else None


def _header(data: Any, tz: ZoneInfo) -> ReportHeader:
    root = data.getroottree().getroot()
    result = root.find("result")
    event: dict[str, Any] = {
        "eventtitle": _text(data, "eventtitle"),
        "costcenter": _text(data, "costcenter"),
        "report_type": _text(result, "report_type"),
        "current_time_zone": _text(root, "currentTimeZone"),
        "report_run_time": v.local_to_utc(_text(root, "currentDateTime"), tz),
        "api_version": root.get("version"),
    }
    for name in TIMES:
        event[name] = v.local_to_utc(_text(data, name), tz)
    analytics_node = data.find("event_analytics")
    analytics: dict[str, Any] = {}
    for name in COUNTS:
        analytics[name] = v.integer(_text(analytics_node, name))
    for name in RATES:
        analytics[name] = v.percent(_text(analytics_node, name))
    filters: dict[str, Any] = {}
    filter_nodes = result.find("filters") if result is not None else None
    for node in filter_nodes if filter_nodes is not None else ():
        name = XML_FILTERS.get(str(node.tag), "")
        if name in LIST_FILTERS:
            filters[name] = v.pipe_list(v.text(node.text))
        elif name:
            filters[name] = v.on_off(node.text)
    date_range = result.find("report_date_range") if result is not None else None
    event["report_start"] = v.local_to_utc(_text(date_range, "start"), tz)
    event["report_end"] = v.local_to_utc(_text(date_range, "end"), tz)
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
    return ReportHeader(event, analytics, filters, questions, surveys)


def _viewer(node: Any, tz: ZoneInfo, line: int | None) -> ParsedViewer:
    """One ``<viewer>``, reading each child once (this runs for every registrant)."""
    viewer = ParsedViewer(None, [], [], [], [], source_line=line)
    for child in node:
        tag = child.tag
        if tag == "registration_date":
            viewer.registration_date = v.local_to_utc(child.text, tz)
        elif tag == "registration_answers":
            viewer.answers = [
                {"question_id": a.get("id"), "label": None, "value": v.text(a.text)} for a in child
            ]
        elif tag == "sessions":
            viewer.sessions = [_session(s, tz) for s in child]
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


def _session(node: Any, tz: ZoneInfo) -> dict[str, Any]:
    fields = {f.tag: f.text for f in node}
    return {
        "type": v.text(fields.get("type")),
        "start_time": v.local_to_utc(fields.get("start_time"), tz),
        "end_time": v.local_to_utc(fields.get("end_time"), tz),
        "duration": v.ms_to_seconds(v.text(fields.get("duration"))),
        "media": v.text(fields.get("media")),
    }
