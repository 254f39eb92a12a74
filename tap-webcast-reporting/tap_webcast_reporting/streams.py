"""The streams: time zones, the event list, and one report per event feeding eight streams."""

from __future__ import annotations

import typing as t
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import requests
from singer_sdk import Stream, metrics

from tap_webcast_reporting import api_names as names
from tap_webcast_reporting import schemas
from tap_webcast_reporting import values as v
from tap_webcast_reporting.client import (
    NETWORK_FAILURES,
    RunResources,
    WebcastsStream,
    XmlListStream,
    report_body,
)
from tap_webcast_reporting.errors import (
    EventNotAuthorizedError,
    NoAnswerError,
    QuotaReachedError,
    UnreadableReportError,
)
from tap_webcast_reporting.parsing import ReportHeader, csv_report, json_report, xml_report
from tap_webcast_reporting.records import ReportRecords
from tap_webcast_reporting.return_codes import PER_EVENT_LIMIT

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
        latest = [
            x
            for x in (
                v.epoch_ms_to_iso(element.get("latest_registration")),
                v.epoch_ms_to_iso(element.get("latest_session")),
            )
            if x
        ]
        return {
            "event_id": element.get("id"),
            "title": v.text(element.text),
            "cost_center": v.text(element.get("cost_center")),
            "event_expiry": v.utc_text_to_iso(element.get("event_expiry")),
            "is_expired": (element.get("is_expired") or "").strip().lower() == "true",
            "folder_id": v.text(element.get("folder_id")),
            "latest_registration": v.epoch_ms_to_iso(element.get("latest_registration")),
            "latest_session": v.epoch_ms_to_iso(element.get("latest_session")),
            "sched_start": v.text(element.get("sched_start")),
            "sched_end": v.text(element.get("sched_end")),
            "latest_activity": max(latest) if latest else None,
        }

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        wanted = {str(e) for e in self.config.get("event_ids") or []}
        seen: set[str] = set()
        for record in super().get_records(context):
            if wanted and record["event_id"] not in wanted:
                continue
            seen.add(record["event_id"])
            yield record
        # The loop above ends after the last event's report streams have run.
        events_left = self.resources.events_left
        if events_left:
            self.logger.warning(
                "Report quota ended this run early: %d events left for the next run (%s)",
                len(events_left),
                ", ".join(events_left[:20]),
            )
        for missing in sorted(wanted - seen):
            self.logger.warning(
                "Event %s is not in the account's event list (no permission, or a wrong id): "
                "no report is asked for it",
                missing,
            )

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

    # The report ---------------------------------------------------------------------------

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        assert context is not None
        event_id = str(context["event_id"])
        quota = self.resources.quota
        if quota.stopped:
            self.resources.events_left.append(event_id)
            return
        if not self.wants_report(context):
            return
        self.resources.timezones.check()
        # The quota answers (61/62) are the tap's own business rule, not a retry: wait within
        # quota_wait_seconds and ask again, else skip the event or end the run cleanly.
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
                    # A limit of this one event: the others can still be reported.
                    self.logger.warning("Skipping event %s until a later run: %s", event_id, exc)
                    return
                quota.stopped = str(exc)
                self.resources.events_left.append(event_id)
                self.logger.warning(
                    "Report quota: %s. No more reports in this run; the state is saved and the "
                    "next run continues with the events left.",
                    exc,
                )
                return
            except EventNotAuthorizedError as exc:
                self.logger.warning("Skipping event %s: %s", event_id, exc)
                return
            except UnreadableReportError as exc:
                self.logger.error("Skipping event %s until the next run: %s", event_id, exc)
                return
        if context.get("is_expired"):
            now = datetime.now(UTC).strftime(v.ISO_UTC)
            self.get_context_state(context)["expired_report_at"] = now
        yield {
            "event_id": event_id,
            **header.event,
            **header.analytics,
            "filters": header.filters or None,
            "report_format": self.report_format,
            "timezone": self.config.get("timezone", "GMT"),
            "registrant_count": count,
            "latest_activity": context.get("latest_activity"),
        }

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
        header: ReportHeader | None = None
        records: ReportRecords | None = None
        count = 0
        try:
            for item in PARSERS[self.report_format](
                report_body(response), event_id, tz, self.logger
            ):
                if isinstance(item, ReportHeader):
                    header, records = item, ReportRecords(event_id, item)
                    for name, record in records.header_records():
                        spool.add(name, record)
                    continue
                assert records is not None
                count += 1
                for name, record in records.viewer_records(item):
                    spool.add(name, record)
        except NETWORK_FAILURES as exc:
            parts = urlsplit(response.url)
            where = f"{parts.scheme}://{parts.netloc}{parts.path}"  # never the query
            raise NoAnswerError(
                f"GET {parts.netloc}{parts.path}: the report of event {event_id} was cut off "
                f"({type(exc).__name__})",
                where,
            ) from None
        return header or ReportHeader(), count

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"event_id": record["event_id"]}


class ReportPartStream(Stream):
    """Records read from one event's report (spooled by ``event_reports``)."""

    parent_stream_type = EventReportsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        assert context is not None
        yield from self.resources.spool.read(self.name, str(context["event_id"]))


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
