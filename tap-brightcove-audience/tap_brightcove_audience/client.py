"""The Audience API stream: URL, auth, parameters, errors, retries and paging shared by both
resources. Each account is a partition, so each has its own bookmark."""

from __future__ import annotations

import email.utils
import itertools
import json
import logging
import random
import re
import threading
import time
import typing as t
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context

from tap_brightcove_audience.auth import BrightcoveAuthenticator
from tap_brightcove_audience.errors import (
    NoAnswerError,
    PaginationError,
    RetriesExhaustedError,
    RetryAtOnceError,
)
from tap_brightcove_audience.keys import record_key
from tap_brightcove_audience.owed import OwedItems, OwedLedger
from tap_brightcove_audience.pagination import CountedOffsetPaginator
from tap_brightcove_audience.values import epoch_ms, to_utc_ms

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk import Tap

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
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


class BackoffEcho(logging.Filter):
    """Leaves out the lines the backoff library logs by itself ("Backing off ...", "Giving up
    ..."): backoff_handler says each retry once, and RetriesExhaustedError says the end."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Backing off %s(", "Giving up %s("))


BACKOFF_ECHO = BackoffEcho()


class RequestPacer:
    """At most ``per_second`` requests a second, across every stream of one run (None: no
    pacing). Thread-safe, so that requests in flight at once share it."""

    def __init__(
        self,
        per_second: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            self.sleep(start - now)


class StateSink(t.Protocol):
    """The Tap's public ``state_writer`` as a stream uses it."""

    def write_state(self, state: t.Any) -> None: ...


@dataclass
class RunResources:
    """What one run of the tap shares across its streams: made once by the Tap
    (tap.py, discover_streams) and handed to every stream's constructor."""

    #: max_requests_per_second, across both streams and every account.
    pacer: RequestPacer
    #: The owed items of every stream, and the summary at the end of the sync.
    owed: OwedLedger
    #: The one token holder, so that both streams use one token.
    authenticator: BrightcoveAuthenticator
    #: The Tap's public state_writer: the state is written there before a fatal error.
    state_writer: StateSink
    #: When the sync started: the ``to`` of every request, so that records changing while we
    #: page leave the window instead of shifting pages under us (the next sync reads them).
    sync_started: datetime


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


class BrightcoveStream(RESTStream[int]):
    """One Audience API list resource, read account by account, oldest change first."""

    #: The setting holding this stream's ``where`` filter.
    where_setting: ClassVar[str]
    #: The fields a record's key is derived from (see keys.py).
    key_fields: ClassVar[tuple[str, ...]]
    #: The field the key is written to.
    key_name: ClassVar[str]

    is_sorted = True  # requested sorted ascending on the replication key

    def __init__(self, tap: Tap, *, resources: RunResources, **kwargs: t.Any) -> None:
        super().__init__(tap, **kwargs)
        self.resources = resources
        self.logger.addFilter(BACKOFF_ECHO)
        self.refreshed_after_401 = False
        self.last_value: dict[str, str] = {}
        # Whether the state holds something not yet saved that a fatal error must not lose:
        # a record emitted, or a partition finished.
        self.progress_to_save = False

    def owed_items(self) -> OwedItems:
        """This stream's owed items (kept in its stream-level state entry)."""
        return self.resources.owed.of(self.name, self.get_context_state(None))

    def log_sync_costs(self) -> None:
        # SDK 0.54 calls this once per stream after the whole sync, every stream's state
        # written: the one public hook at the end of a sync, where the owed items are summed
        # up (and fail_on_owed ends the sync). tests/project/test_owed.py guards that order.
        super().log_sync_costs()
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
        return [{"account_id": str(a)} for a in self.config["account_ids"]]

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
        """``from`` of this sync: the bookmark (or start_date)."""
        start = self.get_starting_timestamp(context)
        assert start is not None  # start_date is required
        return start if start.tzinfo else start.replace(tzinfo=UTC)

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
        status = response.status_code
        if status == 401:
            self.handle_unauthorized(response)
        if status in RETRY_STATUSES or status >= 500:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status >= 400:
            raise FatalAPIError(self.response_error_message(response))
        try:
            body = page_body(response)
        except ValueError:
            msg = f"{self.name}: the answer is not JSON (cut off?)"
            raise RetriableAPIError(msg, response) from None
        if not isinstance(body, dict) or not isinstance(body.get("result"), list):
            msg = f"{self.name}: the answer is not the documented page of count and result"
            raise RetriableAPIError(msg, response)
        self.refreshed_after_401 = False

    def handle_unauthorized(self, response: requests.Response) -> None:
        """First 401: drop the token and ask again at once with a new one. Second in a row:
        stop (a refused token is never a reason to wait)."""
        if self.refreshed_after_401:
            msg = (
                self.response_error_message(response)
                + " (again with a new token: check that the client_id has Audience Read "
                "permission on this account)"
            )
            raise FatalAPIError(msg)
        self.refreshed_after_401 = True
        self.authenticator.invalidate()
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
        """The records, shaped; on a fatal answer, the state of what was already emitted is
        written before the sync stops, so the next run continues from there."""
        account = context["account_id"] if context else ""
        try:
            for row in self.request_records(context):
                record = self.shape(row, account)
                self.check_order(account, record.get(self.replication_key or ""))
                self.progress_to_save = True
                yield record
        except FatalAPIError:
            if self.progress_to_save:
                self.resources.state_writer.write_state(self.tap_state)
            raise
        self.progress_to_save = True  # the SDK finalizes this partition's bookmark next

    def shape(self, row: dict, account: str) -> dict[str, Any]:
        """The schema's fields (and only those), UTC timestamps, booleans, account and key."""
        if unknown := row.keys() - self.fields_seen:
            self.warn_unknown(unknown)
        record = {name: row.get(name) for name in self.schema_fields}
        record["account_id"] = account
        for name in ("created_at", "updated_at"):
            if (value := record.get(name)) is not None:
                record[name] = to_utc_ms(value)
        for name in self.boolean_fields:
            if (value := record[name]) is not None and not isinstance(value, bool):
                record[name] = str(value).lower() in ("true", "1")
        record[self.key_name] = record_key(account, record, self.key_fields)
        return record

    @cached_property
    def fields_seen(self) -> set[str]:
        return set(self.schema_fields)

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
            failure = yield wait

    def backoff_handler(self, details: Details) -> None:
        self.logger.warning(
            "%s: try %d failed (%s); trying again in %.1f s",
            self.name,
            details.get("tries", 0),
            details.get("exception"),
            details.get("wait", 0.0),
        )

    def request_decorator(self, func: Callable[..., t.Any]) -> Callable[..., t.Any]:
        """The SDK's retries around ``func``, inside the retry contract: each try waits its turn
        (max_requests_per_second), a network failure becomes a NoAnswerError (whose message holds
        no query), and a request that still fails when its budget is spent ends the sync with one
        error naming the API host and the setting."""

        def one_try(*args: t.Any, **kwargs: t.Any) -> t.Any:
            self.resources.pacer.wait()
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
    when the failure is the whole API's: no answer at all, or throttling (429). The sync then
    ends, as the retry contract says; an item is owed only for answers about that item."""
    failure = exc.failure if isinstance(exc, RetriesExhaustedError) else exc
    if failure is None or isinstance(failure, NoAnswerError):
        return None
    response = getattr(failure, "response", None)
    if response is not None and response.status_code == 429:
        return None
    return " ".join(str(failure).split())[:300]


# -- one response decoded once (the same way in all four taps) ---------------------------------

_DECODED = "_tap_brightcove_audience_body"


def decoded(response: requests.Response, decode: Callable[[bytes], t.Any]) -> t.Any:
    """The response's body decoded once and kept on the response: validate_response decodes it
    (where a broken body is still retriable), the paginator and parse_response reuse it."""
    if _DECODED not in response.__dict__:
        response.__dict__[_DECODED] = decode(response.content)
    return response.__dict__[_DECODED]


def page_body(response: requests.Response) -> t.Any:
    """The answer's JSON, decoded once (the paginator is given this reader)."""
    return decoded(response, json.loads)
