"""The streams: ``webcasts`` and, for each webcast and run number, its reports."""

from __future__ import annotations

import hashlib
import typing as t
from collections.abc import Iterable
from functools import cached_property
from importlib import resources

from singer_sdk.helpers.types import Context

from tap_vbrick_webcast.client import ScrollStream, VbrickStream, decoded, rev_json
from tap_vbrick_webcast.errors import ReportUnavailableError
from tap_vbrick_webcast.pagination import ScrollPaginator, ScrollToken
from tap_vbrick_webcast.values import (
    canonical_utc,
    minus_one_millisecond,
    plus_one_millisecond,
    timespan_seconds,
)

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.pagination import BaseAPIPaginator

SCHEMAS = resources.files("tap_vbrick_webcast") / "schemas"
REPORT_PATH = "/api/v2/scheduled-events/{eventId}"


class WebcastsStream(ScrollStream):
    """Webcasts by start date (``POST /api/v2/search/scheduled-events``, scrolled).

    The bookmark is the start of the last webcast whose reports are final, with every webcast
    before it final too: a webcast still running (or yet to come) holds the bookmark just
    before its start, so the next sync asks for it again, and nothing before it."""

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

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.holding_bookmark = False

    def record_key(self, record: dict[str, t.Any]) -> object:
        return record.get("id")

    def get_new_paginator(self) -> BaseAPIPaginator:
        return ScrollPaginator(self.items_key, self.total_key)

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

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        self.hold_bookmark_if_open(row, context)
        wanted = self.config.get("webcast_ids")
        if wanted and row.get("id") not in wanted:
            return None
        return row

    def hold_bookmark_if_open(self, row: dict, context: Context | None) -> None:
        """Keep the bookmark before the first webcast not over yet (even one `webcast_ids`
        leaves out: a later change of that setting must still find it)."""
        end, start = row.get("endDate"), row.get("startDate")
        still_open = not isinstance(end, str) or end > self.resources.sync_started_at
        if still_open and isinstance(start, str) and not self.holding_bookmark:
            # Sorted by start: the first open webcast is the earliest one.
            self.holding_bookmark = True
            self.state_manager.write_replication_key_signpost(
                minus_one_millisecond(start), context=context
            )
            self.logger.info(
                "Webcast %s (starting %s) is not over: the bookmark stays before it",
                row["id"],
                start,
            )

    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[Context | None]:
        for run in self.config.get("run_numbers", [0]):
            yield {
                "eventId": record["id"],
                "runNumber": run,
                "startDate": record.get("startDate"),
                "endDate": record.get("endDate"),
            }


class WebcastReportStream(VbrickStream):
    """A report of one webcast and run. 400/403/404 skip that webcast with a warning."""

    parent_stream_type = WebcastsStream
    # One state entry for the stream, not one per webcast: reports are re-read whole.
    state_partitioning_keys: t.ClassVar[list[str]] = []
    skip_unavailable_webcasts = True

    def get_new_paginator(self) -> BaseAPIPaginator | None:
        return None

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        assert context is not None
        return {"runNumber": context["runNumber"]}

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        assert context is not None
        try:
            yield from super().get_records(context)
        except ReportUnavailableError as exc:
            self.report_unavailable(context)
            self.logger.warning(
                "%s; skipping webcast %s run %s for this stream, the others continue",
                exc,
                context["eventId"],
                context["runNumber"],
            )

    def report_unavailable(self, context: Context) -> None:
        """Hook: remember that this webcast's report could not be read."""

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        assert context is not None
        row["eventId"] = context["eventId"]
        row["runNumber"] = context["runNumber"]
        return row


class AttendeeSessionsStream(WebcastReportStream, ScrollStream):
    """``GET .../post-event-report``: one record per attendee session, 500 a page."""

    name = "webcast_attendee_sessions"
    path = REPORT_PATH + "/post-event-report"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "sessionKey"]
    schema_filepath = SCHEMAS / "webcast_attendee_sessions.json"
    items_key = "sessions"
    total_key = "totalSessions"
    IDENTITY = ("username", "email", "ipAddress", "enteredDate", "browser", "deviceType")

    def get_new_paginator(self) -> BaseAPIPaginator:
        return ScrollPaginator(self.items_key, self.total_key)

    def get_url_params(
        self, context: Context | None, next_page_token: ScrollToken | None
    ) -> dict[str, t.Any]:
        scroll_id = next_page_token.scroll_id if next_page_token else None
        return {**super().get_url_params(context, next_page_token), "scrollId": scroll_id}

    def scroll_description(self, context: Context | None) -> str:
        assert context is not None
        return f"the attendee report of webcast {context['eventId']} run {context['runNumber']}"

    def record_key(self, record: dict[str, t.Any]) -> object:
        return tuple(record.get(name) for name in self.IDENTITY)

    @property
    def hands_summary_over(self) -> bool:
        return self.resources.report_summaries.wanted

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        if self.hands_summary_over and self.context is not None:
            summary = summary_of(decoded(response, rev_json))
            self.resources.report_summaries.put(self.context, summary)
        for record in super().parse_response(response):
            for name in ("sessionTime", "viewingTime", "publicCDNTime", "eCDNTime"):
                record[f"{name}Seconds"] = timespan_seconds(record.get(name))
            for poll in record.get("polls") or ():
                if isinstance(poll, dict) and isinstance(poll.get("when"), str):
                    poll["when"] = canonical_utc(poll["when"])
            yield record

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row = t.cast("dict", super().post_process(row, context))
        identity = [row["eventId"], row["runNumber"], *(row.get(n) for n in self.IDENTITY)]
        row["sessionKey"] = hashlib.sha1(  # noqa: S324 (a key, not a secret)
            "\x1f".join("" if v is None else str(v) for v in identity).encode()
        ).hexdigest()
        return row

    def report_unavailable(self, context: Context) -> None:
        if self.hands_summary_over:
            self.resources.report_summaries.put(context, None)


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


def summary_of(payload: t.Any) -> dict[str, t.Any] | None:
    if not isinstance(payload, dict):
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

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        assert context is not None
        found, summary = self.resources.report_summaries.take(context)
        if not found:
            yield from super().get_records(context)
        elif summary is not None:
            yield dict(summary)

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        summary = summary_of(payload)
        if summary is None:
            raise self.unexpected_answer("a post-event report object")
        return [summary]


class RealtimeAttendeesStream(WebcastReportStream, ScrollStream):
    """``POST .../real-time/attendees`` (``attendeeDetails`` All) for webcasts in progress,
    only with ``include_realtime``. Vbrick allows 2 of these calls a minute: every page (and
    retry) waits its turn at the run's real-time pacer (RunResources.realtime_pacer)."""

    name = "webcast_realtime_attendees"
    path = REPORT_PATH + "/real-time/attendees"
    http_method = "POST"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "SessionId"]
    schema_filepath = SCHEMAS / "webcast_realtime_attendees.json"
    items_key = "attendees"
    total_key = "total"

    def get_new_paginator(self) -> BaseAPIPaginator:
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

    def record_key(self, record: dict[str, t.Any]) -> object:
        return record.get("SessionId")

    def scroll_description(self, context: Context | None) -> str:
        assert context is not None
        return f"the real-time attendees of webcast {context['eventId']}"

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        assert context is not None
        now = self.resources.sync_started_at
        start, end = context.get("startDate"), context.get("endDate")
        in_progress = isinstance(start, str) and start <= now and (not end or now < str(end))
        if self.config.get("include_realtime") and in_progress:
            yield from super().get_records(context)

    def request_decorator(self, func: t.Callable) -> t.Callable:
        pacer = self.resources.realtime_pacer

        def paced(*args: t.Any, **kwargs: t.Any) -> t.Any:
            pacer.wait()
            return func(*args, **kwargs)

        return super().request_decorator(paced)


class CommentsStream(WebcastReportStream):
    """``GET .../comments``: the comment log of a webcast run."""

    name = "webcast_comments"
    path = REPORT_PATH + "/comments"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "commentId"]
    schema_filepath = SCHEMAS / "webcast_comments.json"


class PollResultsStream(WebcastReportStream):
    """``GET .../poll-results``: one record per poll, its answers as an array. A run that never
    happened answers an empty body: no records."""

    name = "webcast_poll_results"
    path = REPORT_PATH + "/poll-results"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "id"]
    schema_filepath = SCHEMAS / "webcast_poll_results.json"

    def records_of(self, payload: t.Any) -> Iterable[dict]:
        if payload is None:
            return []  # the empty body of a run that never happened
        polls = payload.get("polls") if isinstance(payload, dict) else None
        if isinstance(polls, list):
            return polls
        if isinstance(payload, dict) and polls is None:
            return []
        raise self.unexpected_answer("an object with a 'polls' array")


class QuestionsStream(WebcastReportStream):
    """``GET .../questions``: the Q&A report of a webcast run."""

    name = "webcast_questions"
    path = REPORT_PATH + "/questions"
    primary_keys: t.ClassVar[list[str]] = ["eventId", "runNumber", "questionId"]
    schema_filepath = SCHEMAS / "webcast_questions.json"


STREAM_TYPES: tuple[type[VbrickStream], ...] = (
    WebcastsStream,
    AttendeeSessionsStream,  # before the summary: it hands the report's totals over
    AttendanceSummaryStream,
    RealtimeAttendeesStream,
    CommentsStream,
    PollResultsStream,
    QuestionsStream,
)
