"""The Flask routes of the webcasts.com emulator: login (XML and JSON), time zones, the event
list, and the report in XML, JSON or CSV (standard and expired). Every failure is HTTP 200 with a
returnCode, like the API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import available_timezones

from flask import Flask, Response, request

from emulators.webcasts import codes
from emulators.webcasts.dataset import (
    SAMPLE_JSON_EVENT,
    SAMPLE_XML_EVENT,
    DataSet,
    sample_json,
    sample_xml,
)
from emulators.webcasts.model import Event
from emulators.webcasts.render_flat import render_csv, render_json
from emulators.webcasts.render_xml import render as render_xml
from emulators.webcasts.report_request import BadParametersError, ReportRequest
from emulators.webcasts.state import WebcastsState

TIMEZONES = frozenset(available_timezones() | {"GMT"})
NOT_FOUND = (
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
    "<body><h1>Not Found</h1></body></html>\n"
)
# What a proxy in front of the API answers while the service behind it restarts (HTTP 200).
PROXY_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Service Temporarily Unavailable</title></head>\n"
    "<body><h1>Service Temporarily Unavailable</h1><p>Please try again later.</p></body></html>\n"
)
Renderer = Callable[[DataSet, Event, ReportRequest, float], Iterator[str]]
RENDERERS: dict[str, Renderer] = {"xml": render_xml, "json": render_json, "csv": render_csv}
METHODS = ["GET", "POST"]


def _args() -> dict[str, str]:
    """Query and form parameters alike (the page: "via https GET or Post")."""
    return {**request.args.to_dict(), **request.form.to_dict()}


def _fail(code: int, fmt: str = "xml") -> Response:
    body, content_type = codes.failure(code, fmt)
    return Response(body, status=200, content_type=content_type)


def _xml(body: str) -> Response:
    return Response(body, status=200, content_type=codes.CONTENT_TYPES["xml"])


def _error_without_code(fmt: str) -> tuple[str, int, dict[str, str]]:
    """A failure answer that carries no returnCode (what the page documents for none of them)."""
    message = codes.MESSAGES[50]
    if fmt == "json":
        body = json.dumps({"api_version": "2.0", "error": message})
    elif fmt == "csv":
        body = f"error,description\r\n,{message}\r\n"
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<convey_api version="2.0">'
            f"\n<result>\n<error>{escape(message)}</error>\n</result>\n</convey_api>\n"
        )
    return body, 200, {"Content-Type": codes.CONTENT_TYPES.get(fmt, codes.CONTENT_TYPES["xml"])}


def register_routes(app: Flask, state: WebcastsState) -> None:
    def stamp() -> str:
        return datetime.fromtimestamp(state.now(), UTC).strftime("%Y-%m-%d %H:%M:%S")

    def guard(fmt: str = "xml", event_id: str | None = None) -> Response | None:
        """The checks every reporting call shares: version, session, scripted codes."""
        args = _args()
        scripted = state.scripted_code(request.path, event_id)
        if scripted is not None:
            return _fail(scripted, fmt)
        if args.get("ver", "2.0") != "2.0":
            return _fail(71, fmt)
        if not state.valid(args.get("ui"), args.get("si")):
            return _fail(11, fmt)
        return None

    @app.route("/api/login", methods=METHODS)
    @app.route("/api/login/<fmt>", methods=METHODS)
    def login(fmt: str = "xml") -> Response:
        if fmt not in ("xml", "json"):
            return _fail(74)
        args = _args()
        scripted = state.scripted_code(request.path, None)
        if scripted is not None:
            return _fail(scripted, fmt)
        if args.get("ver") != "2.0":
            return _fail(71, fmt)
        if not args.get("username") or not args.get("password"):
            return _fail(72, fmt)
        ids = state.login(args["username"], args["password"])
        if ids is None:
            return _fail(0, fmt)
        ui, si = ids
        if fmt == "json":
            return app.response_class(
                f'{{"api_version":"2.0","currentDateTime":"{stamp()}","currentTimeZone":"GMT",'
                f'"returnCode":1,"sessionid":"{si}","userid":"{ui}"}}',
                content_type=codes.CONTENT_TYPES["json"],
            )
        return _xml(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<convey_api version="2.0">\n<currentDateTime>{stamp()}</currentDateTime>\n'
            "<currentTimeZone>GMT</currentTimeZone >\n<result>\n<returnCode>1</returnCode>\n"
            "<success>\n<sessionid>\n<description>Authenticated session ID.</description>\n"
            f"<value>{si}</value>\n</sessionid>\n<userid>\n"
            f"<description>Authenticated user ID.</description>\n<value>{ui}</value>\n"
            "</userid>\n</success>\n</result>\n</convey_api>\n"
        )

    @app.route("/api/reporting/timezones", methods=METHODS)
    def timezones() -> Response:
        refused = guard()
        if refused is not None:
            return refused
        items = "".join(f"<timezone_id>{tz}</timezone_id>\n" for tz in sorted(TIMEZONES))
        return _xml(f"<convey_api>\n{items}</convey_api>\n")

    @app.route("/api/reporting/eventlist", methods=METHODS)
    def eventlist() -> Response:
        refused = guard()
        if refused is not None:
            return refused
        rows = []
        for event_id in state.data.event_ids():
            event = state.data.event(event_id)
            assert event is not None
            expiry = (
                datetime.fromtimestamp(event.od_expiration, UTC).strftime("%Y-%m-%d %H:%M:%S")
                if event.od_expiration
                else ""
            )
            rows.append(
                f"<{state.event_element} cost_center={quoteattr(event.cost_center)} "
                f'event_expiry="{expiry}" id="{event.id}" '
                f'is_expired="{str(event.is_expired).lower()}" folder_id="{event.folder_id}" '
                f'latest_registration="{int(event.latest_registration * 1000)}" '
                f'latest_session="{int(event.latest_session * 1000)}" '
                f'sched_end="" sched_start="">{escape(event.title)}</{state.event_element}>\n'
            )
        return _xml(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<convey_api version="2.0">\n<result>\n<returnCode>1</returnCode>\n'
            + "".join(rows)
            + "</result>\n</convey_api>\n"
        )

    @app.route("/api/reporting/<name>", methods=METHODS)
    @app.route("/api/reporting/<name>/<fmt>", methods=METHODS)
    def report(name: str, fmt: str = "xml") -> Response:
        # The report paths are a state attribute (report_path, expired_report_path): a test can
        # make the tap's assumed path an unknown one, answered 404 as a web server would.
        if name == state.report_path:
            return _report(fmt, expired=False)
        if name == state.expired_report_path:
            return _report(fmt, expired=True)
        return Response(NOT_FOUND, status=404, content_type="text/html")

    def _report(fmt: str, expired: bool) -> Response:
        if fmt not in RENDERERS:
            return _fail(74)
        args = _named(_args())
        event_id = args.get("ei", "")
        refused = guard(fmt, event_id)
        if refused is not None:
            return refused
        broken = state.breakage(event_id)
        if broken == "html":
            return Response(PROXY_PAGE, status=200, content_type="text/html")
        if broken == "error_without_code":
            return Response(*_error_without_code(fmt))
        try:
            req = ReportRequest.parse(args, TIMEZONES, variant=broken)
        except BadParametersError:
            return _fail(72, fmt)
        if args.get("ei") == SAMPLE_JSON_EVENT and state.data.samples and not expired:
            if fmt != "json":
                return _fail(10, fmt)
            return _admitted(fmt, False, event_id, lambda: iter([sample_json().decode()]))
        event = state.data.event(req.event_id)
        if event is None or event.is_expired != expired:
            return _fail(10, fmt)
        if event.id == SAMPLE_XML_EVENT and fmt == "xml":
            return _admitted(fmt, expired, event_id, lambda: iter([sample_xml().decode()]))
        now = state.now()

        def body() -> Iterator[str]:
            if fmt == "csv" and not state.csv_sessions:
                parts = render_csv(state.data, event, req, now, sessions_column=False)
            else:
                parts = RENDERERS[fmt](state.data, event, req, now)
            if broken != "one_line":
                return parts
            return (part.replace("\r\n", " ").replace("\n", " ") for part in parts)

        return _admitted(fmt, expired, event_id, body)

    def _named(args: dict[str, str]) -> dict[str, str]:
        """The report's parameters under the names the tap assumed: a parameter the API knows
        by another name (state.parameter_names) is not understood, so it is left out."""
        named = dict(args)
        for assumed, actual in state.parameter_names.items():
            named.pop(assumed, None)
            if actual in args:
                named[assumed] = args[actual]
        return named

    def _admitted(
        fmt: str, expired: bool, event_id: str, body: Callable[[], Iterator[str]]
    ) -> Response:
        refusal = state.quotas.admit(event_id, expired, state.now())
        if refusal is not None:
            return _fail(refusal, fmt)

        def stream() -> Iterator[str]:
            try:
                yield from body()
            finally:
                state.quotas.release(expired)

        return Response(stream(), status=200, content_type=codes.CONTENT_TYPES[fmt])
