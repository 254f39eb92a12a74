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
from collections.abc import Collection, Iterator
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
    ReportHeader,
    ReportItem,
)
from tap_webcast_reporting.parsing.reading import Reading
from tap_webcast_reporting.parsing.xml_repair import XmlRepair
from tap_webcast_reporting.parsing.xml_viewer import viewer_reader

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
    body: ReportBody,
    event_id: str,
    tz: ZoneInfo,
    logger: logging.Logger,
    *,
    streams: Collection[str] | None = None,
) -> Iterator[ReportItem]:
    """The report's header, then its viewers. ``tz`` is the zone asked for; the times are
    converted from the zone the report states. ``streams``: the report streams wanted (None:
    all); what only the others need is not read.

    The body is read as it came, a copy of it kept aside (on disk): well-formed XML needs no
    repair, and looking for what to repair costs about as much as the parse. Any error of lxml
    makes it read again from the copy's start, with the repairs, as every report was read
    before; only the items after those already handed on are handed on (up to the first thing
    lxml refused, both readings are the same: each repair mends only what lxml refuses)."""
    walk = _Walk(event_id, Reading(event_id, tz, logger), streams)
    body.keep_copy()  # dropped by body.close() (the body's owner), or by replay()
    try:
        yield from walk.items(body)
    except etree.XMLSyntaxError:
        again = body.replay()
        repair = XmlRepair(event_id, logger)
        again.repair, again.cut_after = repair, b">"
        try:
            yield from walk.items(again, walk.handed_on())
        except etree.XMLSyntaxError as exc:
            if _cut_short(exc, again):
                raise BrokenReportError(
                    f"event {event_id}: the XML report ended early at line {_line(exc)}"
                ) from None
            raise UnreadableReportError(
                f"event {event_id}: the XML report is broken at line {_line(exc)} in a way "
                f"no repair settles ({exc.msg})"
            ) from None
        finally:
            repair.finish()
    walk.reading.finish()


def _line(exc: etree.XMLSyntaxError) -> int:
    return exc.position[0] if exc.position else (exc.lineno or 0)


def _cut_short(exc: etree.XMLSyntaxError, body: ReportBody) -> bool:
    """Whether lxml stopped at the very end of the whole body: the report was cut short."""
    line, column = exc.position if exc.position else (exc.lineno or 0, 0)
    at_end = line >= body.lines_read and column >= body.last_line_chars - END_SLACK
    return body.eof and at_end


class _Walk:
    """One walk of the report with lxml's iterparse; a second walk (after repairs) hands on only
    what the first did not."""

    def __init__(self, event_id: str, reading: Reading, streams: Collection[str] | None) -> None:
        self.event_id = event_id
        self.reading = reading
        self.streams = streams
        self.read_viewer = viewer_reader(event_id, reading, {}, streams)
        self.headers = 0  # headers (<viewers> starts) handed on
        self.viewers = 0  # viewers handed on

    def handed_on(self) -> tuple[int, int]:
        return self.headers, self.viewers

    def items(self, body: ReportBody, skip: tuple[int, int] = (0, 0)) -> Iterator[ReportItem]:
        """The header and the viewers, but the first ``skip`` (headers, viewers) handed on by
        an earlier walk of the same body."""
        skip_headers, skip_viewers = skip
        headers = viewers = 0
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
            remove_blank_text=True,  # layout whitespace between elements: no value of a report
            huge_tree=False,
        )
        read_viewer = self.read_viewer
        try:
            for action, elem in events:
                if action == "end":
                    if elem.tag == "viewer":
                        viewers += 1
                        if viewers > skip_viewers:
                            yield read_viewer(elem)
                        elem.clear()
                        while elem.getprevious() is not None:
                            del elem.getparent()[0]
                elif elem.tag == "viewers":
                    headers += 1
                    if headers > skip_headers:
                        yield self.header(elem)
                        read_viewer = self.read_viewer
        finally:  # what was handed on, for a second walk (counted in locals: a viewer's cost)
            self.headers = max(self.headers, headers)
            self.viewers = max(self.viewers, viewers)
        if not headers:
            root = events.root
            what = f"<{root.tag}> without <viewers>" if root is not None else "empty"
            raise UnexpectedAnswerError(
                f"event {self.event_id}: the answer is not a report ({what})"
            )

    def header(self, viewers: Any) -> ReportHeader:
        parent = viewers.getparent()
        root = viewers.getroottree().getroot()
        if root.tag != ROOT or parent is None or parent.tag != "report_data":
            raise UnexpectedAnswerError(
                f"event {self.event_id}: the answer is not a report (<viewers> under "
                f"<{root.tag}>, not <{ROOT}><result><report_data>)"
            )
        self.reading.settle_zone(v.text(root.findtext("currentTimeZone")))
        header = _header(parent, self.reading)
        labels = {
            q["question_id"]: q["label"] for q in header.registration_questions if q["question_id"]
        }
        self.read_viewer = viewer_reader(self.event_id, self.reading, labels, self.streams)
        return header


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
