"""The Audience API stream: URL, auth, parameters, errors, retries and paging shared by both
resources. Each account is a partition, so each has its own bookmark."""

from __future__ import annotations

import email.utils
import functools
import itertools
import logging
import random
import re
import time
import typing as t
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit

import msgspec
import requests
from singer_sdk import RESTStream, metrics
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams.rest import PageContext

from tap_brightcove_audience.auth import BrightcoveAuthenticator, token_of
from tap_brightcove_audience.concurrency import (
    Lookahead,
    RequestGate,
    RunClosedError,
    WorkerPool,
    unread,
)
from tap_brightcove_audience.errors import (
    AccountAnswerError,
    ApiUnavailableError,
    NoAnswerError,
    PaginationError,
    PermanentAnswerError,
    RetriesExhaustedError,
    RetryAtOnceError,
    TokenAnswerError,
    UnreadableStreamError,
)
from tap_brightcove_audience.keys import record_key
from tap_brightcove_audience.messages import RecordLines
from tap_brightcove_audience.owed import OwedItems, OwedLedger, item_key
from tap_brightcove_audience.pagination import CountedOffsetPaginator
from tap_brightcove_audience.progress import CountsForProgress
from tap_brightcove_audience.settings import where_clauses
from tap_brightcove_audience.values import (
    CANONICAL_LENGTH,
    epoch_ms,
    parse_setting_datetime,
    parse_timestamp,
    to_utc_ms,
    utc_text,
)

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk import Tap

#: Retried within the request's budget: throttling, server errors, and 408 (HTTP's own "ask
#: again"). Any status of 500 and above is retried too.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: What the Audience API's docs list as answers about the request itself: 400
#: BAD_REQUEST_ERROR ("Query parameters are invalid") and 404 RESOURCE_NOT_FOUND ("The URL does
#: not exist"). Asking again gives the same answer: the account is skipped, not owed.
PERMANENT_STATUSES = frozenset({400, 404})
MAX_MESSAGE_CHARS = 300
#: The longest wait between two tries when the API sends no Retry-After.
RETRY_WAIT_CAP_SECONDS = 60.0
#: Exponential waits are lengthened by up to this share, so that clients do not retry in step.
RETRY_JITTER = 0.1
#: Failures of the connection itself (the SDK retries the same list).
NETWORK_FAILURES = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    ConnectionResetError,
)
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)")
#: The first page's offset as its URL spells it.
OFFSET_ZERO = "offset=0"
#: Marks a request that was refused once and asked again with a renewed token.
RENEWED_AFTER_401 = "_tap_renewed_after_401"


class BackoffEcho(logging.Filter):
    """Leaves out the lines the backoff library logs by itself ("Backing off ...", "Giving up
    ..."): backoff_handler says each retry once, and RetriesExhaustedError says the end."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Backing off %s(", "Giving up %s("))


BACKOFF_ECHO = BackoffEcho()


class StateSink(t.Protocol):
    """The Tap's public ``state_writer`` as a stream uses it."""

    def write_state(self, state: t.Any) -> None: ...


@dataclass
class RunResources:
    """What one run of the tap shares across its streams: made once by the Tap
    (tap.py, discover_streams) and handed to every stream's constructor."""

    #: What every try of every request passes: max_requests_per_second and
    #: max_concurrent_requests across both streams and every account, and the pause after a 429.
    gate: RequestGate
    #: The threads that send pages ahead of the streams (None: one request at a time).
    pool: WorkerPool | None
    #: How many pages a stream may have asked for ahead and not read yet (in flight or held).
    lookahead_depth: int
    #: The owed items of every stream, and the summary at the end of the sync.
    owed: OwedLedger
    #: The one token holder, so that both streams use one token.
    authenticator: BrightcoveAuthenticator
    #: The Tap's public state_writer: the state is written there before a fatal error.
    state_writer: StateSink
    #: When the sync started: the ``to`` of every request, so that records changing while we
    #: page leave the window instead of shifting pages under us (the next sync reads them).
    sync_started: datetime

    def close(self) -> None:
        """The sync is over: pages asked for ahead and never read stop trying."""
        self.gate.close()


def retry_after_seconds(response: requests.Response | None) -> float | None:
    """Retry-After as delay seconds or an HTTP date; None when absent or unreadable."""
    raw = (response.headers.get("Retry-After") or "").strip() if response is not None else ""
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def no_answer(exc: BaseException) -> NoAnswerError:
    """A network failure as a retriable error naming method, host and path (never the query,
    which may hold a session id or a password)."""
    request = getattr(exc, "request", None)
    url = str(getattr(request, "url", "") or "")
    parts = urlsplit(url)
    where = f"{getattr(request, 'method', None) or 'GET'} {parts.netloc}{parts.path}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        what = "could not connect in time (request_timeout)"
    elif isinstance(exc, requests.exceptions.Timeout):
        what = "no answer in time (request_timeout)"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError | ConnectionResetError):
        what = "the answer was cut off"
    elif isinstance(exc, requests.exceptions.ContentDecodingError):
        what = "the answer could not be decoded"
    else:
        found = _ERRNO_TEXT.search(str(exc))
        what = f"could not connect ({found[1].strip()})" if found else "could not connect"
    return NoAnswerError(f"{where}: {what}", parts._replace(query="", fragment="").geturl())


class BrightcoveStream(CountsForProgress, RESTStream[int]):
    """One Audience API list resource, read account by account, oldest change first."""

    #: The setting holding this stream's ``where`` filter.
    where_setting: ClassVar[str]
    #: The setting holding how far before the bookmark each sync starts (hours).
    lookback_setting: ClassVar[str]
    #: The fields a record's key is derived from (see keys.py).
    key_fields: ClassVar[tuple[str, ...]]
    #: The field the key is written to.
    key_name: ClassVar[str]

    is_sorted = True  # requested sorted ascending on the replication key

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources
        self.logger.addFilter(BACKOFF_ECHO)
        #: Pages asked for ahead of this stream's reading (the run's workers send them).
        self.lookahead = Lookahead(resources.pool, resources.lookahead_depth)
        self.record_lines = RecordLines(self, tap)
        #: Each account's first page request, which the others are copies of (prepare_page).
        self.first_pages: dict[str, requests.PreparedRequest] = {}
        #: The accounts of this sync in the order they are read (``partitions``).
        self.account_order: list[str] = []
        self.last_value: dict[str, str] = {}
        # Whether the state holds something not yet saved that a fatal error must not lose:
        # a record emitted, a partition finished, an account owed.
        self.progress_to_save = False
        #: Accounts this sync could not read at all (a permanent answer, a refused token), with
        #: why: when every account of the stream is here, the settings are wrong.
        self.unreadable: dict[str, str] = {}
        #: What this stream has warned about once already (an assumption about the API that
        #: the answers bent without losing data).
        self.noticed: set[str] = set()
        self.unlisted_forgotten = False

    def owed_items(self) -> OwedItems:
        """This stream's owed items (kept in its stream-level state entry)."""
        return self.resources.owed.of(self.name, self.get_context_state(None))

    def log_sync_costs(self) -> None:
        # SDK 0.54 calls this once per stream after the whole sync, every stream's state
        # written: the one public hook at the end of a sync, where the owed items are summed
        # up (and fail_on_owed ends the sync). tests/project/test_owed.py guards that order.
        super().log_sync_costs()
        self.lookahead.close()  # pages asked for ahead and never read stop trying
        self.resources.owed.stream_finished(self.name)

    @property
    def timeout(self) -> int:
        return int(self.config["request_timeout"])

    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:
        # SDK 0.54 also authenticates while preparing, outside its retries: a token or login
        # call failing there ends the sync at once. Here credentials are applied only when the
        # request is sent (the SDK's send applies self.authenticator to each try), so they are
        # inside the retry contract like any call.
        request = requests.Request(*args, **kwargs)
        request.headers.setdefault("User-Agent", self.user_agent)
        return self.requests_session.prepare_request(request)

    # -- where and how ---------------------------------------------------------------------
    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def partitions(self) -> list[dict]:
        """Every account of ``account_ids``: those an earlier sync owes first (oldest first),
        then the others in the order of the setting."""
        configured = [str(a) for a in self.config["account_ids"]]
        due = [str(item.get("account_id")) for item in self.owed_items().due()]
        first = [a for a in due if a in configured]
        if not self.unlisted_forgotten:
            self.unlisted_forgotten = True
            for account in (a for a in due if a not in configured):
                self.forget(
                    {"account_id": account}, "it is no longer in account_ids, so not asked for"
                )
        self.account_order = [*first, *(a for a in configured if a not in first)]
        return [{"account_id": a} for a in self.account_order]

    @property
    def check_sorted(self) -> bool:
        # The look-back re-reads records older than the saved bookmark on purpose; order
        # within one sync is checked in get_records instead.
        return False

    @property
    def authenticator(self) -> BrightcoveAuthenticator:
        """The run's one token holder, so that both streams share a token."""
        return self.resources.authenticator

    def get_new_paginator(self) -> CountedOffsetPaginator:
        return CountedOffsetPaginator(self.config["page_size"], self.name, read=page_body)

    def window_start(self, context: Context | None) -> datetime:
        """``from`` of this sync: the bookmark minus the stream's look-back, never before
        start_date (the first sync: start_date as given)."""
        start = self.get_starting_timestamp(context)
        assert start is not None  # start_date is required
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        if not self.get_context_state(context).get("replication_key_value"):
            return start
        lookback = timedelta(hours=self.config[self.lookback_setting])
        return max(start - lookback, parse_setting_datetime(self.config["start_date"]))

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        params: dict[str, Any] = {
            "limit": self.config["page_size"],
            "offset": next_page_token or 0,
            "sort": self.replication_key,
            "from": epoch_ms(self.window_start(context)),
            # Fixed when the sync starts, so that records changing while we page leave the
            # window instead of shifting pages under us; the next sync picks them up.
            "to": epoch_ms(self.resources.sync_started),
        }
        if where := self.config.get(self.where_setting):
            params["where"] = where
        if fields := self.requested_fields:
            params["fields"] = fields
        return params

    @cached_property
    def requested_fields(self) -> str | None:
        """The API's ``fields``: the fields selected in the catalog, and those the key and the
        bookmark are made of; None (every field) when nothing is deselected."""
        api_fields = [f for f in self.schema_fields if f not in ("account_id", self.key_name)]
        needed = {*self.key_fields, self.replication_key}
        wanted = [f for f in api_fields if f in needed or self.mask[("properties", f)]]
        return None if len(wanted) == len(api_fields) else ",".join(wanted)

    # -- answers ---------------------------------------------------------------------------
    def validate_response(self, response: requests.Response) -> None:
        """Retried: 429, 408, 5xx, and a 200 that is not the documented page (then the account
        is owed). A 400 or 404 is permanent (the account is skipped, not owed); another 4xx,
        or records that do not match the ``where`` filter, make the account owed at once."""
        status = response.status_code
        if status == 401:
            self.handle_unauthorized(response)
        if status in RETRY_STATUSES or status >= 500:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status in PERMANENT_STATUSES:
            raise PermanentAnswerError(self.response_error_message(response))
        if status >= 400:
            raise AccountAnswerError(self.response_error_message(response))
        try:
            body = page_body(response)
        except ValueError:
            msg = f"{self.name}: the answer to {answer_path(response)} is not JSON (cut off?)"
            raise RetriableAPIError(msg, response) from None
        if problem := self.page_problem(body):
            msg = (
                f"{self.name}: the answer to {answer_path(response)} is not the documented "
                f"page: {problem}"
            )
            raise RetriableAPIError(msg, response)
        if mismatch := self.where_mismatch(body["result"]):
            msg = (
                f"{self.name}: the answer to {answer_path(response)} holds {mismatch}: the API "
                f"did not apply the {self.where_setting} filter as the tap reads it"
            )
            raise AccountAnswerError(msg)

    def page_problem(self, body: t.Any) -> str | None:
        """What makes ``body`` other than the documented page (None: it is one)."""
        if not isinstance(body, dict) or not isinstance(body.get("result"), list):
            return "no list of records in result"
        count = body.get("count")
        if type(count) is not int or count < 0:
            return f"count is {count!r}, not the number of records matching the query"
        limit = body.get("limit")
        if type(limit) is int and 0 < limit < self.config["page_size"]:
            self.notice(
                "limit",
                "the API serves at most %d records a page (page_size is %d): paging on by "
                "the records each page holds",
                limit,
                self.config["page_size"],
            )
        for row in body["result"]:
            if problem := self.record_problem(row):
                return problem
        return None

    def record_problem(self, row: t.Any) -> str | None:
        """Why one record is not the documented shape (None: it is): its timestamps are ISO
        8601 (a timestamp without a zone is read as UTC, said once), the key's created_at and
        the bookmark's field are there, numbers are numbers."""
        if type(row) is not dict:
            return f"a record that is not an object ({type(row).__name__})"
        for name in self.timestamp_fields:
            value = row.get(name)
            if value is None:
                if name in self.required_fields:
                    return f"a record without {name}"
                continue
            if type(value) is not str:
                return f"{name} {value!r} is not an ISO 8601 timestamp"
            if len(value) == CANONICAL_LENGTH and value[-1] == "Z" and value[10] == "T":
                continue  # is_canonical, inline: the check of every timestamp of every page
            try:
                zoned = parse_timestamp(value).tzinfo is not None
            except ValueError:
                return f"{name} {value!r} is not an ISO 8601 timestamp"
            if not zoned:
                self.notice(
                    "zone",
                    "%s %r carries no time zone: read as UTC, the zone of the API's dates",
                    name,
                    value,
                )
        for name, kinds in self.typed_fields:
            value = row.get(name)
            if value is not None and type(value) not in kinds:
                return f"{name} {value!r} is not {'an integer' if kinds == (int,) else 'a number'}"
        return None

    @cached_property
    def timestamp_fields(self) -> tuple[str, ...]:
        return tuple(n for n in ("created_at", "updated_at") if n in self.schema_fields)

    @cached_property
    def required_fields(self) -> frozenset[str]:
        """What a record must carry: its key's created_at and its bookmark's field."""
        return frozenset({"created_at", self.replication_key or "created_at"})

    @cached_property
    def typed_fields(self) -> tuple[tuple[str, tuple[type, ...]], ...]:
        """The schema's integer and number fields, with the Python types a value may have."""
        found: list[tuple[str, tuple[type, ...]]] = []
        for name, prop in self.schema["properties"].items():
            kinds = prop.get("type", ())
            if "integer" in kinds:
                found.append((name, (int,)))
            elif "number" in kinds:
                found.append((name, (int, float)))
        return tuple(found)

    @cached_property
    def where_filter(self) -> list[list[tuple[str, str]]]:
        """The stream's ``where`` setting, parsed (empty: no filter)."""
        value = self.config.get(self.where_setting)
        return where_clauses(value) if isinstance(value, str) and value.strip() else []

    def where_mismatch(self, rows: list[t.Any]) -> str | None:
        """The first record the ``where`` filter should have kept out, described; None when
        every record matches (a clause on a field the records do not carry is not checked).
        Tolerant on purpose: a value matches when it holds the wanted text in any case."""
        for row in rows if self.where_filter else ():
            for clause in self.where_filter:
                if any(field not in row for field, _ in clause):
                    continue
                if not any(v.casefold() in where_text(row[f]) for f, v in clause):
                    field = clause[0][0]
                    wanted = ",".join(v for _, v in clause)
                    return f"a record whose {field} is {row[field]!r} (where {field}=={wanted})"
        return None

    def notice(self, what: str, message: str, *args: t.Any) -> None:
        """One warning per stream and sync about an answer that bent an assumption without
        losing data."""
        if what not in self.noticed:
            self.noticed.add(what)
            self.logger.warning("%s: " + message, self.name, *args)

    def handle_unauthorized(self, response: requests.Response) -> None:
        """A 401: the request is asked again at once with a new token, the token renewed once
        for every request in flight (the first 401 to the run's token drops it; the others
        carried it too, and only ask again). Refused again after its own renewal, a request
        stops: the account cannot be read with these credentials (a refused token is never a
        reason to wait)."""
        request = response.request
        if request.__dict__.get(RENEWED_AFTER_401):
            msg = (
                self.response_error_message(response)
                + " (again with a new token: check that the client_id has Audience Read "
                "permission on this account)"
            )
            raise AccountAnswerError(msg)
        request.__dict__[RENEWED_AFTER_401] = True
        if self.authenticator.drop(token_of(request)):
            self.logger.warning("%s: token refused (401), fetching a new one", self.name)
        raise RetryAtOnceError(self.response_error_message(response), response)

    def response_error_message(self, response: requests.Response) -> str:
        """The API's error_code and message, the account path: never the query or headers."""
        code, message = api_error(response)
        path = urlsplit(response.url).path
        return f"{self.name}: HTTP {response.status_code} {code}: {message} (GET {path})"

    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        body = page_body(response)
        records = body.get("result") or []
        if not records and int(body.get("offset") or 0) < int(body.get("count") or 0):
            self.logger.warning(
                "%s: empty page at offset %s of %s: records left the window while paging; "
                "the next sync's look-back reads them again",
                self.name,
                body.get("offset"),
                body.get("count"),
            )
        return records

    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        # No stream hangs from these: the SDK's default makes (and copies) a child context for
        # every record all the same.
        return ()

    #: The partition whose records are being read, and its state entry (get_records).
    bookmark_of: tuple[Context | None, dict] | None = None

    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        # SDK 0.54's private per-record bookmark step, overridden here for its cost alone (it
        # looks the partition's state up again for every record: a third of the tap's own time
        # per record). For this stream the SDK's step sets the partition's replication_key and
        # replication_key_value to the record's (INCREMENTAL, is_sorted, check_sorted off: the
        # order is checked in get_records); so does this, on the state entry get_records looked
        # up once. Anything else goes the SDK's way. Guarded by tests/project/test_record_lines.py.
        value = latest_record.get(self.replication_key or "")
        held = self.bookmark_of
        if type(value) is str and held is not None and held[0] == context:
            held[1]["replication_key"] = self.replication_key
            held[1]["replication_key_value"] = value
        else:
            super()._increment_stream_state(latest_record, context=context)

    @cached_property
    def writes_lines_directly(self) -> bool:
        return self.record_lines.applies()

    def _write_record_message(self, record: dict[str, Any]) -> None:
        # SDK 0.54's private per-record writer: the one private override of this tap
        # (messages.py says when the line is written directly, and why); guarded by
        # tests/project/test_record_lines.py.
        if self.writes_lines_directly:
            self.record_lines.write(record)
            self.state_manager.is_flushed = False
        else:
            super()._write_record_message(record)

    # Records are shaped once, in get_records, from the API's JSON (only the schema's fields,
    # booleans made booleans): the SDK's per-value type conformance would be pure cost on top.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    @cached_property
    def schema_fields(self) -> tuple[str, ...]:
        return tuple(self.schema["properties"])

    @cached_property
    def boolean_fields(self) -> tuple[str, ...]:
        properties = self.schema["properties"]
        return tuple(n for n in properties if "boolean" in properties[n].get("type", ()))

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """One account's records, shaped. An answer about this account that stays wrong is
        skipped with a warning (owed, unless the docs call it permanent) and the next account
        is read; a failure of the whole API ends the sync, the state of what was already
        emitted written first, so the next run continues from there."""
        account = context["account_id"] if context else ""
        item = {"account_id": account}
        low = utc_text(self.window_start(context))
        high = utc_text(self.resources.sync_started)
        key = self.replication_key or ""
        self.bookmark_of = (
            (context, self.get_context_state(context))
            if self.replication_method == "INCREMENTAL" and not self.check_sorted
            else None
        )
        try:
            for row in self.request_records(context):
                record = self.shape(row, account)
                value = record.get(key)
                if value is not None:
                    self.check_order(account, value)
                    if not low <= value <= high:
                        self.check_window(value, low, high)
                self.progress_to_save = True
                yield record
        except FatalAPIError as exc:
            self.lookahead.keep_only(lambda key: key[0] != account)  # type: ignore[index]
            self.skip(item, exc)
        else:
            self.owed_items().paid(item)
        if len(self.unreadable) >= len(self.config["account_ids"]):
            self.stop(UnreadableStreamError(self.unreadable_message()))
        self.progress_to_save = True  # the SDK finalizes this partition's bookmark next

    def skip(self, item: dict[str, str], exc: FatalAPIError) -> None:
        """Skip the account ``exc`` was about, with a warning: owed, or not when the docs call
        the answer permanent. Ends the sync (raises) when the failure is the whole API's."""
        account = item["account_id"]
        if isinstance(exc, PermanentAnswerError):
            self.logger.warning(
                "%s: account %s skipped in this sync: %s. The API's docs call this answer "
                "permanent, so the account is not owed; its bookmark stays where it was",
                self.name,
                account,
                exc,
            )
            self.unreadable[account] = str(exc)
            self.forget(item, "its answer is now one the docs call permanent")
            return
        reason = self.owed_reason(exc)
        if reason is None:
            self.stop(exc)
        if isinstance(exc, RetriesExhaustedError):
            self.logger.warning("%s", exc)  # how long it was tried, and the budget
        if isinstance(exc, AccountAnswerError) and "again with a new token" in str(exc):
            self.unreadable[account] = str(exc)
        self.owed_items().owe(item, reason or "")
        self.progress_to_save = True
        if not self.owed_items().is_owed(item):
            self.logger.warning(
                "%s: account %s stays in account_ids, so later syncs read it as any account; "
                "remove it from account_ids if it is not to be read",
                self.name,
                account,
            )

    def owed_reason(self, exc: FatalAPIError) -> str | None:
        """Why the account is owed; None when the failure is not the account's: no answer at
        all, throttling, the token endpoint, refused credentials (the sync ends)."""
        if isinstance(exc, RetriesExhaustedError):
            return None if isinstance(exc.failure, TokenAnswerError) else owed_reason(exc)
        if isinstance(exc, AccountAnswerError | PaginationError):
            return owed_reason(exc)
        return None

    def stop(self, exc: FatalAPIError) -> t.NoReturn:
        """End the sync with ``exc``, the state of what was already done written first."""
        if self.progress_to_save:
            self.resources.state_writer.write_state(self.tap_state)
        self.resources.close()
        raise exc

    def forget(self, item: dict[str, str], why: str) -> None:
        """An item earlier syncs owed that is no longer owed, though not fetched: said once."""
        owed = self.owed_items()
        if owed.is_owed(item):
            owed.now.pop(item_key(item), None)
            owed.save()
            self.logger.warning(
                "%s: account %s is no longer owed: %s", self.name, item["account_id"], why
            )

    def unreadable_message(self) -> str:
        said = "; ".join(self.unreadable.values())
        return (
            f"{self.name}: no account could be read ({said}): the settings are wrong for the "
            "whole stream (api_url, account_ids, the where filter, or the client's Audience "
            "Read permission)"
        )

    def check_window(self, value: str | None, low: str, high: str) -> None:
        """A record outside the ``from``/``to`` the tap asked for: the API does not filter this
        stream as assumed (records are kept; read again, they are upserted). Said once."""
        if value is not None and not low <= value <= high:
            self.notice(
                "window",
                "the API sent a record with %s %s outside the from/to asked for (%s to %s): "
                "it does not filter %s on %s as assumed; such records are kept (upserted on "
                "their key when read again)",
                self.replication_key,
                value,
                low,
                high,
                self.name,
                self.replication_key,
            )

    def shape(self, row: dict, account: str) -> dict[str, Any]:
        """The schema's fields (and only those), UTC timestamps, booleans, account and key."""
        if row.keys() != self.keys_checked:
            self.check_fields(row)
        if self.keys_checked_all:
            record = row  # every field the API documents, and no other: shaped in place
        else:
            record = {name: row.get(name) for name in self.schema_fields}
        record["account_id"] = account
        for name in ("created_at", "updated_at"):
            value = record.get(name)
            # is_canonical, inline (nearly every value): else to_utc_ms writes it so.
            if value is not None and not (
                len(value) == CANONICAL_LENGTH and value[-1] == "Z" and value[10] == "T"
            ):
                record[name] = to_utc_ms(value)
        for name in self.boolean_fields:
            if (value := record[name]) is not None and not isinstance(value, bool):
                record[name] = str(value).lower() in ("true", "1")
        record[self.key_name] = record_key(account, record, self.key_fields)
        return record

    def check_fields(self, row: dict) -> None:
        """The fields of a record whose set of fields differs from the last one checked:
        unknown fields are warned about, fields not asked for noticed. Records of the same
        set of fields (nearly all) need no check of their own."""
        if unknown := row.keys() - self.fields_seen:
            self.warn_unknown(unknown)
        if self.fields_asked and not row.keys() <= self.fields_asked:
            self.notice(
                "fields",
                "the API sent fields it was not asked for (%s): fields= is not honoured; the "
                "catalog's selection leaves them out",
                ", ".join(sorted(row.keys() - self.fields_asked)),
            )
        self.keys_checked = frozenset(row.keys())
        self.keys_checked_all = self.keys_checked == self.api_fields

    #: The set of fields of the last record whose fields were checked, and whether it is the
    #: schema's API fields exactly.
    keys_checked: frozenset[str] = frozenset({"-"})
    keys_checked_all = False

    @cached_property
    def api_fields(self) -> frozenset[str]:
        """The schema's fields the API sends (not the account and the key the tap adds)."""
        return frozenset(self.schema_fields) - {"account_id", self.key_name}

    @cached_property
    def fields_seen(self) -> set[str]:
        return set(self.schema_fields)

    @cached_property
    def fields_asked(self) -> frozenset[str]:
        """The fields requested with ``fields=`` (empty: every field was asked for)."""
        return frozenset((self.requested_fields or "").split(",")) - {""}

    def warn_unknown(self, names: set[str]) -> None:
        """Fields the API added that the schema does not know: left out, said once."""
        self.logger.warning(
            "%s: leaving out fields the schema does not describe: %s",
            self.name,
            ", ".join(sorted(names)),
        )
        self.fields_seen.update(names)

    def check_order(self, account: str, value: str | None) -> None:
        if value is None:
            return
        previous = self.last_value.get(account)
        if previous is not None and value < previous:
            msg = (
                f"{self.name}: account {account} returned {self.replication_key} {value} "
                f"after {previous}; the API did not sort as asked"
            )
            raise PaginationError(msg)
        self.last_value[account] = value

    # -- pages asked for ahead ------------------------------------------------------------------

    def request_records(self, context: Context | None) -> Iterable[dict]:
        """The SDK's page loop (RESTStream.request_records, SDK 0.54) with pages asked for ahead
        on the run's workers: once a page gives ``count``, the following offsets, and then the
        next accounts' first pages. The answers are read in the paginator's order, each checked
        as it is read, so records, checks and state are those of one request at a time."""
        account = str((context or {}).get("account_id", ""))
        paginator = self.get_new_paginator()
        with self.get_http_request_counter() as request_counter:
            request_counter.with_context(context)
            while not paginator.finished:
                token = paginator.current_value
                response = self.lookahead.take(
                    (account, token), functools.partial(self.send_page, context, token)
                )
                request_counter.increment()
                self.update_sync_costs(response.request, response, context)
                self.send_ahead(account, paginator, response)
                records = iter(self.parse_response(response))
                first = next(records, None)
                if first is None and not paginator.continue_if_empty(response):
                    break  # the SDK's loop stops at an empty page too
                if first is not None:
                    yield first
                    yield from records
                paginator.advance(response)

    def send_page(self, context: Context | None, token: int | None) -> requests.Response:
        """One page's request, prepared here (on the stream's thread) and sent with its
        retries."""
        return self.sender(self.prepare_page(context, token), context)

    def prepare_page(self, context: Context | None, token: int | None) -> requests.PreparedRequest:
        """One page's request. An account's first page is prepared the SDK's way
        (get_http_request); the others differ from it by ``offset`` alone, so they are copies of
        it with their offset in the URL (preparing each anew costs as much as shaping its
        records)."""
        account = str((context or {}).get("account_id", ""))
        first = self.first_pages.get(account)
        if first is None:
            first = self.first_pages[account] = self.prepare_anew(context, 0)
        page = first.copy()
        if token:
            before, marker, after = str(first.url).partition(f"&{OFFSET_ZERO}&")
            if not marker:
                return self.prepare_anew(context, token)
            page.url = f"{before}&offset={int(token)}&{after}"
        return page

    def prepare_anew(self, context: Context | None, token: int | None) -> requests.PreparedRequest:
        request = self.get_http_request(page=PageContext(context, token))
        return self.build_prepared_request(
            method=request.method,
            url=request.url,
            params=request.encode_params(),
            headers=request.headers,
        )

    def send_ahead(
        self, account: str, paginator: BaseAPIPaginator, response: requests.Response
    ) -> None:
        """Ask for the pages the paginator will want next while this one is read: the offsets
        left of this account, then the first pages of the accounts after it. A page asked for
        ahead that the paginator turns out not to want is dropped unread."""
        ahead = t.cast("CountedOffsetPaginator", paginator).offsets_ahead(response)
        self.lookahead.keep_only(lambda key: key[0] != account or key[1] in ahead)  # type: ignore[index]
        room = self.lookahead.room()
        for offset in ahead[:room]:
            self.offer((account, offset))
        if room > len(ahead) and account in self.account_order:
            following = self.account_order[self.account_order.index(account) + 1 :]
            for other in following[: room - len(ahead)]:
                self.offer((other, 0))

    def offer(self, key: tuple[str, int]) -> None:
        if self.lookahead.offered(key):
            return
        context = {"account_id": key[0]}
        if key[1] == 0:
            # Another account's first page: its ``from`` is its starting value, which the SDK
            # writes into that account's state when it begins it. Written now, from the same
            # state and settings, it is the value the SDK writes again then.
            self.state_manager.write_starting_replication_value(
                context=context,
                replication_method=self.replication_method,
                replication_key=self.replication_key,
                config=dict(self.config),
                compare_start_date_fn=self.compare_start_date,
            )
        prepared = self.prepare_page(context, key[1])
        self.lookahead.offer(key, lambda: self.sender(prepared, context))

    @cached_property
    def proxies(self) -> dict[str, str]:
        """The proxies of the environment for the API's host (HTTPS_PROXY, NO_PROXY...), read
        once: requests would read the environment again for every request."""
        if not self.requests_session.trust_env:
            return dict(self.requests_session.proxies)
        found = requests.utils.get_environ_proxies(self.url_base)
        return {**found, **self.requests_session.proxies}

    @cached_property
    def sender(self) -> Callable[[requests.PreparedRequest, Context | None], requests.Response]:
        """``send`` within the retry contract (request_decorator)."""
        return self.request_decorator(self.send)

    def send(
        self, prepared: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """One try: credentials applied, sent, its duration logged, its answer checked."""
        response = self.requests_session.send(
            self.authenticator(prepared),
            timeout=self.timeout,
            allow_redirects=self.allow_redirects,
            proxies=self.proxies,
        )
        log_request_duration(self, response, context)
        self.validate_response(response)
        return response

    # -- the retry contract (identical in the four taps) -----------------------------------------

    def backoff_max_tries(self) -> int:
        return 1_000  # the retry budget ends the retries, not a count of tries

    def backoff_jitter(self, value: float) -> float:
        return value  # the wait generator adds jitter to its own waits, never to a Retry-After

    def backoff_wait_generator(self) -> Generator[float, t.Any, None]:
        """The waits between the tries of one request: 0 after renewed credentials, what
        Retry-After asks, else exponential from retry_initial_wait_seconds (up to 60 s, plus up
        to 10 %). It ends, and the request fails for good, when the next wait would end past
        retry_budget_seconds since the first try."""
        budget = float(self.config["retry_budget_seconds"])
        first = float(self.config["retry_initial_wait_seconds"])
        started = time.monotonic()
        failure = yield 0.0  # backoff primes the generator before the first try
        for attempt in itertools.count():
            if isinstance(failure, RetryAtOnceError):
                wait = 0.0
            elif (asked := retry_after_seconds(getattr(failure, "response", None))) is not None:
                wait = asked
            else:
                wait = min(first * 2**attempt, RETRY_WAIT_CAP_SECONDS)
                wait *= 1 + random.uniform(0, RETRY_JITTER)
            renewing = isinstance(failure, RetryAtOnceError)  # bounded by the tap's own rule
            if not renewing and time.monotonic() - started + wait > budget:
                return
            if throttled(failure):
                self.resources.gate.throttled(wait)  # every request of the run waits as long
            failure = yield wait

    def backoff_handler(self, details: Details) -> None:
        if self.resources.gate.closed or unread():
            # A page asked for ahead that nobody reads any more: it stops here, unsaid.
            raise RunClosedError("nobody reads this answer any more")
        self.logger.warning(
            "%s: try %d failed (%s); trying again in %.1f s",
            self.name,
            details.get("tries", 0),
            details.get("exception"),
            details.get("wait", 0.0),
        )

    def request_decorator(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """The SDK's retries around ``func``, inside the retry contract: each try waits its turn
        (the run's RequestGate), a network failure becomes a NoAnswerError (whose message holds
        no query), and a request that still fails when its budget is spent ends the sync with one
        error naming the API host and the setting."""

        def one_try(*args: t.Any, **kwargs: t.Any) -> t.Any:
            with self.resources.gate.slot():
                try:
                    return func(*args, **kwargs)
                except NETWORK_FAILURES as exc:
                    raise no_answer(exc) from None

        retried = super().request_decorator(one_try)

        def request(*args: t.Any, **kwargs: t.Any) -> t.Any:
            started = time.monotonic()
            try:
                return retried(*args, **kwargs)
            except RetriableAPIError as exc:
                raise self.retries_exhausted(exc, time.monotonic() - started) from None

        return request

    def retries_exhausted(self, failure: RetriableAPIError, elapsed: float) -> FatalAPIError:
        response = failure.response
        url = response.url if response is not None else getattr(failure, "url", "")
        budget = float(self.config["retry_budget_seconds"])
        asked = retry_after_seconds(response)
        why = (
            f"the API asked to wait {asked:.0f} s more (Retry-After), past the budget"
            if asked is not None and elapsed + asked > budget
            else "the budget is spent"
        )
        host = urlsplit(url or "").netloc or "the API"
        return RetriesExhaustedError(
            f"{self.name}: gave up on {host} after {elapsed:.1f} s of tries, {why}: {failure}. "
            f"Raise retry_budget_seconds (now {budget:g} s) to keep trying longer",
            failure,
        )


def where_text(value: t.Any) -> str:
    """A record's value as a ``where`` filter compares it: text, in one case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value).casefold()


# -- the API's error bodies ----------------------------------------------------------------------


def api_error(response: requests.Response) -> tuple[str, str]:
    """(error_code, message) from the documented body, a JSON array of {error_code, message};
    the HTTP reason when the body is something else (a proxy's page, a cut-off answer). The
    message never echoes a request's credentials: the API's body does not hold them."""
    try:
        body = page_body(response)
        first = body[0] if isinstance(body, list) else body
        code = str(first.get("error_code") or "").strip()
        message = str(first.get("message") or "").strip()
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        code, message = "", ""
    return code or "UNKNOWN_ERROR", (message or response.reason or "no message")[:MAX_MESSAGE_CHARS]


def owed_reason(exc: BaseException) -> str | None:
    """Why the item a failed request was for is owed (its last failure, on one line), or None
    when the failure is the whole API's: no answer at all, the API saying it is unavailable
    (ApiUnavailableError), or throttling (429). The sync then
    ends, as the retry contract says; an item is owed only for answers about that item."""
    failure = exc.failure if isinstance(exc, RetriesExhaustedError) else exc
    if failure is None or isinstance(failure, NoAnswerError | ApiUnavailableError):
        return None
    response = getattr(failure, "response", None)
    if response is not None and response.status_code == 429:
        return None
    return " ".join(str(failure).split())[:300]


def answer_path(response: requests.Response) -> str:
    """The request an answer is to, for messages: method and path, never the query."""
    return f"GET {urlsplit(response.url).path}"


def throttled(failure: t.Any) -> bool:
    """Whether a failed try was the API throttling the tap (HTTP 429)."""
    response = getattr(failure, "response", None)
    return response is not None and response.status_code == 429


def log_request_duration(
    stream: RESTStream, response: requests.Response, context: Context | None
) -> None:
    """The SDK's ``http_request_duration`` METRIC line for one answer (SDK 0.54 writes it from
    a private method of its own page loop, which this tap's loop replaces)."""
    if not stream.metrics_logger.isEnabledFor(logging.INFO):
        return  # metrics logged at a higher level only: nothing to build
    tags: dict[str, t.Any] = {
        metrics.Tag.STREAM: stream.name,
        metrics.Tag.ENDPOINT: stream.path,
        metrics.Tag.HTTP_STATUS_CODE: response.status_code,
        metrics.Tag.STATUS: metrics.Status.SUCCEEDED
        if response.status_code < 400
        else metrics.Status.FAILED,
    }
    if context:
        tags[metrics.Tag.CONTEXT] = context
    point = metrics.Point(
        "timer",
        metric=metrics.Metric.HTTP_REQUEST_DURATION,
        value=response.elapsed.total_seconds(),
        tags=tags,
    )
    metrics.log(stream.metrics_logger, point=point)


# -- one response decoded once (the same way in all four taps) ---------------------------------

_DECODED = "_tap_brightcove_audience_body"


def decoded(response: requests.Response, decode: Callable[[bytes], t.Any]) -> t.Any:
    """The response's body decoded once and kept on the response: validate_response decodes it
    (where a broken body is still retriable), the paginator and parse_response reuse it."""
    if _DECODED not in response.__dict__:
        response.__dict__[_DECODED] = decode(response.content)
    return response.__dict__[_DECODED]


def page_body(response: requests.Response) -> t.Any:
    """The answer's JSON, decoded once (the paginator is given this reader); ValueError when
    it is not JSON."""
    return decoded(response, json_value)


def json_value(content: bytes) -> t.Any:
    try:
        return msgspec.json.decode(content)
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from None
