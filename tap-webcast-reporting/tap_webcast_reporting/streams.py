"""The streams: time zones, the event list, and one report per event feeding eight streams."""

from __future__ import annotations

import typing as t
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from urllib.parse import urlsplit

import requests
from singer_sdk import Stream, metrics
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_webcast_reporting import api_names as names
from tap_webcast_reporting import schemas
from tap_webcast_reporting import values as v
from tap_webcast_reporting.client import (
    NETWORK_FAILURES,
    RunResources,
    WebcastsStream,
    XmlListStream,
    owed_reason,
    report_body,
)
from tap_webcast_reporting.errors import (
    EventNotAuthorizedError,
    NoAnswerError,
    QuotaReachedError,
    ReportParametersError,
    RetriesExhaustedError,
    UnexpectedAnswerError,
    UnreadableReportError,
    WebcastsAPIError,
)
from tap_webcast_reporting.messages import RecordLines
from tap_webcast_reporting.owed import OwedItems
from tap_webcast_reporting.parsing import ReportHeader, csv_report, json_report, xml_report
from tap_webcast_reporting.records import ReportShaping
from tap_webcast_reporting.return_codes import (
    INVALID_DATA,
    PER_EVENT_LIMIT,
    SUCCESS,
    describe,
    return_code,
)

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

PARSERS = {"xml": xml_report.parse, "json": json_report.parse, "csv": csv_report.parse}
EXPIRED_REPEAT = timedelta(hours=48)  # one report per expired event per 48 hours
QUOTA_RETRY_SECONDS = 60.0  # after a 61/62, ask again this much later (within the wait budget)


class TimezonesStream(XmlListStream):
    """The time zone ids the API accepts."""

    name = "timezones"
    path = names.TIMEZONES_PATH
    primary_keys = ("timezone_id",)
    schema = schemas.TIMEZONES
    record_element = "timezone_id"

    def record_of(self, element: t.Any) -> dict[str, t.Any]:
        return {"timezone_id": v.text(element.text)}


class EventsStream(XmlListStream):
    """The event list: every event the account may report on (or only ``event_ids``)."""

    name = "events"
    path = names.EVENT_LIST_PATH
    primary_keys = ("event_id",)
    schema = schemas.EVENTS
    record_element = "event_info"

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    def record_of(self, element: t.Any) -> dict[str, t.Any]:
        unparsed: dict[str, str] = {}

        def read(convert: t.Callable[[t.Any], t.Any], name: str) -> t.Any:
            return v.lenient(convert, element.get(name), name, unparsed)

        latest_registration = read(v.epoch_ms_to_iso, "latest_registration")
        latest_session = read(v.epoch_ms_to_iso, "latest_session")
        latest = [x for x in (latest_registration, latest_session) if x]
        record = {
            "event_id": element.get("id"),
            "title": v.text(element.text),
            "cost_center": v.text(element.get("cost_center")),
            "event_expiry": read(v.utc_text_to_iso, "event_expiry"),
            "is_expired": read(v.true_false, "is_expired") or False,
            "folder_id": v.text(element.get("folder_id")),
            "latest_registration": latest_registration,
            "latest_session": latest_session,
            "sched_start": v.text(element.get("sched_start")),
            "sched_end": v.text(element.get("sched_end")),
            "latest_activity": max(latest) if latest else None,
        }
        if unparsed:
            record["unparsed_values"] = unparsed
        return record

    @property
    def reports(self) -> EventReportsStream | None:
        """The event_reports stream, when it runs in this sync."""
        return next(
            (
                s
                for s in self.child_streams
                if isinstance(s, EventReportsStream) and (s.selected or s.has_selected_descendents)
            ),
            None,
        )

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        wanted = {str(e) for e in self.config.get("event_ids") or []}
        listed = list(super().get_records(context))
        records = [r for r in listed if not wanted or r["event_id"] in wanted]
        reports = self.reports
        # The events whose reports earlier syncs owe are asked for first.
        owed = [item["event_id"] for item in reports.owed_items().due()] if reports else []
        first = {event_id: n for n, event_id in enumerate(owed)}
        records.sort(key=lambda r: first.get(r["event_id"], len(first)))
        yield from records
        # The loop above ends after the last event's report streams have run.
        events_left = self.resources.events_left
        if events_left:
            self.logger.warning(
                "Report quota ended this run early: %d events left for the next run (%s)",
                len(events_left),
                ", ".join(events_left[:20]),
            )
        for missing in sorted(wanted - {r["event_id"] for r in records}):
            self.logger.warning(
                "Event %s is not in the account's event list (no permission, or a wrong id): "
                "no report is asked for it",
                missing,
            )
        odd = [r for r in listed if r.get("unparsed_values")]
        if odd:
            name, raw = next(iter(odd[0]["unparsed_values"].items()))
            self.logger.warning(
                "%d events of the event list hold values the tap could not read (first: event "
                "%s, %s %r): each typed field is null, the raw text kept in unparsed_values",
                len(odd),
                odd[0]["event_id"],
                name,
                raw,
            )
        if reports is not None:
            reports.owe_unasked({r["event_id"]: r for r in listed}, wanted)

    def get_child_context(self, record: dict, context: Context | None) -> dict | None:
        if record["is_expired"] and not self.config.get("include_expired", False):
            self.logger.info(
                "Event %s is expired and include_expired is off: no report", record["event_id"]
            )
            return None
        return {
            "event_id": record["event_id"],
            "is_expired": record["is_expired"],
            "latest_activity": record["latest_activity"],
        }

    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> t.Iterable[dict | None]:
        child = self.get_child_context(record, context)
        if child is not None:
            yield child


class EventReportsStream(WebcastsStream):
    """One report per event and run: event data, analytics and the filters applied. Reading it
    spools the records of the report streams below it."""

    name = "event_reports"
    path = names.REPORT_PATH  # the metrics name it; get_url picks the format and expired path
    parent_stream_type = EventsStream
    primary_keys = ("event_id",)
    replication_key = "latest_activity"
    state_partitioning_keys = ("event_id",)
    schema = schemas.EVENT_REPORTS
    is_sorted = False

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, resources=resources, **kwargs)
        self.asked: set[str] = set()  # the events whose report this sync asked for (or deferred)

    @property
    def report_format(self) -> str:
        return str(self.config.get("report_format", "xml"))

    def get_url(self, context: Context | None) -> str:
        expired = bool(context and context.get("is_expired"))
        path = names.EXPIRED_REPORT_PATH if expired else names.REPORT_PATH
        return self.url_base + path.format(format=self.report_format)

    def get_url_params(
        self, context: Context | None, next_page_token: t.Any | None
    ) -> dict[str, t.Any]:
        config = self.config
        params: dict[str, t.Any] = {
            names.VERSION: names.API_VERSION,
            names.EVENT_ID: (context or {}).get("event_id"),
            names.TIMEZONE: config.get("timezone", "GMT"),
        }
        for setting, param in ((("start_date", names.START_DATE)), ("end_date", names.END_DATE)):
            if config.get(setting):
                params[param] = date.fromisoformat(str(config[setting])[:10]).strftime(
                    names.DATE_FORMAT
                )
        for setting, param in names.ON_OFF_FILTERS.items():
            if config.get(setting) is not None:
                params[param] = "on" if config[setting] else "off"
        for setting, param in names.LIST_FILTERS.items():
            if config.get(setting):
                params[param] = "|".join(config[setting])
        return params

    def response_head(self, response: requests.Response) -> bytes:
        return report_body(response).head

    def validate_response(self, response: requests.Response) -> None:
        """The return codes (the base stream), then what the first bytes can tell: an answer
        that is not a report (an HTML page, XML without returnCode, JSON that is no object) is
        retried, then its event is owed; never read as an empty report."""
        super().validate_response(response)
        head = self.response_head(response).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head[:14].lower().startswith((b"<!doctype html", b"<html")):
            found = "an HTML page"
        elif self.report_format == "xml" and return_code(head) != SUCCESS:
            found = "XML without returnCode" if head.startswith(b"<") else "not XML"
        elif self.report_format == "json" and not head.startswith(b"{"):
            found = "not a JSON object"
        else:
            return
        raise UnexpectedAnswerError(
            f"{self.what(self.context)}: the answer is not a report ({found}, HTTP "
            f"{response.status_code}, {response.headers.get('Content-Type') or 'no Content-Type'})"
        )

    # The report ---------------------------------------------------------------------------

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        assert context is not None
        self.asked.add(str(context["event_id"]))
        record = self.report_record(context)
        if record is not None:
            yield record
            # The SDK has written the record and the report streams' records, and moved this
            # event's bookmark (as progress markers, since events come in no order): made final
            # now, not at the end of the sync.
            self.state_manager.finalize_state(self.get_context_state(context))
        # Progress is saved per event: a sync killed later does not ask for this report again
        # (quota spent twice), and what is owed is in the state at once.
        self.resources.state_writer.write_state(self.tap_state)

    @staticmethod
    def owed_item(context: Context) -> dict[str, t.Any]:
        """What identifies an event's report and what a later sync needs to ask for it."""
        return {"event_id": str(context["event_id"]), "is_expired": bool(context.get("is_expired"))}

    def owe_unasked(self, listed: dict[str, dict[str, t.Any]], wanted: set[str]) -> None:
        """At the end of the event list: owed reports this sync did not ask for are owed again,
        with why (never carried along forgotten); the quota ending the run excepted."""
        if self.resources.quota.stopped:
            return
        owed = self.owed_items()
        for item in owed.due():
            event_id = item["event_id"]
            if event_id in self.asked:
                continue
            record = listed.get(event_id)
            if record is None:
                why = "it is no longer in the account's event list"
            elif wanted and event_id not in wanted:
                why = "event_ids does not name it"
            elif record["is_expired"] and not self.config.get("include_expired", False):
                why = "it is expired and include_expired is off"
            else:
                why = "it was not asked for"
            owed.owe(item, f"not asked for this sync: {why}")

    def report_record(self, context: Context) -> dict[str, t.Any] | None:
        """The event's report (its records spooled for the report streams), or None when it is
        skipped (owed, permanent, unchanged or left for the next run)."""
        event_id = str(context["event_id"])
        item = self.owed_item(context)
        owed = self.owed_items()
        carried = [i for i in owed.due() if i["event_id"] == event_id]
        for stale in (i for i in carried if i != item):  # the event expired meanwhile
            owed.paid(stale)
        quota = self.resources.quota
        if quota.stopped:
            self.resources.events_left.append(event_id)
            return None
        if item in carried:
            self.logger.info("Event %s: its report is owed by an earlier sync", event_id)
        elif not self.wants_report(context):
            return None
        self.resources.timezones.check()
        # The quota answers (61/62) are the tap's own business rule, not a retry: wait within
        # quota_wait_seconds and ask again, else owe the event or end the run cleanly.
        while True:
            try:
                header, count = self.request_decorator(self.fetch_and_spool)(context)
                break
            except QuotaReachedError as exc:
                if exc.code is not None and quota.wait_left > 0:  # the API said 61/62
                    pause = min(QUOTA_RETRY_SECONDS, quota.wait_left)
                    self.logger.warning("%s; asking again in %.0f s", exc, pause)
                    quota.pause(pause)
                    continue
                if exc.code == PER_EVENT_LIMIT:
                    self.per_event_limit(context, item, exc)
                    return None
                quota.stopped = str(exc)
                self.resources.events_left.append(event_id)
                self.logger.warning(
                    "Report quota: %s. No more reports in this run; the state is saved and the "
                    "next run continues with the events left.",
                    exc,
                )
                return None
            except EventNotAuthorizedError as exc:
                # Permanent (returnCode 10): skipped, not owed.
                self.logger.warning("Skipping event %s: %s", event_id, exc)
                self.forget(owed, item, "returnCode 10 is permanent")
                return None
            except UnreadableReportError as exc:
                # The same answer again would be as broken: owed at once, no retry.
                owed.owe(item, self.reason(exc))
                return None
            except RetriesExhaustedError as exc:
                reason = owed_reason(exc)
                if reason is None:  # the whole API's failure: the sync ends
                    raise
                owed.owe(item, reason)
                return None
            except WebcastsAPIError as exc:
                if exc.code != INVALID_DATA or isinstance(exc, ReportParametersError):
                    raise
                owed.owe(item, self.reason(exc))  # 51: invalid data in this event's report
                return None
        if item in carried:
            owed.paid(item)
        if context.get("is_expired"):
            now = datetime.now(UTC).strftime(v.ISO_UTC)
            self.get_context_state(context)["expired_report_at"] = now
        record = {
            "event_id": event_id,
            **header.event,
            **header.analytics,
            "filters": header.filters or None,
            "report_format": self.report_format,
            "timezone": self.config.get("timezone", "GMT"),
            "registrant_count": count,
            "latest_activity": context.get("latest_activity"),
        }
        if header.unparsed:
            record["unparsed_values"] = header.unparsed
        return record

    def per_event_limit(
        self, context: Context, item: dict[str, t.Any], exc: QuotaReachedError
    ) -> None:
        """returnCode 61: for an expired event, the API's one report in 48 hours (permanent
        until then: skipped, not owed); for another, the API's limit of reports of this event
        ("try again later"): owed."""
        owed = self.owed_items()
        if context.get("is_expired"):
            self.logger.warning(
                "Skipping expired event %s: %s (one report per expired event in 48 hours)",
                item["event_id"],
                exc,
            )
            self.forget(owed, item, "the 48-hour rule of expired events")
            return
        owed.owe(item, f"{describe(PER_EVENT_LIMIT)}: the API's limit for this event")

    def forget(self, owed: OwedItems, item: dict[str, t.Any], why: str) -> None:
        """An owed event that now answers something permanent leaves the owed items."""
        if owed.is_owed(item):
            self.logger.warning(
                "Event %s is no longer owed: %s (not asked for again)", item["event_id"], why
            )
            owed.paid(item)

    @staticmethod
    def reason(exc: BaseException) -> str:
        """An exception as an owed item's reason: one line, short."""
        return " ".join(str(exc).split())[:300]

    def wants_report(self, context: Context) -> bool:
        """Only events whose latest registration or session moved since their last report;
        an expired event at most once per 48 hours."""
        state = self.get_context_state(context)
        event_id = context["event_id"]
        bookmark = state.get("replication_key_value")
        latest = context.get("latest_activity")
        if bookmark and latest and latest <= bookmark:
            self.logger.info("Event %s: no registration or session since its last report", event_id)
            return False
        last_expired = state.get("expired_report_at")
        if context.get("is_expired") and last_expired:
            since = datetime.now(UTC) - datetime.fromisoformat(last_expired)
            if since < EXPIRED_REPEAT:
                self.logger.info(
                    "Event %s is expired and was reported %s ago: the API allows one report per "
                    "48 hours",
                    event_id,
                    str(since).split(".")[0],
                )
                return False
        return True

    def fetch_and_spool(self, context: Context) -> tuple[ReportHeader, int]:
        """Ask for the report once and spool its records: one unit, retried whole by
        ``request_decorator`` (a report cut short is fetched again from its start). The login,
        when one is due, happens as the request is sent, inside the same try."""
        event_id = str(context["event_id"])
        if not self.renewed_session:  # the call repeated after a new login is not a new report
            self.resources.quota.take(bool(context.get("is_expired")))
        request = self.build_prepared_request(
            method="GET",
            url=self.get_url(context),
            params=self.get_url_params(context, None),
            headers=self.http_headers,
        )
        spool = self.resources.spool
        spool.start(event_id, {s.name for s in self.child_streams if s.selected})
        try:
            response = self.requests_session.send(
                self.authenticator(request),
                timeout=self.timeout,
                allow_redirects=self.allow_redirects,
                stream=True,  # the report is read as it arrives, never whole
            )
            try:
                self.log_request_duration(response, context)
                self.validate_response(response)
                return self.spool_report(response, event_id)
            finally:
                report_body(response).close()  # the copy the XML reader keeps on disk
                response.close()
        finally:
            spool.finish()

    def log_request_duration(self, response: requests.Response, context: Context) -> None:
        """The http_request_duration metric the SDK writes for the requests it sends itself
        (through the public singer_sdk.metrics), without the URL: it carries the session id."""
        ok = response.status_code < 400
        tags: dict[str, t.Any] = {
            metrics.Tag.STREAM: self.name,
            metrics.Tag.ENDPOINT: self.path,
            metrics.Tag.HTTP_STATUS_CODE: response.status_code,
            metrics.Tag.STATUS: metrics.Status.SUCCEEDED if ok else metrics.Status.FAILED,
            metrics.Tag.CONTEXT: context,
        }
        duration = response.elapsed.total_seconds()
        point = metrics.Point("timer", metrics.Metric.HTTP_REQUEST_DURATION, duration, tags)
        metrics.log(self.metrics_logger, point)

    def spool_report(self, response: requests.Response, event_id: str) -> tuple[ReportHeader, int]:
        """Read the report as it arrives; its records go to the spool. The header and the
        number of registrants are returned."""
        spool = self.resources.spool
        tz = v.zone(str(self.config.get("timezone", "GMT")))
        wanted = spool.streams  # only the selected streams' records are made
        shaping = ReportShaping(event_id, lambda h: self.check_applied(h, event_id), wanted)
        read = PARSERS[self.report_format]
        items = read(report_body(response), event_id, tz, self.logger, streams=wanted)
        try:
            for name, record in shaping.records(items):
                spool.add(name, record)
        except NETWORK_FAILURES as exc:
            parts = urlsplit(response.url)
            where = f"{parts.scheme}://{parts.netloc}{parts.path}"  # never the query
            raise NoAnswerError(
                f"GET {parts.netloc}{parts.path}: the report of event {event_id} was cut off "
                f"({type(exc).__name__})",
                where,
            ) from None
        return shaping.header or ReportHeader(), shaping.count

    def check_applied(self, header: ReportHeader, event_id: str) -> None:
        """The filters and date range the report says it applied must be those asked for: the
        parameter names are assumed (api_names.py), and a parameter the API does not know is
        ignored, so the report would hold other registrants than asked, silently. What the
        report does not say (CSV; JSON has no date range) cannot be checked."""
        config, stated = self.config, header.filters
        wrong: list[str] = []
        for setting, param in names.ON_OFF_FILTERS.items():
            said = stated.get(param)
            if config.get(setting) is not None and said is not None and said != config[setting]:
                asked = "on" if config[setting] else "off"
                wrong.append(f"{param} is {'on' if said else 'off'}, not {asked}")
        for setting, param in names.LIST_FILTERS.items():
            said = stated.get(names.STATED_FILTERS.get(param, param))
            if config.get(setting) and said is not None and set(said) != set(config[setting]):
                wrong.append(
                    f"{param} is {'|'.join(said) or 'empty'}, not {'|'.join(config[setting])}"
                )
        zone = header.zone or v.zone(str(config.get("timezone", "GMT")))
        for setting, field, at in (
            ("start_date", "report_start", "12:00:00 AM"),
            ("end_date", "report_end", "11:59:59 PM"),
        ):
            if config.get(setting) and field in header.event:
                day = date.fromisoformat(str(config[setting])[:10]).strftime(names.DATE_FORMAT)
                if header.event[field] != v.local_to_utc(f"{day} {at}", zone):
                    found = header.event[field] or "none"
                    wrong.append(f"the date range's {field[7:]} is {found}, not {day}")
        if wrong:
            raise ReportParametersError(
                f"event {event_id}: the report did not apply what the tap asked for: "
                f"{'; '.join(wrong)}. The API knows these parameters by other names than the "
                "tap assumed (see the README's Assumptions): no report filtered otherwise than "
                "asked is emitted"
            )

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"event_id": record["event_id"]}


class ReportPartStream(Stream):
    """Records read from one event's report (spooled by ``event_reports``)."""

    parent_stream_type = EventReportsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []
    # The records come back from the spool as decoded JSON, made by records.py with the
    # schema's fields and types only: the SDK's per-value conformance would change nothing
    # (tests/webcast_reporting/test_record_lines.py compares both paths) and cost the most.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources
        self.record_lines = RecordLines(self, tap)

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        assert context is not None
        yield from self.resources.spool.read(self.name, str(context["event_id"]))

    @cached_property
    def writes_lines_directly(self) -> bool:
        return self.record_lines.applies()

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        # SDK 0.54's private per-record writer: the one private override of this tap
        # (messages.py says when the line is written directly, and why); guarded by
        # tests/project/test_record_lines.py.
        if self.writes_lines_directly:
            self.record_lines.write(record)
            self.state_manager.is_flushed = False
        else:
            super()._write_record_message(record)


class RegistrationQuestionsStream(ReportPartStream):
    name = "registration_questions"
    primary_keys = ("event_id", "label")
    schema = schemas.REGISTRATION_QUESTIONS


class SurveysStream(ReportPartStream):
    name = "surveys"
    primary_keys = ("event_id", "name")
    schema = schemas.SURVEYS


class SurveyQuestionsStream(ReportPartStream):
    name = "survey_questions"
    primary_keys = ("event_id", "survey_name", "label")
    schema = schemas.SURVEY_QUESTIONS


class RegistrantsStream(ReportPartStream):
    name = "registrants"
    primary_keys = ("event_id", "email")
    schema = schemas.REGISTRANTS


class ViewingSessionsStream(ReportPartStream):
    name = "viewing_sessions"
    primary_keys = ("event_id", "email", "session_number")
    schema = schemas.VIEWING_SESSIONS


class QuestionsStream(ReportPartStream):
    name = "questions"
    primary_keys = ("event_id", "email", "question_number")
    schema = schemas.QUESTIONS


class SurveyResponsesStream(ReportPartStream):
    name = "survey_responses"
    primary_keys = ("event_id", "email", "response_number")
    schema = schemas.SURVEY_RESPONSES


STREAM_TYPES: tuple[type[WebcastsStream] | type[ReportPartStream], ...] = (
    TimezonesStream,
    EventsStream,
    EventReportsStream,
    RegistrationQuestionsStream,
    SurveysStream,
    SurveyQuestionsStream,
    RegistrantsStream,
    ViewingSessionsStream,
    QuestionsStream,
    SurveyResponsesStream,
)
