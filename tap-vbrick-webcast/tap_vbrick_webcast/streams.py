"""The streams: ``webcasts`` and, for each webcast and run number, its reports."""

from __future__ import annotations

import hashlib
import operator
import time
import typing as t
from collections.abc import Iterable
from functools import cached_property
from importlib import resources

from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.types import Context

from tap_vbrick_webcast.client import (
    ANSWERED_AT,
    REALTIME_KIND,
    ScrollStream,
    VbrickStream,
    carries_scroll_id,
    context_of,
    decoded,
    ending_on_error,
    owed_reason,
    rev_json,
)
from tap_vbrick_webcast.errors import (
    LoginRefusedError,
    ReportFailedError,
    ReportUnavailableError,
    RetriesExhaustedError,
    SessionUnavailableError,
)
from tap_vbrick_webcast.owed import item_key
from tap_vbrick_webcast.pagination import ScrollPaginator, ScrollToken
from tap_vbrick_webcast.values import (
    canonical_utc,
    minus_one_millisecond,
    plus_hours,
    plus_one_millisecond,
    timespan_seconds,
)

if t.TYPE_CHECKING:
    import requests

SCHEMAS = resources.files("tap_vbrick_webcast") / "schemas"
REPORT_PATH = "/api/v2/scheduled-events/{eventId}"
#: Webcast statuses (Rev's eventStatus) that say a webcast is over: its reports are final.
ENDED_STATUSES = frozenset({"Completed", "Deleted"})
#: The status of a webcast that has not started.
NOT_STARTED_STATUSES = frozenset({"Scheduled"})
#: Every status Vbrick's OpenAPI lists (another one is warned about, and taken as not ended).
EVENT_STATUSES = (
    ENDED_STATUSES
    | NOT_STARTED_STATUSES
    | {
        "Starting",
        "InProgress",
        "Broadcasting",
        "Recording",
        "RecordingStarting",
        "RecordingStopping",
        "VideoSourceStarting",
        "WaitingForStream",
    }
)
#: Comments asked for in one call: Rev's documented default `size`. More are paged with the
#: `scrollId` the answer carries (the OpenAPI's `size` parameter text).
COMMENTS_PAGE_SIZE = 10_000


def owed_item(context: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A webcast run's report as an owed item: what identifies it and what the next sync needs
    to ask for it again (the child context of the webcast search)."""
    return {
        "eventId": context["eventId"],
        "runNumber": context["runNumber"],
        "startDate": context.get("startDate"),
        "endDate": context.get("endDate"),
    }


class WebcastsStream(ScrollStream):
    """Webcasts by start date (``POST /api/v2/search/scheduled-events``, scrolled).

    The bookmark is the start of the last webcast whose reports are final, with every webcast
    before it final too. A webcast is final when Rev's status says it ended, or
    ``report_grace_hours`` after its scheduled end; one that is not (running, running late, yet
    to come) holds the bookmark just before its start, so the next sync asks for it again, and
    for nothing before it. Before the search, the report streams ask for what earlier syncs owe."""

    name = "webcasts"
    path = "/api/v2/search/scheduled-events"
    http_method = "POST"
    primary_keys: t.ClassVar[list[str]] = ["id"]
    replication_key = "startDate"
    # Progress is kept as markers and promoted at the end, capped by the signpost below.
    is_sorted = False
    schema_filepath = SCHEMAS / "webcasts.json"
    items_key = "events"
    total_key = "total"
    record_key_field = "id"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: The start of the earliest webcast found not final in this sync (the bookmark stays
        #: before it).
        self.held_at: str | None = None
        self.unknown_statuses: set[str] = set()
        #: The webcasts of the search page being read, in order, and where each id is in it:
        #: those after the current one have their reports asked for ahead.
        self.listed: list[dict[str, t.Any]] = []
        self.listed_at: dict[t.Any, int] = {}

    def record_key(self, record: dict[str, t.Any]) -> object:
        return record.get("id")

    def new_scroll(self) -> ScrollPaginator:
        return ScrollPaginator(self.items_key, self.total_key)

    def shape_problem(self, payload: t.Any, response: requests.Response) -> str | None:
        problem = super().shape_problem(payload, response)
        if problem is None and isinstance(payload, dict):
            for event in payload.get(self.items_key) or ():
                if not isinstance(event.get("startDate"), str):
                    return "a list of webcasts that each carry a 'startDate'"
        return problem

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        self.listed = list(self.records_of(decoded(response, rev_json)))
        self.listed_at = {row.get("id"): i for i, row in enumerate(self.listed)}
        return super().parse_response(response)

    @cached_property
    def window_end(self) -> str:
        end = self.config.get("end_date")
        return canonical_utc(str(end)) if end else self.resources.sync_started_at

    def window_start(self, context: Context | None) -> str:
        start = canonical_utc(str(self.config["start_date"]))
        state = self.get_context_state(context)
        bookmark = state.get("replication_key_value")
        if state.get("replication_key") == self.replication_key and isinstance(bookmark, str):
            bookmark = canonical_utc(bookmark)
            if bookmark >= start:
                return plus_one_millisecond(bookmark)  # everything up to it is final
        return start

    def prepare_request_payload(
        self, context: Context | None, next_page_token: ScrollToken | None
    ) -> dict[str, t.Any]:
        body: dict[str, t.Any] = {
            "startDate": self.window_start(context),
            "endDate": self.window_end,
            "sortField": "startDate",
            "sortDirection": "asc",
            "size": self.config.get("page_size", 500),
        }
        if next_page_token:
            body["scrollId"] = next_page_token.scroll_id
        return body

    def get_replication_key_signpost(self, context: Context | None = None) -> str:
        # A string in the records' own spelling, so that the SDK's cap compares like with like.
        return self.window_end

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        return ending_on_error(self.owed_then_listed(context), self.resources)

    def owed_then_listed(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        self.ask_owed_first()
        yield from super().get_records(context)

    def ask_owed_first(self) -> None:
        """Each report stream asks first for the webcast runs earlier syncs owe it (the search
        will not find them again: the bookmark has moved past them)."""
        for child in self.child_streams:
            if not (child.selected or child.has_selected_descendents):
                continue
            report = t.cast("WebcastReportStream", child)
            owed = report.owed_items()
            for item in owed.due():
                if not {"eventId", "runNumber"} <= item.keys():
                    self.logger.warning(
                        "%s: an owed item that names no webcast run (%s) cannot be asked for: "
                        "let go",
                        child.name,
                        item,
                    )
                    owed.paid(item)
                    continue
                self.logger.info(
                    "%s: asking first for webcast %s run %s, owed by an earlier sync",
                    child.name,
                    item.get("eventId"),
                    item.get("runNumber"),
                )
                child.sync(context=dict(item))

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        try:
            self.hold_bookmark_unless_final(row, context)
        except Exception:
            self.resources.close()  # the sync ends: requests sent ahead stop trying
            raise
        wanted = self.config.get("webcast_ids")
        if wanted and row.get("id") not in wanted:
            return None
        return row

    def hold_bookmark_unless_final(self, row: dict, context: Context | None) -> None:
        """Keep the bookmark before the earliest webcast that is not final (even one
        `webcast_ids` leaves out: a later change of that setting must still find it)."""
        start = row.get("startDate")
        if not isinstance(start, str) or self.is_final(row):
            return
        if self.held_at is None or start < self.held_at:
            self.held_at = start
            self.state_manager.write_replication_key_signpost(
                minus_one_millisecond(start), context=context
            )
            self.logger.info(
                "Webcast %s (starting %s) is not final: the bookmark stays before it, and its "
                "reports are read again by the next sync",
                row["id"],
                start,
            )

    def is_final(self, row: dict) -> bool:
        """Whether a webcast's reports are final: ``report_grace_hours`` after its scheduled
        end, or earlier when Rev's status says it ended (asked only inside the grace)."""
        end = row.get("endDate")
        if not isinstance(end, str):
            return False
        grace = float(self.config.get("report_grace_hours", 24))
        if plus_hours(end, grace) <= self.resources.sync_started_at:
            return True
        return self.webcast_status(str(row["id"])) in ENDED_STATUSES

    def webcast_status(self, event_id: str) -> str | None:
        """Rev's status of one webcast (``GET .../status``), within the retry contract; None
        (taken as not final, with a warning) when Rev will not say."""
        url = self.url_base + REPORT_PATH.format(eventId=event_id) + "/status"

        def ask() -> requests.Response:
            prepared = self.build_prepared_request(method="GET", url=url, headers=self.http_headers)
            response = self.requests_session.send(
                self.authenticator(prepared), timeout=self.timeout, proxies=self.proxies
            )
            response.__dict__[ANSWERED_AT] = time.monotonic()
            payload = self.checked_payload(response)
            if not isinstance(payload, dict) or not isinstance(payload.get("status"), str):
                raise RetriableAPIError(
                    f"{self.name}: Rev's status of webcast {event_id} is not an object with a "
                    "'status'",
                    response,
                )
            return response

        try:
            response = self.request_decorator(ask, kind="GET")()
        except LoginRefusedError:
            raise
        except RetriesExhaustedError as exc:
            reason = owed_reason(exc)
            if reason is None or isinstance(exc.failure, SessionUnavailableError):
                raise  # no answer at all, or no session: the sync ends
            self.status_unknown(event_id, reason)
            return None
        except FatalAPIError as exc:
            self.status_unknown(event_id, " ".join(str(exc).split()))
            return None
        status = str(decoded(response, rev_json)["status"])
        if status not in EVENT_STATUSES and status not in self.unknown_statuses:
            self.unknown_statuses.add(status)
            self.logger.warning(
                "webcasts: Rev's status %r (webcast %s) is not one Vbrick's OpenAPI lists: "
                "taken as not ended",
                status,
                event_id,
            )
        self.resources.webcast_statuses[event_id] = status
        return status

    def status_unknown(self, event_id: str, reason: str) -> None:
        self.logger.warning(
            "webcasts: Rev did not say the status of webcast %s (%s): it is taken as not final",
            event_id,
            reason,
        )

    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[Context | None]:
        # The SDK syncs each report stream of this webcast next: meanwhile the workers fetch
        # this webcast's reports and the next ones'.
        self.send_reports_ahead(record)
        yield from report_contexts(record, self.config.get("run_numbers", [0]))

    def send_reports_ahead(self, record: dict) -> None:
        """Offer the reports of this webcast and of the webcasts after it on the search page
        (those webcast_ids keeps) to the run's workers, in the order the report streams will
        read them, as far as the lookahead has room for first pages (ahead.room_for_first_pages:
        half of it, the rest kept for the pages that follow); drop what was asked for webcasts
        already read. Only the report streams selected that are sent ahead (never real-time
        attendees; the summary only when the sessions stream does not hand it over), and never
        a webcast run a report stream has read already in this sync (owed, asked for first)."""
        ahead = self.resources.ahead
        streams = self.reports_sent_ahead
        if not (ahead.active and streams):
            return
        position = self.listed_at.get(record.get("id"))
        following = self.listed[position + 1 :] if position is not None else []
        wanted = self.config.get("webcast_ids")
        rows = [record, *(r for r in following if not wanted or r.get("id") in wanted)]
        ids = {row.get("id") for row in rows}
        ahead.keep_only(lambda key: t.cast("tuple", key)[1] in ids)
        ahead.resume()
        runs = self.config.get("run_numbers", [0])
        for row in rows:
            if not isinstance(row.get("id"), str):
                continue
            for context in report_contexts(row, runs, canonical=True):
                done = item_key({"eventId": context["eventId"], "runNumber": context["runNumber"]})
                for stream in streams:
                    if not ahead.room_for_first_pages():
                        return
                    if done not in stream.handled:
                        stream.send_reports_ahead_of(context)

    @cached_property
    def reports_sent_ahead(self) -> list[WebcastReportStream]:
        """The report streams whose reports are asked for ahead, in the order they are read."""
        children = [t.cast("WebcastReportStream", c) for c in self.child_streams]
        sessions_read = any(c.selected and isinstance(c, AttendeeSessionsStream) for c in children)
        return [
            child
            for child in children
            if child.selected
            and child.sent_ahead
            and not (isinstance(child, AttendanceSummaryStream) and sessions_read)
        ]


def report_contexts(
    record: dict, runs: t.Iterable[int], *, canonical: bool = False
) -> Iterable[dict[str, t.Any]]:
    """The report streams' contexts of one webcast: one per run number. ``canonical``: the
    dates of a search row not normalized yet, as they will be."""
    start, end = record.get("startDate"), record.get("endDate")
    if canonical:
        start, end = canonical_or_kept(start), canonical_or_kept(end)
    for run in runs:
        yield {"eventId": record["id"], "runNumber": run, "startDate": start, "endDate": end}


def canonical_or_kept(value: t.Any) -> t.Any:
    """A date-time in the one spelling, or as it is when it is not one (normalize's rule)."""
    if not isinstance(value, str) or not value:
        return value
    try:
        return canonical_utc(value)
    except ValueError:
        return value


class WebcastReportStream(VbrickStream):
    """A report of one webcast and run, read once per sync. A report Rev will not give after its
    retries is owed (asked for first by the next sync); 403/404 are permanent (skipped with a
    warning, not owed); when Rev gives no answer at all, or throttles past the budget, the sync
    ends (retry contract)."""

    parent_stream_type = WebcastsStream
    # One state entry for the stream, not one per webcast: reports are re-read whole.
    state_partitioning_keys: t.ClassVar[list[str]] = []
    skip_unavailable_webcasts = True
    sent_ahead = True

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: The webcast runs this stream has read (or tried) in this sync: never twice.
        self.handled: set[str] = set()

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        assert context is not None
        return {"runNumber": context["runNumber"]}

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        assert context is not None
        return ending_on_error(self.report_of(context), self.resources)

    def report_of(self, context: Context) -> Iterable[dict[str, t.Any]]:
        """This stream's records of one webcast run, read once per sync: skipped or owed when
        Rev will not give it (a failure of the whole API ends the sync)."""
        item = owed_item(context)
        # By webcast and run alone: the search may find an owed webcast again with other dates.
        key = item_key({"eventId": item["eventId"], "runNumber": item["runNumber"]})
        if key in self.handled:
            return  # read first as an owed item, found again by the search
        self.handled.add(key)
        owed = self.owed_items()
        try:
            yield from self.report_records(context)
        except ReportUnavailableError as exc:
            self.report_skipped(context, exc)
            self.logger.warning(
                "%s; skipping webcast %s run %s for this stream, the others continue (Rev's "
                "docs make it permanent: not owed)",
                exc,
                context["eventId"],
                context["runNumber"],
            )
            if owed.is_owed(item):
                owed.paid(item)
        except ReportFailedError as exc:
            self.owe(context, exc, " ".join(str(exc).split())[:300])
        except RetriesExhaustedError as exc:
            reason = owed_reason(exc)
            if reason is None or isinstance(exc.failure, SessionUnavailableError):
                raise  # the whole API's failure: the sync ends (retry contract)
            self.owe(context, exc, reason)
        else:
            owed.paid(item)

    def report_records(self, context: Context) -> Iterable[dict[str, t.Any]]:
        """This stream's records for one webcast run."""
        yield from super().get_records(context)

    def owe(self, context: Context, exc: Exception, reason: str) -> None:
        self.report_skipped(context, exc)
        self.owed_items().owe(owed_item(context), reason)

    def report_skipped(self, context: Context, exc: Exception) -> None:
        """Hook: this webcast's report could not be read (skipped or owed)."""

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        assert context is not None
        row["eventId"] = context["eventId"]
        row["runNumber"] = context["runNumber"]
        return row


class AttendeeSessionsStream(WebcastReportStream, ScrollStream):
    """``GET .../post-event-report``: one record per attendee session, 500 a page. The first
    page carries the report's totals (handed to the summary stream); a report whose scroll ends
    short of its ``totalSessions`` is a failure (owed), never fewer sessions in silence."""

    name = "webcast_attendee_sessions"
    path = REPORT_PATH + "/post-event-report"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "sessionKey"]
    schema_filepath = SCHEMAS / "webcast_attendee_sessions.json"
    items_key = "sessions"
    total_key = "totalSessions"
    counts_must_match = True
    IDENTITY = ("username", "email", "ipAddress", "enteredDate", "browser", "deviceType")
    DURATIONS = ("sessionTime", "viewingTime", "publicCDNTime", "eCDNTime")

    def new_scroll(self) -> ScrollPaginator:
        return ScrollPaginator(self.items_key, self.total_key)

    def get_url_params(
        self, context: Context | None, next_page_token: ScrollToken | None
    ) -> dict[str, t.Any]:
        scroll_id = next_page_token.scroll_id if next_page_token else None
        return {**super().get_url_params(context, next_page_token), "scrollId": scroll_id}

    def shape_problem(self, payload: t.Any, response: requests.Response) -> str | None:
        problem = super().shape_problem(payload, response)
        if problem is None and not carries_scroll_id(response.request):
            return report_totals_problem(payload)
        return problem

    def scroll_description(self, context: Context | None) -> str:
        assert context is not None
        return f"the attendee report of webcast {context['eventId']} run {context['runNumber']}"

    def record_key(self, record: dict[str, t.Any]) -> object:
        return record.get("sessionKey")  # made of the session's identity (parse_response)

    @property
    def hands_summary_over(self) -> bool:
        return self.resources.report_summaries.wanted

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The sessions of one page, each with its durations in seconds, its polls' times in
        the one spelling, its webcast, run and key (``sessionKey``). The first page's totals are
        handed to the summary stream. (This runs for every attendee session: written for it.)"""
        if (
            self.hands_summary_over
            and self.context is not None
            and not carries_scroll_id(response.request)
        ):
            summary = summary_of(decoded(response, rev_json))
            if summary is not None:
                self.resources.report_summaries.put(self.context, summary)
        context = context_of(response) or self.context or {}
        event_id, run = context.get("eventId"), context.get("runNumber")
        key_head = f"{text_of(event_id)}\x1f{text_of(run)}\x1f"
        durations = self.seconds_fields
        identity = self.identity_of
        normalize = self.normalize
        hours_minutes = HOURS_MINUTES.get
        sha1 = hashlib.sha1
        for record in self.records_of(decoded(response, rev_json)):
            normalize(record)
            get = record.get
            for name, seconds_name in durations:
                value = get(name)
                # hh:mm:ss[.f], nearly every duration, read here (the seconds of "hh:mm:" from
                # a table); any other text by the rule of timespan_seconds, the same seconds
                # either way.
                if type(value) is str and value[6:8].isdigit():
                    whole = hours_minutes(value[:6])
                    if whole is not None:
                        try:
                            seconds = float(value[6:])
                        except ValueError:
                            seconds = -1.0
                        if 0 <= seconds < 60:
                            record[seconds_name] = whole + seconds
                            continue
                total = timespan_seconds(value)
                if total is None and value not in (None, ""):
                    self.odd_duration(name, value, event_id)
                record[seconds_name] = total
            polls = get("polls")
            if polls:
                for poll in polls:
                    if isinstance(poll, dict) and isinstance(poll.get("when"), str):
                        poll["when"] = canonical_utc(poll["when"])
            record["eventId"] = event_id
            record["runNumber"] = run
            try:  # every identity field there and a text: nearly every session
                text = key_head + "\x1f".join(identity(record))
            except (KeyError, TypeError):
                text = key_head + "\x1f".join(text_of(get(name)) for name in self.IDENTITY)
            record["sessionKey"] = sha1(text.encode()).hexdigest()  # a key, not a secret
            yield record

    #: The fields of a session's identity, in the key's order (an itemgetter: a tuple of them).
    identity_of = staticmethod(operator.itemgetter(*IDENTITY))

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        return row  # its webcast, run and key are set already (parse_response)

    @cached_property
    def seconds_fields(self) -> tuple[tuple[str, str], ...]:
        """Each duration Rev sends, and the field of its seconds."""
        return tuple((name, f"{name}Seconds") for name in self.DURATIONS)

    def odd_duration(self, name: str, value: t.Any, event_id: t.Any) -> None:
        """A duration that is not a TimeSpan stays as Rev sent it, its seconds null: one warning
        per field."""
        if name not in self.odd_durations:
            self.odd_durations.add(name)
            self.logger.warning(
                "%s: %s is not a .NET TimeSpan (%r, webcast %s): kept as sent, %sSeconds null",
                self.name,
                name,
                value,
                event_id,
                name,
            )

    @cached_property
    def odd_durations(self) -> set[str]:
        return set()

    def report_skipped(self, context: Context, exc: Exception) -> None:
        if self.hands_summary_over:
            self.resources.report_summaries.put(context, exc)


#: The seconds of each "hh:mm:" of a TimeSpan's common form ``hh:mm:ss[.f]``.
HOURS_MINUTES = {f"{h:02d}:{m:02d}:": h * 3600 + m * 60 for h in range(100) for m in range(60)}


def text_of(value: t.Any) -> str:
    """A value as the session key's text spells it (None: empty)."""
    return "" if value is None else value if type(value) is str else str(value)


SUMMARY_FIELDS = (
    "totalSessions",
    "totalPublicCDNTime",
    "totalECDNTime",
    "hostCount",
    "moderatorCount",
    "attendeeCount",
    "experiencedRebufferingPercentage",
    "averageExperiencedRebufferDuration",
    "experiencedErrorsPerAttendees",
    "multicastErrorsPerAttendees",
)


def report_totals_problem(payload: t.Any) -> str | None:
    """The first page of a post-event report carries its totals: never an all-null summary."""
    total = payload.get("totalSessions") if isinstance(payload, dict) else None
    if isinstance(total, int) and not isinstance(total, bool):
        return None
    return "a post-event report with its 'totalSessions'"


def summary_of(payload: t.Any) -> dict[str, t.Any] | None:
    if report_totals_problem(payload) is not None:
        return None
    summary = {name: payload.get(name) for name in SUMMARY_FIELDS}
    summary["totalPublicCDNTimeSeconds"] = timespan_seconds(summary["totalPublicCDNTime"])
    summary["totalECDNTimeSeconds"] = timespan_seconds(summary["totalECDNTime"])
    return summary


class AttendanceSummaryStream(WebcastReportStream):
    """The post-event report's totals: one record per webcast and run. Taken from the
    attendee-sessions stream's first page when that stream runs, else asked for itself."""

    name = "webcast_attendance_summary"
    path = REPORT_PATH + "/post-event-report"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber"]
    schema_filepath = SCHEMAS / "webcast_attendance_summary.json"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.resources.report_summaries.receiver = self  # the sessions stream hands over to it

    def report_records(self, context: Context) -> Iterable[dict[str, t.Any]]:
        handed = self.resources.report_summaries.take(context)
        if handed is None:
            yield from super().report_records(context)
        elif isinstance(handed, ReportUnavailableError):
            return  # permanent: the sessions stream has said so
        elif isinstance(handed, Exception):
            raise handed  # owed, as the sessions stream's report is
        else:
            yield dict(handed)

    def shape_problem(self, payload: t.Any, response: requests.Response) -> str | None:
        return report_totals_problem(payload)

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        summary = summary_of(payload)
        return [summary] if summary is not None else []


class RealtimeAttendeesStream(WebcastReportStream, ScrollStream):
    """``POST .../real-time/attendees`` (``attendeeDetails`` All) for webcasts in progress,
    only with ``include_realtime``. Vbrick allows 2 of these calls a minute: every page (and
    retry) waits its turn at the run's real-time pacer (RunResources.realtime_pacer).

    Keys are read in either casing: PascalCase (Vbrick's OpenAPI) or camelCase (the official
    client's types); an attendee without its ``SessionId`` is an error (the webcast is owed),
    never a record with a null key."""

    name = "webcast_realtime_attendees"
    path = REPORT_PATH + "/real-time/attendees"
    http_method = "POST"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "SessionId"]
    schema_filepath = SCHEMAS / "webcast_realtime_attendees.json"
    items_key = "attendees"
    total_key = "total"
    record_key_field = "SessionId"

    def new_scroll(self) -> ScrollPaginator:
        return ScrollPaginator(self.items_key, self.total_key)

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return {}

    def prepare_request_payload(
        self, context: Context | None, next_page_token: ScrollToken | None
    ) -> dict[str, t.Any]:
        assert context is not None
        body: dict[str, t.Any] = {
            "runNumber": context["runNumber"],
            "attendeeDetails": "All",
            "status": "All",
            "sortField": "FullName",
            "sortDirection": "asc",
            "count": self.config.get("page_size", 500),
        }
        if next_page_token:
            body["scrollId"] = next_page_token.scroll_id
        return body

    def keyless(self, records: list[t.Any]) -> str | None:
        for record in records:
            if not isinstance(record, dict):
                return "a list of objects"
            if not (record.get("SessionId") or record.get("sessionId")):
                return "a list of attendees that each carry 'SessionId' (or 'sessionId')"
        return None

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        return [self.pascal_case(a) for a in super().records_of(payload)]

    def pascal_case(self, attendee: dict[str, t.Any]) -> dict[str, t.Any]:
        """The schema's PascalCase names for keys Rev sent in camelCase (said once)."""
        renamed = []
        for key in list(attendee):
            pascal = key[:1].upper() + key[1:]
            if pascal != key and pascal in self.declared_fields and pascal not in attendee:
                attendee[pascal] = attendee.pop(key)
                renamed.append(key)
        if renamed and not self.camel_case_seen:
            self.camel_case_seen.append(True)
            self.logger.warning(
                "%s: Rev sent camelCase keys (%s...): read as the schema's PascalCase names",
                self.name,
                ", ".join(sorted(renamed)[:5]),
            )
        return attendee

    @cached_property
    def camel_case_seen(self) -> list[bool]:
        return []

    def record_key(self, record: dict[str, t.Any]) -> object:
        return record.get("SessionId")

    def scroll_description(self, context: Context | None) -> str:
        assert context is not None
        return f"the real-time attendees of webcast {context['eventId']}"

    def in_progress(self, context: Context) -> bool:
        """By Rev's status when this sync asked it (the webcast search, inside the grace), else
        by the schedule."""
        status = self.resources.webcast_statuses.get(str(context["eventId"]))
        if status is not None:
            return status not in ENDED_STATUSES | NOT_STARTED_STATUSES
        now = self.resources.sync_started_at
        start, end = context.get("startDate"), context.get("endDate")
        return isinstance(start, str) and start <= now and (not end or now < str(end))

    def report_records(self, context: Context) -> Iterable[dict[str, t.Any]]:
        if not self.config.get("include_realtime"):
            return
        if not self.in_progress(context):
            if self.owed_items().is_owed(owed_item(context)):
                self.logger.warning(
                    "%s: webcast %s is no longer in progress: its real-time attendees, owed by "
                    "an earlier sync, can no longer be read",
                    self.name,
                    context["eventId"],
                )
            return
        yield from super().report_records(context)

    # Never asked for ahead: every try waits its turn at Vbrick's pace for this call.
    sent_ahead = False

    @property
    def request_kind(self) -> str:
        return REALTIME_KIND

    def before_try(self) -> None:
        self.resources.realtime_pacer.wait()  # outside the gate: it holds no request in flight


class CommentsStream(WebcastReportStream, ScrollStream):
    """``GET .../comments``: the comment log of a webcast run, ``size`` 10,000 a call.

    Rev's OpenAPI describes a JSON array, and the ``size`` parameter's text a ``scrollId`` for
    more: both are read. An object (``comments``, ``totalComments``, ``scrollId``) is scrolled
    to its total; a plain array as long as ``size`` may be cut, and cannot be paged: its
    comments are emitted and the webcast is owed, with a warning (never cut in silence)."""

    name = "webcast_comments"
    path = REPORT_PATH + "/comments"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "commentId"]
    schema_filepath = SCHEMAS / "webcast_comments.json"
    items_key = "comments"
    total_key = "totalComments"
    record_key_field = "commentId"
    counts_must_match = True

    def new_scroll(self) -> ScrollPaginator:
        return ScrollPaginator(self.items_key, self.total_key)

    def get_url_params(
        self, context: Context | None, next_page_token: ScrollToken | None
    ) -> dict[str, t.Any]:
        params = {**super().get_url_params(context, next_page_token), "size": COMMENTS_PAGE_SIZE}
        if next_page_token:
            params["scrollId"] = next_page_token.scroll_id
        return params

    def shape_problem(self, payload: t.Any, response: requests.Response) -> str | None:
        if isinstance(payload, list):
            return self.keyless(payload)
        if isinstance(payload, dict):
            return super().shape_problem(payload, response)
        return "a JSON array of comments (or an object with a 'comments' array)"

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        return payload if isinstance(payload, list) else super().records_of(payload)

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        yield from super().parse_response(response)
        payload = decoded(response, rev_json)
        if isinstance(payload, list) and len(payload) >= COMMENTS_PAGE_SIZE:
            where = self.where(context_of(response))
            raise ReportFailedError(
                f"{self.name}: Rev answered {len(payload)} comments{where}, as many as "
                f"the page size ({COMMENTS_PAGE_SIZE}), as a plain JSON array without a scroll "
                "id: more may exist, and Rev gave no way to ask for them"
            )

    def record_key(self, record: dict[str, t.Any]) -> object:
        return record.get("commentId")

    def scroll_description(self, context: Context | None) -> str:
        assert context is not None
        return f"the comments of webcast {context['eventId']} run {context['runNumber']}"


class PollResultsStream(WebcastReportStream):
    """``GET .../poll-results``: one record per poll, its answers as an array. A run that never
    happened answers an empty body: no records (Vbrick's official client reads ``{}`` so too)."""

    name = "webcast_poll_results"
    path = REPORT_PATH + "/poll-results"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "id"]
    schema_filepath = SCHEMAS / "webcast_poll_results.json"
    record_key_field = "id"

    def shape_problem(self, payload: t.Any, response: requests.Response) -> str | None:
        if payload is None or payload == {}:
            return None  # the empty body of a run that never happened
        polls = payload.get("polls") if isinstance(payload, dict) else None
        if not isinstance(polls, list):
            return "an object with a 'polls' array"
        return self.keyless(polls)

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        polls = payload.get("polls") if isinstance(payload, dict) else None
        return polls if isinstance(polls, list) else []


class QuestionsStream(WebcastReportStream):
    """``GET .../questions``: the Q&A report of a webcast run."""

    name = "webcast_questions"
    path = REPORT_PATH + "/questions"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "questionId"]
    schema_filepath = SCHEMAS / "webcast_questions.json"
    record_key_field = "questionId"


STREAM_TYPES: tuple[type[VbrickStream], ...] = (
    WebcastsStream,
    AttendeeSessionsStream,  # before the summary: it hands the report's totals over
    AttendanceSummaryStream,
    RealtimeAttendeesStream,
    CommentsStream,
    PollResultsStream,
    QuestionsStream,
)
