"""The streams: sampled content and ad sessions, viewer sessions and summaries, dimensions."""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from http import HTTPStatus

import requests
from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk import typing as th
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_conviva_sessions import schemas
from tap_conviva_sessions.client import ConvivaStream, json_body
from tap_conviva_sessions.pagination import (
    SeenSessions,
    Window,
    WindowPage,
    WindowPaginator,
    WindowWalk,
)
from tap_conviva_sessions.values import epoch_ms_iso, floor_minute, instant, utc_iso

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record

SCHEMAS = SchemaDirectory(schemas)
#: How far back the sample endpoints reach (a request must start within the last 31 days),
#: less a minute so that the first window is still inside the limit when it is requested.
RETENTION = timedelta(days=31) - timedelta(minutes=1)
#: The most sessions the viewer endpoints return for one viewer.
VIEWER_MAX_SESSIONS = 500


def with_utc_bounds(record: dict) -> dict:
    """Add ``session_start`` and ``session_end`` (UTC ISO 8601) from ``timestamps``."""
    stamps = record.get("timestamps") or {}
    record["session_start"] = epoch_ms_iso((stamps.get("start") or {}).get("epoch_ms"))
    record["session_end"] = epoch_ms_iso((stamps.get("end") or {}).get("epoch_ms"))
    return record


def end_epoch_ms(record: dict) -> int:
    end = (record.get("timestamps") or {}).get("end") or {}
    return int(end.get("epoch_ms") or 0)


class SampleSessionsStream(ConvivaStream):
    """A sample-sessions endpoint walked in windows from the bookmark to the end of the range.

    The bookmark (``session_end``) is the end of the last window whose sessions were all
    emitted: records do not move it, since a session can end after the window that returned
    it. Every following sync asks again from there, so an interrupted sync loses nothing.
    """

    primary_keys = ("conviva_session_id",)
    replication_key = "session_end"
    # Bookmarks are window ends, which only grow: the state is resumable at every window.
    is_sorted = True
    schema = StreamSchema(SCHEMAS, key="session")
    # The nested values arrive as JSON of the documented types; conforming them one by one
    # costs more than the rest of the tap. The root (where the tap adds fields) is checked.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY

    #: This sync's walk (made by get_records, walked by the SDK's request loop).
    pages: WindowPaginator
    #: The sessions this sync emitted that a later window can return again.
    seen: SeenSessions

    # Settings ------------------------------------------------------------------------------

    @cached_property
    def filter_params(self) -> dict[str, t.Any]:
        """The configured filters as query parameters (repeated for OR within one dimension)."""
        params: dict[str, t.Any] = {}
        for name, values in (self.config.get("dimension_filters") or {}).items():
            params[name] = list(values)
        for name, values in (self.config.get("custom_tag_filters") or {}).items():
            params[f"tag_{name}"] = list(values)
        for name, flag in (self.config.get("status_filters") or {}).items():
            params[name] = "true" if flag else "false"
        if self.config.get("filter_id"):
            params["filter_id"] = str(self.config["filter_id"])
        return params

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size", 500))

    def sync_range(self, context: Context | None) -> tuple[datetime, datetime]:
        """``[start, end)`` for this sync: from the bookmark (or start_date) to end_date
        (or now less end_offset_minutes), the start moved into the API's 31 days."""
        now = datetime.now(UTC)
        latest = floor_minute(
            now - timedelta(minutes=int(self.config.get("end_offset_minutes", 10)))
        )
        end = latest
        if self.config.get("end_date"):
            end = instant(self.config["end_date"])
            if end > latest:
                self.logger.warning(
                    "end_date %s is later than now less end_offset_minutes: syncing %s up to %s, "
                    "whose sessions are complete",
                    self.config["end_date"],
                    self.name,
                    utc_iso(latest),
                )
                end = latest
        start = self.get_starting_timestamp(context) or end
        earliest = floor_minute(now - RETENTION)
        if start < earliest:
            self.logger.warning(
                "%s: the start %s is older than the 31 days Conviva serves; sessions from %s "
                "to %s cannot be fetched and are skipped, the sync starts there",
                self.name,
                utc_iso(start),
                utc_iso(start),
                utc_iso(earliest),
            )
            start = earliest
        return start, end

    # Requests ------------------------------------------------------------------------------

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if not self.endpoint_is_open():
            self.logger.warning(
                "The account has no %s endpoint (the discovery endpoint does not list it): "
                "stream %s is skipped",
                self.path,
                self.name,
            )
            return
        start, end = self.sync_range(context)
        if start >= end:
            self.logger.info("%s: nothing to sync before %s", self.name, utc_iso(end))
            return
        span = timedelta(minutes=int(self.config.get("window_minutes", 180)))
        self.seen = SeenSessions()
        self.pages = WindowPaginator(
            WindowWalk(start, end, span),
            self.page_size,
            stream_name=self.name,
            logger=self.logger,
            window_done=lambda window: self.finish_window(window, context),
        )
        yield from self.request_records(context)

    def get_new_paginator(self) -> WindowPaginator:
        """This sync's walk, made by get_records (one request_records call per sync)."""
        return self.pages

    def get_url_params(
        self, context: Context | None, next_page_token: WindowPage | None
    ) -> dict[str, t.Any]:
        assert next_page_token is not None  # the walk always has a page to ask for
        window = next_page_token.window
        return {
            "start_date": utc_iso(window.start),
            "end_date": utc_iso(window.end),
            "limit": next_page_token.limit,
            **self.filter_params,
        }

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            return  # the paginator splits the window or asks for fewer sessions
        super().validate_response(response)

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The answer's sessions not emitted yet in this sync; none for an answer the walk
        sets aside (a 413, or a full window about to be split)."""
        if not self.pages.keeps(response):
            return
        for session in super().parse_response(response):
            if self.seen.first_time(session["conviva_session_id"], end_epoch_ms(session)):
                yield session

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        return with_utc_bounds(row)

    # Bookmarks -----------------------------------------------------------------------------

    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        """Records do not move the bookmark: :meth:`finish_window` does.

        The one private SDK part this tap overrides. SDK 0.54 calls this after writing each
        record, to move the bookmark to the record's replication key value, and has no public
        hook to opt out: here a record's ``session_end`` can lie after the end of the window
        that returned it, and the bookmark must stay at that window's end (or a later window
        would be skipped). Guarded by tests/conviva_sessions/test_bookmarks.py."""

    def finish_window(self, window: Window, context: Context | None) -> None:
        """Move the bookmark past a window whose sessions were all emitted, and say so in a
        STATE message, so that a sync stopped now resumes at the next window."""
        self.seen.forget_ended_before(int(window.end.timestamp() * 1000))
        assert self.replication_key
        self.state_manager.increment_state(
            {self.replication_key: utc_iso(window.end)},
            context=context,
            replication_key=self.replication_key,
        )
        self.resources.state_writer.write_state(self.tap_state)


class ContentSessionsStream(SampleSessionsStream):
    """Samples of video content sessions."""

    name = "content_sessions"
    path = "/sessions/content"


class AdSessionsStream(SampleSessionsStream):
    """Samples of ad sessions (accounts with Ad Insights only)."""

    name = "ad_sessions"
    path = "/sessions/ad"


class ViewerSessionSchema(StreamSchema[str]):
    """The session schema plus the viewer IP the sessions were asked for."""

    def get_stream_schema(self, stream: t.Any, stream_class: t.Any) -> dict[str, t.Any]:
        schema = super().get_stream_schema(stream, stream_class)
        viewer_ip = {
            "type": ["string", "null"],
            "description": "The viewer IP these sessions were asked for (viewer_ips setting)",
        }
        return {**schema, "properties": {**schema["properties"], "viewer_ip": viewer_ip}}


class ViewerStream(ConvivaStream):
    """One request per configured viewer id and viewer IP (the partitions)."""

    discovery_path = "/sessions/content/viewer"
    #: Whether the skip of this stream was logged (once per sync, not once per viewer).
    skip_logged = False
    # The viewer endpoints answer for the last viewer_days days: no bookmark, no partition state.
    state_partitioning_keys: t.Sequence[str] | None = ()

    @property
    def partitions(self) -> list[dict] | None:
        return [{"viewer_id": v} for v in self.config.get("viewer_ids") or []] + [
            {"viewer_ip": ip} for ip in self.config.get("viewer_ips") or []
        ]

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return {**(context or {}), "days": int(self.config.get("viewer_days", 1))}

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if not context:
            return
        if not self.endpoint_is_open():
            if not self.skip_logged:
                self.logger.warning(
                    "The account has no Viewer-Module API (the discovery endpoint does not list "
                    "%s): stream %s is skipped",
                    self.discovery_path,
                    self.name,
                )
                self.skip_logged = True
            return
        yield from super().get_records(context)


class ViewerSessionsStream(ViewerStream):
    """A viewer's content sessions, ended and running, over the last ``viewer_days`` days."""

    name = "viewer_sessions"
    path = "/sessions/content/viewer"
    primary_keys = ("conviva_session_id",)
    schema = ViewerSessionSchema(SCHEMAS, key="session")
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return {**super().get_url_params(context, next_page_token), "limit": VIEWER_MAX_SESSIONS}

    def parse_response(self, response: requests.Response) -> Iterator[dict]:
        sessions = list(super().parse_response(response))
        if len(sessions) >= VIEWER_MAX_SESSIONS:
            self.logger.warning(
                "viewer_sessions: %d sessions for one viewer, the most the API returns; older "
                "sessions of the last %s days may be missing (lower viewer_days)",
                len(sessions),
                self.config.get("viewer_days", 1),
            )
        for session in sessions:
            # A viewer asked for by id and by IP returns the same sessions twice.
            if session["conviva_session_id"] not in self.emitted_ids:
                self.emitted_ids.add(session["conviva_session_id"])
                yield session

    @cached_property
    def emitted_ids(self) -> set[str]:
        """Session ids emitted in this sync, across the viewers."""
        return set()

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        # The partition is not part of the state, so the SDK does not copy it into records.
        row["viewer_ip"] = (context or {}).get("viewer_ip")
        return with_utc_bounds(row)


class ViewerSummaryStream(ViewerStream):
    """A viewer's totals over the last ``viewer_days`` days: one record per viewer and sync."""

    name = "viewer_summary"
    path = "/sessions/content/viewer/summary"
    schema = StreamSchema(SCHEMAS, key="viewer_summary")

    def parse_response(self, response: requests.Response) -> Iterator[dict]:
        answer = json_body(response)
        queries = (answer.get("_meta") or {}).get("queries") or {}
        start, end = queries.get("start_epoch_ms"), queries.get("end_epoch_ms")
        yield {
            "viewer_id": queries.get("viewer_id"),
            "viewer_ip": queries.get("viewer_ip"),
            "start_epoch_ms": start,
            "end_epoch_ms": end,
            "start_date": epoch_ms_iso(start),
            "end_date": epoch_ms_iso(end),
            "total": answer.get("total"),
            "annotations": (answer.get("_meta") or {}).get("annotations") or [],
        }


class DimensionsStream(ConvivaStream):
    """The dimensions the account can filter sample sessions on."""

    name = "dimensions"
    path = "/sessions/_meta/references/dimensions"
    primary_keys = ("name",)
    records_jsonpath = "$.dimensions[*]"
    schema = th.PropertiesList(
        th.Property("name", th.StringType, required=True, description="Filter parameter name"),
        th.Property("description", th.StringType),
        th.Property(
            "type",
            th.StringType,
            description="conviva (a Conviva dimension) or custom (a custom tag, filtered as "
            "tag_<name>)",
        ),
    ).to_dict()


STREAM_TYPES: tuple[type[ConvivaStream], ...] = (
    ContentSessionsStream,
    AdSessionsStream,
    ViewerSessionsStream,
    ViewerSummaryStream,
    DimensionsStream,
)
