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
#: lxml's parser options: no entity resolved, no DTD loaded, no network reached.
PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "remove_comments": True,
    "remove_pis": True,
    "remove_blank_text": True,  # layout whitespace between elements: no value of a report
    "huge_tree": False,
}
#: How far into the body the first reading looks for ``<viewers>`` (the header before it is a
#: few kilobytes), and how much it reads after ``</viewers>`` (the closing tags), before the
#: report is read event by event instead (the tree is not pruned there).
SHAPE_SLACK = 8 * 1024 * 1024
#: A ``<viewer>`` or ``<viewers>`` deeper than the viewers themselves (counted each block).
_NESTED = etree.XPath("count(*//viewer) + count(.//viewers)")
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
    repair, and looking for what to repair costs about as much as the parse. It is first read
    along the report's own shape (:meth:`_Walk.shaped_items`: the viewers taken from
    ``<viewers>`` as the tree grows, no event per element). Any error of lxml, or a report of
    another shape (a ``<viewer>`` elsewhere, a second ``<viewers>``...), makes it read again
    from the copy's start, event by event and with the repairs, as every report was read before;
    only the items after those already handed on are handed on (up to the first thing lxml
    refused, both readings are the same: each repair mends only what lxml refuses, and the first
    reading hands on only what the second would hand on first)."""
    walk = _Walk(event_id, Reading(event_id, tz, logger), streams)
    body.keep_copy()  # dropped by body.close() (the body's owner), or by replay()
    try:
        yield from walk.shaped_items(body)
    except (etree.XMLSyntaxError, _OtherShapeError):
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


class _OtherShapeError(Exception):
    """The report is not of the shape the first reading follows: it is read event by event."""


class _Walk:
    """The walks of one report: the first along the report's shape, then, if need be, one with
    lxml's iterparse that hands on only what the first did not."""

    def __init__(self, event_id: str, reading: Reading, streams: Collection[str] | None) -> None:
        self.event_id = event_id
        self.reading = reading
        self.streams = streams
        self.read_viewer = viewer_reader(event_id, reading, {}, streams)
        self.headers = 0  # headers (<viewers> starts) handed on
        self.viewers = 0  # viewers handed on

    def handed_on(self) -> tuple[int, int]:
        return self.headers, self.viewers

    def shaped_items(self, body: ReportBody) -> Iterator[ReportItem]:
        """The header and the viewers, read along the report's shape: once ``<viewers>`` has
        begun, the viewers are its children, each taken (read, handed on, removed) once the
        next one has begun or the report has ended, so that lxml sends no event per element.
        What it hands on is what :meth:`items` hands on first: before anything that reading
        would hand on otherwise (a ``<viewer>`` anywhere but among the children of the first
        ``<viewers>``, a second ``<viewers>``, no ``<viewers>``), it raises _OtherShapeError, and
        :meth:`items` reads the report instead, skipping what was handed on. (The header is
        read from the same tree as there: both look at it after the block in which
        ``<viewers>`` began.)"""
        parser = etree.XMLPullParser(events=("start",), tag="viewers", **PARSER_OPTIONS)
        read, feed, events = body.read, parser.feed, parser.read_events
        viewers: Any = None  # the <viewers> element, once begun
        ended = False  # whether something follows </viewers>
        slack = SHAPE_SLACK  # bytes still read before <viewers> begins, or after it ended
        read_viewer = self.read_viewer
        handed = 0
        try:
            while True:
                data = read()
                if data:
                    feed(data)
                else:
                    parser.close()
                if viewers is None:
                    for _, begun in events():
                        viewers = begun
                        break
                    if viewers is None:
                        slack -= len(data)
                        if data and slack > 0:
                            continue
                        raise _OtherShapeError  # not a report: the other reading says what it is
                    root = viewers.getroottree().getroot()
                    if next(root.iter("viewer", "viewers")) is not viewers:
                        raise _OtherShapeError  # a <viewer> before it: handed on first
                    header = self.header(viewers)
                    self.headers = 1
                    yield header
                    read_viewer = self.read_viewer
                if not ended:
                    ended = not data or _followed(viewers)
                count = len(viewers)
                taken = count if ended else count - 1
                if taken > 0:
                    if _NESTED(viewers):
                        raise _OtherShapeError
                    for child in viewers[:taken]:
                        if child.tag == "viewer":
                            handed += 1
                            yield read_viewer(child)
                    del viewers[:taken]
                if ended:
                    if _viewer_after(viewers):
                        raise _OtherShapeError
                    slack -= len(data)
                    if not data:
                        return
                    if slack <= 0:
                        raise _OtherShapeError
        finally:  # what was handed on, for a second walk (counted in a local: a viewer's cost)
            self.viewers = handed

    def items(self, body: ReportBody, skip: tuple[int, int] = (0, 0)) -> Iterator[ReportItem]:
        """The header and the viewers, but the first ``skip`` (headers, viewers) handed on by
        an earlier walk of the same body."""
        skip_headers, skip_viewers = skip
        headers = viewers = 0
        events = etree.iterparse(
            body, events=("start", "end"), tag=("viewers", "viewer"), **PARSER_OPTIONS
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


def _followed(node: Any) -> bool:
    """Whether anything (an element) follows ``node`` or one of its ancestors."""
    return node.getnext() is not None or any(a.getnext() is not None for a in node.iterancestors())


def _viewer_after(viewers: Any) -> bool:
    """Whether a ``<viewer>`` or ``<viewers>`` follows ``</viewers>``."""
    for node in (viewers, *viewers.iterancestors()):
        for after in node.itersiblings():
            if next(after.iter("viewer", "viewers"), None) is not None:
                return True
    return False


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
