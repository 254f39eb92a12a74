"""The streams: sampled content and ad sessions, viewer sessions and summaries, dimensions."""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cached_property
from http import HTTPStatus

import msgspec
import requests
from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk import typing as th
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_conviva_sessions import schemas
from tap_conviva_sessions.client import ConvivaStream, describe_shape
from tap_conviva_sessions.errors import EndpointRefusedError, RetriesExhaustedError
from tap_conviva_sessions.owed import item_key
from tap_conviva_sessions.pagination import (
    DOCUMENTED_MAX,
    SeenSessions,
    ViewerPage,
    ViewerPaginator,
    Window,
    WindowPage,
    WindowPaginator,
    WindowWalk,
)
from tap_conviva_sessions.values import epoch_ms_iso, floor_minute, instant, utc_iso

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record
    from singer_sdk.pagination import BaseAPIPaginator

SCHEMAS = SchemaDirectory(schemas)
#: How far back the sample endpoints reach (a request must start within the last 31 days),
#: less a minute so that the first window is still inside the limit when it is requested.
RETENTION = timedelta(days=31) - timedelta(minutes=1)
#: The most sessions the viewer endpoints return for one viewer.
VIEWER_MAX_SESSIONS = 500
#: The dimensions list as an owed item.
DIMENSIONS_ITEM = {"list": "dimensions"}
#: The content endpoint's own page: limit 1..1500.
CONTENT_LIMIT_MAX = 1500
#: Below this many sessions read in a sync, no session starting before its window says nothing
#: about how the API reads a time range.
RANGE_EVIDENCE = 200


def sessions_problem(body: t.Any) -> str | None:
    """What is wrong with the shape of a sessions answer (None: it is the documented one)."""
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object with a 'sessions' list"
    sessions = body.get("sessions")
    if not isinstance(sessions, list):
        return f"no 'sessions' list ({describe_shape(body)})"
    for session in sessions:
        if not isinstance(session, dict) or not isinstance(session.get("conviva_session_id"), str):
            return "a session without its conviva_session_id"
    return None


def start_epoch_ms(record: dict) -> int | None:
    start = (record.get("timestamps") or {}).get("start") or {}
    value = start.get("epoch_ms")
    return int(value) if isinstance(value, int | float) else None


def window_item(window: Window) -> dict[str, str]:
    """An owed window as the state keeps it."""
    return {"start": utc_iso(window.start), "end": utc_iso(window.end)}


def with_utc_bounds(record: dict) -> dict:
    """Add ``session_start`` and ``session_end`` (UTC ISO 8601) from ``timestamps``."""
    stamps = record.get("timestamps") or {}
    record["session_start"] = epoch_ms_iso((stamps.get("start") or {}).get("epoch_ms"))
    record["session_end"] = epoch_ms_iso((stamps.get("end") or {}).get("epoch_ms"))
    return record


class RawSessions(msgspec.Struct):
    """A sessions answer whose sessions are decoded down to their fields only: each field's
    value stays the JSON text the API sent (msgspec.Raw; checked to be JSON all the same)."""

    sessions: list[dict[str, msgspec.Raw]]


RAW_SESSIONS = msgspec.json.Decoder(RawSessions)
#: The fields of a session the tap reads (the key, and the times of the bookmark and of
#: session_start/session_end): decoded from their text; the others are written as sent.
READ_FIELDS = ("conviva_session_id", "timestamps")


class SessionRecords(ConvivaStream):
    """Sessions as the API sends them, shaped by the tap itself at the root: the SDK's type
    conformance (TYPE_CONFORMANCE_LEVEL NONE) is left out, so that each record can be written
    as its RECORD line directly (messages.py). The root is what the tap shapes: the fields it
    adds (UTC ``session_start``/``session_end``), and a field the schema does not know left out
    with one warning, as the SDK's ROOT_ONLY conformance did. The API's JSON carries only JSON
    types, which the root's types (strings and objects, or null) take as they are; the nested
    values are not conformed, as before.

    When the records are written directly (``raw_fields``: RecordLines applies, so no stream map
    or selection reads the records' values), a session's fields other than READ_FIELDS are kept
    as the JSON text the API sent: decoding them into objects only to encode them again would be
    most of the tap's work per record. The answer's shape is checked as before (a list of
    objects, each with its string id)."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: Whether sessions keep their unread fields as the API's JSON text (set by get_records).
    raw_fields = False

    def decode_body(self, content: bytes) -> t.Any:
        if not self.raw_fields:
            return super().decode_body(content)
        try:
            answer = RAW_SESSIONS.decode(content)
        except msgspec.ValidationError:
            # Not the documented shape: decoded as it is, for shape_problem to say what it is.
            return super().decode_body(content)
        for session in answer.sessions:
            for name in READ_FIELDS:
                if (value := session.get(name)) is not None:
                    session[name] = msgspec.json.decode(value)
        return {"sessions": answer.sessions}

    #: The set of fields of the last record checked against the schema's (most records of a
    #: sync have the same fields: the set is checked once per change).
    fields_checked: frozenset[str] = frozenset()

    @cached_property
    def root_fields(self) -> frozenset[str]:
        return frozenset(self.schema["properties"])

    def sessions(self, response: requests.Response) -> list[dict]:
        """The answer's sessions (its shape was checked by validate_response)."""
        return t.cast("list[dict]", self.body(response)["sessions"])

    def shaped(self, record: dict) -> dict:
        """The record with UTC bounds and only the schema's root fields."""
        with_utc_bounds(record)
        keys = record.keys()
        if keys != self.fields_checked:
            if unknown := keys - self.root_fields:
                self.warn_unknown(unknown)
                return {k: v for k, v in record.items() if k in self.root_fields}
            self.fields_checked = frozenset(keys)
        return record

    @cached_property
    def unknown_fields(self) -> set[str]:
        return set()

    def warn_unknown(self, names: t.AbstractSet[str]) -> None:
        """Fields the schema does not know: left out of the records, said once per field."""
        if new := names - self.unknown_fields:
            self.unknown_fields.update(new)
            self.logger.warning(
                "Properties %s were present in the '%s' stream but not found in catalog "
                "schema. Ignoring.",
                tuple(sorted(new)),
                self.name,
            )


def end_epoch_ms(record: dict) -> int:
    end = (record.get("timestamps") or {}).get("end") or {}
    return int(end.get("epoch_ms") or 0)


class SampleSessionsStream(SessionRecords):
    """A sample-sessions endpoint walked in windows from the bookmark to the end of the range.

    The bookmark (``session_end``) is the end of the last window whose sessions were all
    emitted: records do not move it, since a session can end after the window that returned
    it. Every following sync asks again from there, less ``lookback_minutes``, so an
    interrupted sync loses nothing.

    A window whose answers stay wrong after their retries (a lasting 5xx, a 200 answer of
    another shape) is owed: skipped with a warning, written into the state's owed items, and
    the bookmark moves past it; the next sync asks for the owed windows first.
    """

    primary_keys = ("conviva_session_id",)
    replication_key = "session_end"
    # Bookmarks are window ends, which only grow: the state is resumable at every window.
    is_sorted = True
    schema = StreamSchema(SCHEMAS, key="session")

    #: This sync's walk (made by get_records, walked by the SDK's request loop).
    pages: WindowPaginator
    #: The sessions this sync emitted that a later window can return again.
    seen: SeenSessions
    #: Sessions read this sync, and how many of them started before their window's start
    #: (evidence that a range returns the sessions overlapping it, as the tap assumes).
    sessions_read = 0
    sessions_crossing = 0

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
        """limit: page_size, within the endpoint's documented range."""
        return min(int(self.config.get("page_size", 500)), self.documented_limit)

    #: The most sessions the endpoint's own documentation allows asking for.
    documented_limit = DOCUMENTED_MAX

    @property
    def lookback(self) -> timedelta:
        return timedelta(minutes=int(self.config.get("lookback_minutes", 0)))

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
        earliest = self.earliest(now)
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
        if self.get_context_state(context).get("replication_key_value") and self.lookback:
            floor = max(earliest, min(instant(self.config["start_date"]), start))
            looked = max(floor, start - self.lookback)
            if looked < start:
                self.logger.info(
                    "%s: asking again from %s, %d minutes before the bookmark "
                    "(lookback_minutes): sessions of that range read before are updates",
                    self.name,
                    utc_iso(looked),
                    (start - looked) // timedelta(minutes=1),
                )
                start = looked
        return start, end

    @staticmethod
    def earliest(now: datetime) -> datetime:
        """The earliest start Conviva serves (31 days ago, less a minute of margin)."""
        return floor_minute(now - RETENTION)

    def due_windows(self) -> list[Window]:
        """The windows earlier syncs owe, in time order: asked for first. A window that now
        starts more than 31 days ago is permanent: its part past the limit is skipped with a
        warning and not owed (a window entirely past it leaves the owed items)."""
        owed = self.owed_items()
        earliest = self.earliest(datetime.now(UTC))
        windows = []
        for item in owed.due():
            try:
                window = Window(instant(item["start"]), instant(item["end"]))
            except (KeyError, TypeError, ValueError):
                self.logger.error(
                    "%s: an owed item that is not a window is dropped: %s", self.name, item
                )
                owed.now.pop(item_key(item), None)
                owed.save()
                continue
            if window.start < earliest:
                self.logger.warning(
                    "%s: the owed window %s starts more than 31 days ago, which Conviva no "
                    "longer serves: sessions from %s to %s are lost%s",
                    self.name,
                    window,
                    utc_iso(window.start),
                    utc_iso(min(earliest, window.end)),
                    "" if window.end > earliest else "; the window is no longer owed",
                )
                if window.end <= earliest:
                    owed.now.pop(item_key(item), None)
                    owed.save()
                    continue
                windows.append(Window(earliest, window.end, Window(window.start, window.end)))
                continue
            windows.append(window)
        return sorted(windows, key=lambda w: w.start)

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
        owed = self.due_windows()
        if start >= end and not owed:
            self.logger.info("%s: nothing to sync before %s", self.name, utc_iso(end))
            return
        span = timedelta(minutes=int(self.config.get("window_minutes", 180)))
        self.raw_fields = self.writes_lines_directly
        self.seen = SeenSessions()
        self.pages = WindowPaginator(
            WindowWalk(start, max(start, end), span, owed=owed),
            self.page_size,
            stream_name=self.name,
            logger=self.logger,
            window_done=lambda window: self.finish_window(window, context),
        )
        try:
            yield from self.walk_windows(context)
        except Exception:
            self.resources.close()  # the sync ends: windows asked for ahead stop trying
            raise
        finally:
            self.lookahead.close()
        self.check_range_reading()

    def walk_windows(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The walk's sessions, window after window; a window whose request failed for good is
        owed (or ends the sync) and the walk goes on."""
        while True:
            try:
                yield from self.request_records(context)
                return
            except EndpointRefusedError as exc:
                self.logger.warning(
                    "%s (the account may not have this endpoint): stream %s is skipped, its "
                    "bookmark stays at the last finished window",
                    exc,
                    self.name,
                )
                return
            except RetriesExhaustedError as exc:
                self.owe_window(self.pages.current_value.window, exc, context)
                if not self.pages.skip():
                    return

    def pages_ahead(self, paginator: BaseAPIPaginator, response: requests.Response) -> list[t.Any]:
        """The windows the walk will want after this answer (WindowPaginator.pages_ahead): the
        next one as this answer decides it, then those of an unchanged span; both halves of a
        full window. The first are asked for ahead; the walk takes each only when it wants
        exactly it."""
        return self.pages.pages_ahead(response, self.lookahead.depth)

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

    def shape_problem(self, body: t.Any) -> str | None:
        return sessions_problem(body)

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The answer's sessions not emitted yet in this sync; none for an answer the walk
        sets aside (a 413, or a full window about to be split)."""
        if not self.pages.keeps(response):
            return
        window_start = int(self.pages.current_value.window.start.timestamp() * 1000)
        for session in self.sessions(response):
            self.sessions_read += 1
            started = start_epoch_ms(session)
            if started is not None and started < window_start:
                self.sessions_crossing += 1
            if self.seen.first_time(session["conviva_session_id"], end_epoch_ms(session)):
                yield session

    def check_range_reading(self) -> None:
        """Warn when the answers suggest that a time range returns the sessions that started in
        it rather than those overlapping it (no session read started before its window)."""
        if self.sessions_read >= RANGE_EVIDENCE and not self.sessions_crossing:
            self.logger.warning(
                "%s: none of the %d sessions read started before the window that returned it: "
                "Conviva seems to return the sessions that started in a time range, not those "
                "overlapping it. A session still running at the end of a sync is then read by "
                "a later sync only if it started within lookback_minutes (now %d) before that "
                "sync's end: raise lookback_minutes to cover the longest sessions",
                self.name,
                self.sessions_read,
                self.lookback // timedelta(minutes=1),
            )

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        return self.shaped(row)

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
        STATE message, so that a sync stopped now resumes at the next window. An owed window
        (before the bookmark) is paid once its last piece is done."""
        ahead = min(window.end, self.pages.walk.earliest_ahead())
        self.seen.forget_ended_before(int(ahead.timestamp() * 1000))
        if window.part_of is None:
            self.move_bookmark(window, context)
        elif window.end == window.part_of.end:
            self.owed_items().paid(window_item(window.part_of))
            self.resources.state_writer.write_state(self.tap_state)

    def owe_window(
        self, window: Window, failure: RetriesExhaustedError, context: Context | None
    ) -> None:
        """A window whose request failed for good: owed to the next sync (or the sync ends,
        when the failure is the whole API's), and the bookmark moves past it."""
        ends_sync = self.owe(window_item(window), failure)
        part_of = window.part_of
        if part_of is not None and window.end == part_of.end and window != part_of:
            self.owed_items().paid(window_item(part_of))  # its failed piece is owed instead
        if part_of is not None or not self.move_bookmark(window, context):
            self.resources.state_writer.write_state(self.tap_state)  # the owed items changed
        if ends_sync and part_of is None:
            raise failure

    def move_bookmark(self, window: Window, context: Context | None) -> bool:
        """The bookmark to the window's end, and a STATE message. The windows of the look-back
        end before the bookmark, which stays: False, and no STATE is due for them."""
        assert self.replication_key
        bookmark = self.get_context_state(context).get("replication_key_value")
        if bookmark and utc_iso(window.end) <= str(bookmark):
            return False
        self.state_manager.increment_state(
            {self.replication_key: utc_iso(window.end)},
            context=context,
            replication_key=self.replication_key,
        )
        self.resources.state_writer.write_state(self.tap_state)
        return True


class ContentSessionsStream(SampleSessionsStream):
    """Samples of video content sessions."""

    name = "content_sessions"
    path = "/sessions/content"
    #: The endpoint's own page allows a limit up to 1500 (the guide says 500; an answer of 500
    #: counts as full either way).
    documented_limit = CONTENT_LIMIT_MAX


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
    """One request per configured viewer id and viewer IP (the partitions).

    A viewer whose answers stay wrong after their retries is owed: skipped with a warning, the
    other viewers go on, and the next sync asks for it first."""

    discovery_path = "/sessions/content/viewer"
    #: Whether the skip of this stream was logged (once per sync, not once per viewer).
    skip_logged = False
    #: The endpoint answered 403: the other viewers are not asked this sync.
    refused = False
    #: Whether owed viewers no longer in the settings were dropped (once per sync).
    checked_owed = False
    # The viewer endpoints answer for the last viewer_days days: no bookmark, no partition state.
    state_partitioning_keys: t.Sequence[str] | None = ()

    def configured(self) -> list[dict]:
        return [{"viewer_id": v} for v in self.config.get("viewer_ids") or []] + [
            {"viewer_ip": ip} for ip in self.config.get("viewer_ips") or []
        ]

    @property
    def partitions(self) -> list[dict] | None:
        """The viewers, those earlier syncs owe first."""
        viewers = self.configured()
        due = [item for item in self.owed_items().due() if item in viewers]
        return due + [v for v in viewers if v not in due]

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return {**(context or {}), "days": int(self.config.get("viewer_days", 1))}

    def drop_owed_not_configured(self) -> None:
        """Owed viewers no longer in viewer_ids or viewer_ips are not asked for: not owed."""
        owed = self.owed_items()
        viewers = self.configured()
        for item in owed.due():
            if item not in viewers:
                self.logger.warning(
                    "%s: %s, owed by an earlier sync, is no longer in viewer_ids or viewer_ips: "
                    "no longer owed",
                    self.name,
                    ", ".join(f"{k}={v}" for k, v in item.items()),
                )
                owed.now.pop(item_key(item), None)
                owed.save()

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if not context or self.refused:
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
        if not self.checked_owed:
            self.checked_owed = True
            self.drop_owed_not_configured()
        item = dict(context)
        try:
            yield from super().get_records(context)
        except EndpointRefusedError as exc:
            self.refused = True
            self.logger.warning(
                "%s (the account may not have the Viewer-Module API): stream %s is skipped",
                exc,
                self.name,
            )
            return
        except RetriesExhaustedError as exc:
            if self.owe(item, exc):
                self.resources.state_writer.write_state(self.tap_state)
                raise
            return
        self.owed_items().paid(item)

    def shape_problem(self, body: t.Any) -> str | None:
        return sessions_problem(body)


class ViewerSessionsStream(ViewerStream, SessionRecords):
    """A viewer's content sessions, ended and running, over the last ``viewer_days`` days.

    The endpoint returns at most 500 sessions: a viewer whose answer is full is asked again in
    shorter time ranges, as the guide advises (:class:`ViewerPaginator`)."""

    name = "viewer_sessions"
    path = "/sessions/content/viewer"
    primary_keys = ("conviva_session_id",)
    schema = ViewerSessionSchema(SCHEMAS, key="session")

    #: The viewer being synced, and its pages (made by get_new_paginator, one per viewer).
    viewer = ""
    pages: ViewerPaginator

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        self.viewer = ", ".join(f"{k}={v}" for k, v in (context or {}).items())
        self.raw_fields = self.writes_lines_directly
        yield from super().get_records(context)

    def get_new_paginator(self) -> ViewerPaginator:
        self.pages = ViewerPaginator(
            VIEWER_MAX_SESSIONS,
            days_range=self.days_range,
            viewer=self.viewer,
            stream_name=self.name,
            logger=self.logger,
        )
        return self.pages

    def days_range(self) -> Window:
        """The range ``days`` covers, by this machine's clock (within the API's 31 days)."""
        now = datetime.now(UTC)
        days = timedelta(days=int(self.config.get("viewer_days", 1)))
        return Window(max(now - days, now - RETENTION), now)

    def get_url_params(
        self, context: Context | None, next_page_token: ViewerPage | None
    ) -> dict[str, t.Any]:
        window = next_page_token.window if next_page_token else None
        if window is None:
            params = super().get_url_params(context, next_page_token)
        else:
            params = {
                **(context or {}),
                "start_date": utc_iso(window.start),
                "end_date": utc_iso(window.end),
            }
        return {**params, "limit": VIEWER_MAX_SESSIONS}

    def parse_response(self, response: requests.Response) -> Iterator[dict]:
        """The viewer's sessions not emitted yet in this sync; none for a full answer whose
        range is asked again in shorter ranges."""
        if not self.pages.keeps(response):
            return
        for session in self.sessions(response):
            # A viewer asked for by id and by IP returns the same sessions twice, and a session
            # that crosses the bounds of two ranges comes back in both.
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
        return self.shaped(row)


class ViewerSummaryStream(ViewerStream):
    """A viewer's totals over the last ``viewer_days`` days: one record per viewer and day
    (the key: ``viewer`` and ``summary_date``; a summary asked again the same day replaces it)."""

    name = "viewer_summary"
    path = "/sessions/content/viewer/summary"
    primary_keys = ("viewer", "summary_date")
    schema = StreamSchema(SCHEMAS, key="viewer_summary")

    def shape_problem(self, body: t.Any) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("total"), dict):
            return f"no 'total' object ({describe_shape(body)})"
        return None

    def parse_response(self, response: requests.Response) -> Iterator[dict]:
        answer = self.body(response)
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

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """The key: the viewer asked for (the partition), and the UTC day the summary's range
        ends on (the sync's day when the answer does not say)."""
        asked = context or {}
        viewer = asked.get("viewer_id") or asked.get("viewer_ip")
        day = (row.get("end_date") or utc_iso(self.resources.started))[:10]
        return {"viewer": viewer, "summary_date": day, **row}


class DimensionsStream(ConvivaStream):
    """The dimensions the account can filter sample sessions on."""

    name = "dimensions"
    path = "/sessions/_meta/references/dimensions"
    primary_keys = ("name",)
    records_jsonpath = "$.dimensions[*]"

    def shape_problem(self, body: t.Any) -> str | None:
        items = body.get("dimensions") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return f"no 'dimensions' list ({describe_shape(body)})"
        if not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
            return "a dimension without its name"
        return None

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The list, or, when its answers stay wrong after their retries, owed (as one item)."""
        try:
            yield from super().get_records(context)
        except RetriesExhaustedError as exc:
            if self.owe(DIMENSIONS_ITEM, exc):
                self.resources.state_writer.write_state(self.tap_state)
                raise
            return
        self.owed_items().paid(DIMENSIONS_ITEM)

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
